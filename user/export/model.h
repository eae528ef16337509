/* The export engine: a per-thread state machine fed by the trace's records
 * in one pass, turning switches and wakeups into slices (a thread running,
 * runnable or sleeping; a coroutine running on its thread) and marks, which
 * it hands to one output (HTML, Perfetto, JSON).
 *
 * Terms, used the same way in every output:
 *   running   the thread is on a CPU (switch-in to switch-out)
 *   runnable  on a run queue, waiting for a CPU (wakeup or preemption to
 *             switch-in): the run-queue latency
 *   sleeping  blocked (switch-out with a sleeping state to its wakeup)
 *
 * Memory is bounded by the number of threads in the trace, never by the
 * number of records: slices are handed out as soon as they end. */
#ifndef SS_EXPORT_MODEL_H
#define SS_EXPORT_MODEL_H

#include <stdint.h>
#include <stdio.h>

#include "export.h"
#include "switchscope.h"

enum xstate {
	XS_UNKNOWN,	/* not seen yet, or lost track (lost records) */
	XS_RUNNING,
	XS_RUNNABLE,
	XS_SLEEPING,
	XS_DEAD,
};

/* Slice kinds; the HTML viewer (web/data.js) uses the same numbers. */
enum xkind {
	XK_RUN = 1,	/* thread on a CPU: its thread lane and the CPU lane */
	XK_WAIT = 2,	/* runnable */
	XK_SLEEP = 3,	/* sleeping */
	XK_CORO = 4,	/* a coroutine running on the thread */
	XK_MARK = 5,	/* an instant (enum xmark_kind in flags) */
};

/* XK_RUN flags, low 3 bits: how the slice ended (the kernel switch mark). */
enum xend {
	XE_OPEN = 0,	/* still running at the end of the trace or window */
	XE_PREEMPT = 1,	/* involuntary: preempted (prev_state R+) */
	XE_YIELD = 2,	/* voluntary but still runnable (sched_yield) */
	XE_SLEEP = 3,	/* voluntary: interruptible sleep (S) */
	XE_BLOCK = 4,	/* voluntary: uninterruptible sleep (D) */
	XE_STOP = 5,	/* stopped, traced, parked */
	XE_EXIT = 6,	/* the task died */
	XE_UNSURE = 7,	/* switches not in the trace ended it: end unknown */
};
#define XF_END_MASK	0x07
#define XF_FROM_IDLE	0x08	/* XK_RUN: the CPU was idle before */
#define XF_START_UNSURE	0x10	/* began before the trace, or unknown */
#define XF_CLIP_START	0x20	/* began before the window: cut there */
#define XF_BY_WAKING	0x40	/* XK_WAIT: begun by a sched_waking record */
#define XF_CLIP_END	0x80	/* ended after the window: cut there */

/* XK_WAIT flags, low 3 bits: why the thread became runnable. */
enum xcause {
	XC_UNKNOWN = 0,
	XC_WOKEN = 1,	/* a wakeup (waker known unless irq/idle) */
	XC_PREEMPT = 2,
	XC_YIELD = 3,
	XC_NEW = 4,	/* wakeup_new: a new task */
};

/* XK_SLEEP flags, low 3 bits: which sleep (as XE_SLEEP/XE_BLOCK/XE_STOP). */

/* Marks (XK_MARK), kind in xmark.kind. */
enum xmark_kind {
	XM_NEWTASK = 1,	/* on the child: a = parent tid, b = 1 if a thread */
	XM_EXEC = 2,
	XM_EXIT = 3,	/* a = exit code */
	XM_LOST = 4,	/* cpu, a = records lost */
	XM_CORO_CREATE = 5, /* a = id, b = stack size */
	XM_CORO_PARK = 6,   /* a = id, b = reason */
	XM_CORO_READY = 7,  /* a = id, b = by */
	XM_CORO_EXIT = 8,   /* a = id */
	XM_CORO_STATS = 9,  /* a = switches, b = summed switch ns */
	XM_WAKE = 10,	    /* a wakeup that did not change state (running) */
	XM_TRIGGER = 11,    /* a flight recorder trigger (ss_trigger): t = its task
			     * (NULL: none), a = measured ns, b = enum ss_trigger_kind */
};

struct xthread {
	uint32_t tid, tgid;
	char comm[SS_COMM_LEN];
	uint8_t state;		/* enum xstate */
	uint8_t sub;		/* RUNNABLE: enum xcause; SLEEPING: enum xend */
	uint8_t run_flags;	/* flags of the running slice in progress */
	uint8_t kthread;
	uint8_t has_coro;	/* ran coroutines: gets a coroutine lane */
	uint8_t wanted;		/* passes the --pid filter */
	uint8_t dead;		/* replaced by a new task with the same tid */
	uint8_t coro_known;	/* coro_cur is valid */
	uint32_t cpu;		/* RUNNING: where */
	uint64_t since;		/* ns (relative) the state began */
	struct xthread *waker;	/* RUNNABLE by wakeup: who woke it */
	uint32_t waker_cpu;
	uint64_t coro_cur;	/* coroutine running on this thread */
	uint64_t coro_since;
	uint64_t coro_dur;	/* user-measured cost of the switch to coro_cur */
	/* counts for the outputs' summaries */
	uint64_t n_switch_out, n_preempt, n_wakeups, n_coro_switch;
	uint64_t run_ns, wait_ns;
	/* --stacks: the ids it left the CPU with, and for a sleep ended by a
	 * sched_waking the waker's (SLEEP and WAIT slices carry them) */
	struct xstacks {
		uint64_t k, u;		/* kernel, user (tgid of the thread) */
		uint64_t wk, wu;	/* the waker's (user: wtgid's) */
		uint32_t wtgid;
		struct xthread *waker;	/* who, NULL: irq/idle or none */
	} stk;
	int64_t out_idx;	/* index the output gave it (-1: none yet) */
	struct xthread *next_hash;
};

