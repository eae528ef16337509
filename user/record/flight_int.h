/* Inside the flight recorder: the records carried over from blocks that
 * left the window (flight.h says which and why). */
#ifndef SS_FLIGHT_INT_H
#define SS_FLIGHT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "switchscope.h"

struct ss_idmap;

/* Ends of lives: records are numbered in one sequence; an end (exit,
 * coroutine exit) kills the task's or coroutine's records before it. The
 * store keeps one (numbered by offset / 8); a dump its own for the ends
 * still in the blocks before its window (numbered after the store's). */
struct carry_ends {
	struct ss_idmap *tid, *coro;
};

struct carry {
	char *buf;
	size_t len, cap;
	size_t compacted;		/* len after the last compaction */
	struct carry_ends gone;		/* ends seen since the last compaction */
	uint64_t peak;			/* most bytes held */
};

int carry_init(struct carry *c);
void carry_free(struct carry *c);
/* A record leaving the window: kept if it is one of those carried,
 * noted if it ends the life of something carried. */
void carry_keep(struct carry *c, const struct ss_hdr *h);
/* Drop what died and what a later record replaced, once the store has
 * doubled since the last time. */
void carry_compact(struct carry *c);
/* Each record kept, in order, with its index among them. */
void carry_each(const struct carry *c,
		void (*fn)(void *ctx, const struct ss_hdr *h, uint32_t i), void *ctx);
/* Is this a record that is carried over? */
int carry_wanted(const struct ss_hdr *h);

int carry_ends_init(struct carry_ends *e);
void carry_ends_free(struct carry_ends *e);
/* Note h (at index i) if it ends a task or a coroutine. */
void carry_ends_note(struct carry_ends *e, const struct ss_hdr *h, uint32_t i);
/* Did a noted end after index i kill h? */
int carry_ends_dead(const struct carry_ends *e, const struct ss_hdr *h, uint32_t i);

/* --trigger runqlat>/offcpu> evaluated by the recorder (flight_eval.c),
 * for a backend without BPF programs. */
struct ss_flight_opts;

struct sched_eval {
	const struct ss_flight_opts *fo;
	int all;			/* -a: every task counts */
	int use_waking;			/* no sched_wakeup records: waking ends a block */
	struct ss_idmap *tids;		/* tid -> index into v */
	struct ss_idmap *tgids;		/* traced processes */
	struct tsince *v;
	size_t n, cap;
};

int sched_eval_init(struct sched_eval *e, const struct ss_flight_opts *fo, int all,
		    int use_waking);
void sched_eval_free(struct sched_eval *e);
/* A process traced from the start (the kernel side's filter follows fork;
 * newtask, exec and wakeup records add theirs). */
void sched_eval_traced(struct sched_eval *e, uint32_t tgid);
/* One record in time order; 1 with *t filled when it meets a trigger. */
int sched_eval_add(struct sched_eval *e, const struct ss_hdr *h, struct ss_trigger *t);

#endif
