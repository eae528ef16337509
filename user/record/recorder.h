/* Recording: a backend's records, put in time order, into a trace file. */
#ifndef SS_RECORDER_H
#define SS_RECORDER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "switchscope.h"

struct ss_flight_opts;

struct ss_record_opts {
	const char *output;		/* trace file path */
	const char *backend;		/* "bpf" (default) or "kmod" */
	int system_wide;		/* -a */
	const uint32_t *pids;		/* -p list */
	size_t npids;
	char *const *cmd;		/* command to run, NULL-terminated, or NULL */
	uint64_t duration_ns;		/* stop after this long (0: no limit) */
	size_t buffer_bytes;		/* kernel buffer size (0: default) */
	int syscalls;			/* record sys_enter and faults (verify) */
	int switch_in;			/* record the switch-in path (sys_exit) */
	int wakeup;			/* record sched_wakeup too */
	int quiet;			/* no summary line */
	int no_coro;			/* do not attach the coro:* probes */
	int coro_ring;			/* enum ss_ring_mode (0: auto) */
	int zstd_level;			/* event chunks: 0 default, -1 uncompressed */
	int stacks;			/* --stacks: kernel and user stacks (BPF) */
	const char *const *usdt;	/* binaries to attach coro probes to */
	size_t nusdt;
	const char *const *cgroups;	/* --cgroup paths (user/record/cgroup.c) */
	size_t ncgroups;
	const struct ss_flight_opts *flight; /* --flight: dumps, not -o (flight.h) */
};

struct ss_record_result {
	int cmd_started;		/* the command was exec'd */
	int cmd_status;			/* its wait status */
	uint64_t records;		/* written to the file */
	uint64_t lost;			/* lost, all sources */
	uint64_t bytes;			/* file size */
	uint64_t duration_ns;		/* recording time */
	uint64_t count[SS_EV_MAX];	/* per type */
	unsigned int coro_binaries;	/* binaries with coro probes attached */
	uint64_t rings;			/* coroutine trace rings read */
	uint64_t ring_records;		/* records that came through them */
	uint64_t ring_lost;		/* of theirs lost (lapped or invalid) */
	int ring_counter;		/* their clock was the CPU counter */
	uint64_t ring_clock_err_ns;	/* widest error of a clock point */
	uint64_t stacks;		/* --stacks: distinct stacks written */
	uint64_t stacks_lost;		/* of theirs lost (ring buffer full) */
	uint64_t stack_syms;		/* ss_sym records */
	uint64_t stack_addrs;		/* distinct addresses (named or not) */
	uint64_t stack_maps;		/* ss_map records */
	uint64_t stack_procs_gone;	/* processes gone before their maps were read */
	uint64_t stacks_cut;		/* user stacks cut where the walk broke off */
	unsigned int dumps;		/* --flight: dumps written */
	uint64_t flight_peak;		/* --flight: most bytes the window held */
	uint64_t flight_carried;	/* --flight: most carried-over bytes */
};

/* Record until the command ends, the -p processes are gone, the duration
 * is over, or SIGINT/SIGTERM. Returns an ss_exit code (the caller turns a
 * command's status into its own exit code). */
int ss_record_run(const struct ss_record_opts *o, struct ss_record_result *res);

/* Print the one-line summary of a recording to stderr. */
void ss_record_summary(const struct ss_record_result *res, const char *output);

/* Tasks alive now, from /proc. Returns 0 or -errno; *out is malloc'd. */
int ss_snapshot_tasks(struct ss_task **out, size_t *n);

/* Exit code of switchscope for a command's wait status (as a shell would:
 * the code, or 128 + signal). */
int ss_status_exit_code(int status);

#endif