struct xslice {
	uint8_t kind;		/* XK_RUN, XK_WAIT, XK_SLEEP, XK_CORO */
	uint8_t flags;
	uint16_t cpu;		/* RUN: the CPU; WAIT: the waker's CPU */
	struct xthread *t;
	uint64_t t0, t1;	/* ns after the recording start */
	struct xthread *waker;	/* WAIT woken by a task (NULL: irq/idle) */
	uint64_t coro;		/* CORO: the coroutine id */
	uint64_t coro_dur;	/* CORO: cost of the switch that began it, ns */
	struct xstacks stk;	/* WAIT, SLEEP: stacks (zero: none) */
};

struct xmark {
	uint8_t kind;		/* enum xmark_kind */
	uint16_t cpu;
	struct xthread *t;	/* NULL for lost records */
	uint64_t ts;
	uint64_t a, b;
	uint64_t ustack;	/* CORO_PARK: the user stack at the park (0: none) */
};

struct xmodel;

/* An output. Callbacks see slices in the order they end. */
struct xsink {
	int (*begin)(struct xsink *s, struct xmodel *m);
	void (*slice)(struct xsink *s, const struct xslice *sl);
	void (*mark)(struct xsink *s, const struct xmark *mk);
	/* Every record inside the window, after the model saw it. */
	void (*record)(struct xsink *s, const struct ss_hdr *h);
	/* Finish the output and free what the sink holds (not the sink). */
	int (*end)(struct xsink *s, struct xmodel *m);
	FILE *out;
	uint64_t items;
};

struct xmodel {
	const struct ss_meta *meta;
	const struct ss_export_opts *opts;
	uint64_t start_ns;	/* absolute: the recording start */
	uint64_t from, to;	/* window, relative */
	uint64_t end;		/* relative: end of the data in the window */
	uint32_t ncpu;
	uint8_t *cpu_seen;	/* [ncpu] */
	struct xthread **cpu_cur; /* [ncpu] task on each CPU (NULL: idle) */
	uint64_t *cpu_since;	/* [ncpu] */
	struct xthread **hash;
	size_t hash_cap, nthreads;
	struct xthread **all;	/* every thread, in order of creation */
	size_t nall, all_cap;
	uint32_t *traced_tgids;	/* open hash of tgids known to be traced */
	size_t traced_cap, ntraced;
	int system_wide;
	uint64_t records, lost;
	uint64_t count[SS_EV_MAX];	/* records per type inside the window */
	uint64_t switches, preempt, wakeups, coro_switches;
	struct ss_stacks *stacks;	/* the trace's stacks (NULL: none) */
	const struct ss_damage *damage;	/* once the pass is over (NULL before) */
};

int xmodel_run(struct ss_reader *r, const struct ss_export_opts *o,
	       struct xsink *s, struct ss_export_stats *st);

struct xthread *xmodel_thread(struct xmodel *m, uint32_t tid, uint32_t tgid);
int xmodel_traced(const struct xmodel *m, const struct xthread *t);
/* Name of a thread's process: its leader's comm if known, else its own. */
const char *xmodel_process_name(struct xmodel *m, const struct xthread *t);

/* Outputs. */
struct xsink *xsink_json(FILE *out);
struct xsink *xsink_perfetto(FILE *out);
struct xsink *xsink_html(FILE *out);

/* The kernel's sched_switch prev_state for a raw state and preempt flag
 * (what Perfetto decodes): TASK_REPORT bits, preemption as TASK_REPORT_MAX. */
uint64_t xs_report_state(uint32_t raw, int preempt);

/* The viewer's metadata (web/data.js reads it): names, totals, the
 * threads by output index. The HTML export embeds it; `view` serves it.
 * The object is left open: the caller may add members, then writes '}'. */
void xs_meta_json(FILE *f, struct xmodel *m, struct xthread *const *threads,
		  size_t nthreads, uint64_t items);
/* One stack of st as the viewer's JSON object (web/stacks.js): { k, one,
 * failed, cut, f: frames innermost first as "func+0x1c", g: the same
 * without offsets }, or { k, missing: 1 } when the trace lacks it. */
void xs_stack_json(FILE *f, struct ss_stacks *st, uint32_t tgid, uint64_t id);
/* Text as HTML text (at most n bytes of s): &, < and > escaped. */
void xs_html_text(FILE *f, const char *s, size_t n);

/* The viewer's CSS and JavaScript (web/, embedded at build time). */
void xs_web_css(FILE *f);
void xs_web_js(FILE *f);

/* JSON string, safe inside an HTML <script> too; n: at most n bytes of s. */
void xs_json_str(FILE *f, const char *s, size_t n);

/* Names shared by the outputs. */
const char *xs_end_name(unsigned int end);	/* enum xend */
const char *xs_cause_name(unsigned int cause);	/* enum xcause */
const char *xs_mark_name(unsigned int kind);	/* enum xmark_kind */

#endif
