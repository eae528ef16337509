/* Kernel backends of the recorder: BPF programs or the switchscope module.
 * Both deliver the records of include/switchscope.h to a callback. */
#ifndef SS_BACKEND_H
#define SS_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "switchscope.h"

struct ss_backend;

struct ss_backend_cfg {
	int system_wide;	/* -a: no tgid filter */
	size_t buffer_bytes;	/* ring buffer size (0: backend default) */
	int syscalls;		/* record sys_enter and user page faults */
	int switch_in;		/* record the switch-in path (a probe on sys_exit) */
	int wakeup;		/* record sched_wakeup besides sched_waking */
	int stop_new_exe;	/* SIGSTOP a traced process at its first exec of
				 * each file (SS_EXEC_STOPPED); the recorder
				 * continues it */
	int stacks;		/* record --stacks (BPF only) */
};

/* Called for each record, in the order the backend produces them. */
typedef void (*ss_record_cb)(void *ctx, const struct ss_hdr *rec);

/* File descriptors of the BPF maps other BPF objects share. */
struct ss_bpf_maps {
	int events;		/* ring buffer */
	int tgids;		/* traced processes */
	int lost;		/* per-CPU loss counters */
	int stack_seen;		/* --stacks: ids written (bpf/stacks.bpf.h) */
	int stack_lost;		/* --stacks: ss_stack records lost, per CPU */
	int stacks;		/* --stacks is on: the coro object takes stacks too */
};

/* Cumulative losses of one CPU since open. */
struct ss_cpu_lost {
	uint64_t count;		/* records lost */
	uint64_t last_ts;	/* ns of the most recent loss */
};

struct ss_backend_ops {
	const char *name;
	uint32_t id;		/* enum ss_backend_id */
	/* Load (not yet attached). Returns an ss_exit code; on error err
	 * says what is missing and what to do. */
	int (*open)(struct ss_backend **b, const struct ss_backend_cfg *cfg,
		    char *err, size_t errlen);
	/* Add or remove a process from the filter. Returns 0 or -errno. */
	int (*add_tgid)(struct ss_backend *b, uint32_t tgid);
	int (*del_tgid)(struct ss_backend *b, uint32_t tgid);
	/* Attach the probes that see tasks born and moved between cgroups,
	 * before the state at the start is read; ss_exit code. May be NULL. */
	int (*watch)(struct ss_backend *b, char *err, size_t errlen);
	/* Attach the probes: records start flowing. ss_exit code. */
	int (*start)(struct ss_backend *b, char *err, size_t errlen);
	/* Detach the probes; records already produced can still be polled. */
	void (*stop)(struct ss_backend *b);
	/* Wait up to timeout_ms, then deliver every record available.
	 * Returns the number delivered or -errno (-EINTR is not an error). */
	int (*poll)(struct ss_backend *b, int timeout_ms, ss_record_cb cb,
		    void *ctx);
	/* The maps a BPF object can share (0), or -ENOTSUP. May be NULL. */
	int (*bpf_maps)(struct ss_backend *b, struct ss_bpf_maps *out);
	/* Fill lost[0..ncpu) with cumulative losses. Returns 0 or -errno. */
	int (*lost)(struct ss_backend *b, struct ss_cpu_lost *lost,
		    unsigned int ncpu);
	void (*close)(struct ss_backend *b);
};

extern const struct ss_backend_ops ss_backend_bpf;
extern const struct ss_backend_ops ss_backend_kmod;

/* The backend called name ("bpf", "kmod"), or NULL. */
const struct ss_backend_ops *ss_backend_find(const char *name);

/* Number of possible CPUs (size of per-CPU arrays). */
unsigned int ss_ncpu(void);

#endif
