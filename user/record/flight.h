/* Flight recorder (record --flight): the last WINDOW of records kept in
 * memory, written to a dump file of its own when a trigger fires, while
 * recording goes on.
 *
 * The recorder's sink hands every record, in time order, to
 * ss_flight_record() instead of writing it. Records live in a list of
 * blocks; the oldest block goes once the rest still covers the window (a
 * time window: its newest record is older than WINDOW + --post; a size
 * window: the rest holds WINDOW bytes). Records that are needed to read
 * the window but are older than it (task names: newtask, exec, comm;
 * coroutine creation; stacks, mappings, symbols) are copied aside as their
 * block goes, and dropped once the task or coroutine they describe has
 * exited before the window. Memory: the window, one block more, and
 * those records.
 *
 * A dump is a complete trace: meta (start = the window's start), the
 * tasks alive at dump time, the traced processes, the carried-over
 * records (hdr.ts set to the window's start: they describe the state
 * then), the window's records up to the trigger plus --post, a trailer.
 * It is written as NAME.tmp, synced, then renamed: a dump under its name
 * is always whole. */
#ifndef SS_FLIGHT_H
#define SS_FLIGHT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "switchscope.h"

/* A time window is also bounded by this many bytes of records (a burst
 * then shortens it; said on stderr). */
#define SS_FLIGHT_TIME_CAP	(512ull << 20)

struct ss_flight_opts {
	uint64_t window_ns;	/* time window (0: a size window) */
	uint64_t window_bytes;	/* size window; a time window's cap */
	unsigned int max_dumps;	/* stop after this many dumps (0: no limit) */
	uint64_t post_ns;	/* context kept after a trigger */
	uint64_t runqlat_ns;	/* --trigger runqlat>D (0: off) */
	uint32_t runqlat_tid;	/* its ,tid=N (0: any traced task) */
	uint64_t offcpu_ns;	/* --trigger offcpu>D (0: off) */
	uint32_t offcpu_tid;
	int coro_kernel;	/* --trigger coro-kernel */
};

/* sigqueue() value of switchscope record --dump: a request, not a plain
 * SIGUSR1. */
#define SS_FLIGHT_REQUEST	0x53534450	/* "SSDP" */

/* --flight WINDOW: "10s", "500ms" or "256M" (a size needs its K/M/G
 * suffix). Returns 0 or -1. */
int ss_flight_parse_window(const char *arg, struct ss_flight_opts *fo);
/* --trigger SPEC. Returns 0, or -1 with a message in err. */
int ss_flight_parse_trigger(const char *arg, struct ss_flight_opts *fo,
			    char *err, size_t errlen);

struct ss_flight;
struct ss_sink;

/* rearm: called when the kernel triggers (which disarm themselves when
 * they fire) may fire again: no dump pending, more allowed, and the last
 * dump's window gone by. A trigger condition within WINDOW of the
 * previous dump's trigger starts no dump (it is in the next one as a
 * mark, dump 0); SIGUSR1 and --dump always do. */
struct ss_flight *ss_flight_new(const struct ss_flight_opts *fo, const char *output,
				int zstd_level, int quiet, unsigned int ncpu,
				void (*rearm)(void *ctx), void *rearm_ctx);
/* Change the rearm callback's context (set once the triggers exist). */
void ss_flight_rearm_ctx(struct ss_flight *f, void *ctx);
/* Evaluate --trigger runqlat>/offcpu> here, on the records, for a backend
 * without BPF programs (the module). Before ss_flight_header(). */
void ss_flight_eval_sched(struct ss_flight *f, int system_wide);
/* The meta and traced processes of every dump. */
void ss_flight_header(struct ss_flight *f, const struct ss_meta *m,
		      const uint32_t *targets, size_t ntargets);
/* The sink's tap: one record, in time order. */
void ss_flight_record(void *f, const struct ss_hdr *h);
/* A dump asked for from outside (SIGUSR1, --dump): a trigger record into
 * the sink, at now. A request's process (nr) is told when the dump that
 * holds it is written: signal SS_FLIGHT_REPLY_SIG, value
 * SS_FLIGHT_REPLY(n, kind, written), or 0 when no dump holds it
 * (--max-dumps reached, recording ended). */
#define SS_FLIGHT_REPLY_SIG		(SIGRTMIN + 3)
#define SS_FLIGHT_REPLY(n, kind, ok)	((int)((n) << 9 | ((kind) & 0xff) << 1 | !!(ok)))
#define SS_FLIGHT_REPLY_DUMP(v)		((unsigned int)(v) >> 9)
#define SS_FLIGHT_REPLY_KIND(v)		(((unsigned int)(v) >> 1) & 0xff)
#define SS_FLIGHT_REPLY_OK(v)		((v) & 1)
/* The name of dump n of a recording to output, its trigger kind. */
void ss_flight_dump_name(const char *output, unsigned int n, uint32_t kind,
			 char *buf, size_t len);
void ss_flight_request(struct ss_flight *f, struct ss_sink *s, uint32_t kind,
		       uint32_t nr, uint64_t now);
/* Once per loop: writes a dump whose time has come although no later
 * record arrived to say so. Returns 1 once the last dump (--max-dumps) is
 * written: recording should stop. */
int ss_flight_step(struct ss_flight *f, struct ss_sink *s, uint64_t now);

struct ss_flight_stats {
	unsigned int dumps;		/* written */
	unsigned int failed;		/* that could not be written */
	uint64_t peak_bytes;		/* most memory the window held */
	uint64_t peak_carried;		/* most bytes of carried-over records */
	uint64_t carried;		/* of them at the end */
	uint64_t lost;			/* records the window could not keep */
};

/* Write a dump still due (recording ended before its --post), free.
 * Returns 0 or the ss_exit code of a failed dump. */
int ss_flight_close(struct ss_flight *f, struct ss_flight_stats *st);

#endif
