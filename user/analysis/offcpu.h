/* Off-CPU time by stack (report --offcpu, the exports): one pass over the
 * records of a trace recorded with --stacks, summing each off-CPU interval
 * of a thread under the stacks it left the CPU with.
 *
 *   sleep   from a voluntary switch-out (blocked) to its wakeup; a sleep
 *           ended by a sched_waking also keeps the waker's stacks.
 *   wait    runnable but not on a CPU: after that wakeup, or from an
 *           involuntary switch-out (preempted), to the next switch-in.
 *           Under the same switch-out stacks as the sleep before it.
 *   park    a coroutine parked (coro:park) to its coro:ready or the
 *           switch to it, under its user stack at the park.
 * A thread first seen waking (a new task) waits under no stack. Summed
 * over a thread's stacks, sleep and wait are its sleep_ns and wait_ns of
 * analysis.c (tests/stacks/same_totals.mjs checks it).
 *
 * Only ids are summed here: naming them is the stacks table's part
 * (user/stacks/stacks.h). */
#ifndef SS_OFFCPU_H
#define SS_OFFCPU_H

#include <stddef.h>
#include <stdint.h>

#include "switchscope.h"

enum ss_off_kind { SS_OFF_SLEEP = 0, SS_OFF_WAIT, SS_OFF_PARK, SS_OFF_KINDS };

struct ss_off_key {
	uint32_t tid, tgid;
	uint32_t kind;		/* enum ss_off_kind */
	uint32_t wtid, wtgid;	/* the waker (sleeps ended by a waking) */
	uint32_t pad;		/* zero: keys are compared whole */
	uint64_t kstack, ustack;	/* at switch-out (park: ustack only) */
	uint64_t wkstack, wustack;	/* the waker's at sched_waking (0: none) */
};

struct ss_off_entry {
	struct ss_off_key k;
	uint64_t ns;		/* off-CPU time under this key */
	uint64_t count;		/* intervals */
	uint32_t next;		/* hash chain: index + 1, 0 ends it */
};

struct ss_off_thread;
struct ss_idmap;

struct ss_offcpu {
	struct ss_off_entry *e;
	size_t n, cap;
	struct ss_idmap *heads;	/* key hash -> first entry + 1 */
	struct ss_off_thread *t;
	size_t nt, capt;
	struct ss_idmap *tmap;	/* tid -> thread state */
	struct ss_idmap *cmap;	/* (tgid, coroutine) -> thread state */
	uint64_t total[SS_OFF_KINDS];
	uint64_t count[SS_OFF_KINDS];
	int oom;
};

int ss_offcpu_init(struct ss_offcpu *o);
void ss_offcpu_add(struct ss_offcpu *o, const struct ss_hdr *h);
/* Close the intervals still open at end_ns (sleeps not woken by then). */
void ss_offcpu_finish(struct ss_offcpu *o, uint64_t end_ns);
void ss_offcpu_free(struct ss_offcpu *o);

#endif
