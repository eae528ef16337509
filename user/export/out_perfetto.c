/* Perfetto protobuf trace (proto/perfetto_trace.proto), streamed: a Trace
 * is a sequence of `packet` fields, so each TracePacket is written as soon
 * as it is complete.
 *
 * Kernel records become ftrace events (sched_switch, sched_waking, ...) in
 * one FtraceEventBundle per CPU and batch, which Perfetto turns into its CPU
 * scheduling and thread state tracks itself. For that it needs what the
 * kernel's tracepoints would have said: prev_state in the TASK_REPORT
 * encoding of the running kernel (SystemInfo names it: Perfetto decodes
 * prev_state by kernel version), and task_newtask clone flags (without
 * CLONE_THREAD a new process). Where a CPU's chain of switches has a gap,
 * the switch it misses is added (gap_switch). Every task an event names has
 * a ProcessTree entry (its tid, process and name), written before the
 * bundle that names it. Coroutine slices are TrackEvents on one track per
 * thread, a child of that thread's track, and end at the thread's exit.
 *
 * With stacks (record --stacks), a thread's sleeping and runnable
 * intervals are also slices on an "off-CPU stacks" track, a child of its
 * thread track, each with the callstack it left the CPU with
 * (TrackEvent.callstack_iid, interned on the track event sequence by
 * out_perfetto_stacks.c) and its duration as callstack_weight: Perfetto's
 * flame graph of an area selection is then off-CPU time by stack. A sleep
 * ended by a sched_waking has an instant "woken by ..." at its end with
 * the waker's callstack; a coroutine park mark has the parking user stack.
 *
 * Switches and wakings go in the bundle's compact_sched columns
 * (out_perfetto_sched.c), several times smaller than full events, where
 * trace_processor reads them as it would the full event (put_switch,
 * compact_waking); the others stay full events.
 *
 * Clocks: our timestamps are CLOCK_MONOTONIC. Ftrace events are read as
 * BOOTTIME by Perfetto, so a ClockSnapshot gives both clocks the same value
 * at the recording start and makes MONOTONIC the trace's clock: the
 * timestamps Perfetto shows are the recorded ones. (BOOTTIME runs ahead of
 * MONOTONIC by the time the machine was suspended; we do not know that
 * offset and do not need it.) */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "out_perfetto_sched.h"
#include "out_perfetto_stacks.h"
#include "perfetto_trace.pb-c.h"
#include "ss.h"
#include "trigger_desc.h"

#define P(x) Perfetto__Protos__##x

#define BATCH		256	/* ftrace events per bundle */
#define PEND		64	/* tasks per ProcessTree written on the way */
#define GROUP		8	/* compact events of a CPU at one timestamp */
#define IDLE_PRIO	120	/* the idle task's prio in sched_switch */
/* prev_state of a switch added at a gap, where the trace does not say what
 * the task did: S. Its next event is then a wakeup, which trace_processor
 * takes (S -> R -> Running), or a switch-in, which ends the S state. With R
 * it would drop that wakeup (ThreadStateTracker::PushWakingEvent wakes only
 * blocked threads) and show the whole sleep as run-queue wait; an invalid
 * state counts as task_state_invalid, an import error. */
#define GAP_STATE	SS_TASK_INTERRUPTIBLE
#define SEQ_FTRACE	1
#define SEQ_TRACK	2
#define CLOCK_MONO	PERFETTO__PROTOS__BUILTIN_CLOCK__BUILTIN_CLOCK_MONOTONIC
#define CLOCK_BOOT	PERFETTO__PROTOS__BUILTIN_CLOCK__BUILTIN_CLOCK_BOOTTIME
/* Track uuids: ours, tagged so as not to meet other producers' uuids. */
#define UUID_TAG	0x5353000000000000ull
#define UUID_THREAD(t)	(UUID_TAG | (uint64_t)(t))
#define UUID_CORO(t)	(UUID_TAG | 1ull << 32 | (uint64_t)(t))
#define UUID_LOST	(UUID_TAG | 2ull << 32)
#define UUID_OFFCPU(t)	(UUID_TAG | 3ull << 32 | (uint64_t)(t))
#define UUID_TRIGGER	(UUID_TAG | 4ull << 32)
/* sched_switch prev_state bits of a dying task (TASK_REPORT). */
#define KS_R_DEAD	0x10
#define KS_R_ZOMBIE	0x20

struct pev {
	P(FtraceEvent) ev;
	union {
		P(SchedSwitchFtraceEvent) sw;
		P(SchedWakingFtraceEvent) waking;
		P(SchedWakeupFtraceEvent) wakeup;
		P(SchedWakeupNewFtraceEvent) wnew;
		P(TaskNewtaskFtraceEvent) newtask;
		P(TaskRenameFtraceEvent) rename;
		P(SchedProcessExecFtraceEvent) exec;
		P(SchedProcessExitFtraceEvent) exit;
	} u;
	char s1[SS_COMM_LEN], s2[SS_COMM_LEN];
	char path[SS_PATH_LEN];
};

/* A switch, with what its full event says. */
struct pf_sw {
	uint32_t prev_tid, prev_tgid, next_tid, next_tgid;
	int32_t prev_prio, next_prio;
	uint64_t prev_state;	/* TASK_REPORT bits */
};

/* An event in compact_sched, kept until its CPU has an event at a later
 * time: compact_slot may have to write it again as a full event. */
struct pf_grouped {
	uint64_t last;		/* its column's `last` before it */
	union {
		struct pf_sw sw;
		struct ss_wakeup wk;
	} u;
};

struct cpubuf {
	struct pev ev[BATCH];
	P(FtraceEvent) *ptr[BATCH];
	size_t n;
	struct pf_compact c;	/* the bundle's compact_sched */
	/* The events of this CPU at grp_ts (see compact_slot): full ones, or
	 * the ngrp compact ones in grp, all switches or all wakings. */
	uint64_t grp_ts;
	uint8_t grp_open, grp_full, grp_switch;
	uint8_t ngrp;
	struct pf_grouped grp[GROUP];
	uint64_t last_ts;	/* of the last event written for this CPU */
	/* The task the last sched_switch written for this CPU put on it. */
	uint8_t has_last;
	uint32_t last_tid, last_tgid;
	int32_t last_prio;
};

/* What the sink keeps per task; struct xthread.out_idx indexes it. */
struct pf_task {
	uint64_t exit_ts;	/* ns, absolute: its exit (UINT64_MAX: none seen) */
	uint32_t on_cpu;	/* 1 + the CPU our switches put it on (0: none) */
	uint8_t described;	/* a ProcessTree entry gives its tid and tgid */
	uint8_t tracks;		/* its coroutine track descriptors were written */
	uint8_t offcpu_track;	/* its off-CPU stacks track descriptor too */
};

/* A ProcessTree entry waiting to be written. */
struct pf_desc {
	uint32_t tid, tgid;
	uint8_t process;	/* also a Process entry (the leader), named comm */
	char comm[SS_COMM_LEN];
};

struct pf_sink {
	struct xsink s;
	struct xmodel *m;
	struct cpubuf *cpu;	/* [ncpu] */
	uint8_t *buf;
	size_t cap;
	int full;		/* no compact_sched (SS_PERFETTO_FULL=1) */
	int track_seq_started;
	int lost_track;
	int trigger_track;
	int nomem;
	struct pf_task *task;
	size_t ntask, task_cap;
	struct pf_desc pend[PEND];
	size_t npend;
	uint64_t pend_ts;	/* when the first pending task was seen */
	struct pfs *stacks;	/* the trace has stacks */
};

/* One `packet` field of Trace: tag, length, then the packet. */
static void put_packet(struct pf_sink *p, P(TracePacket) *pk)
{
	size_t len = protobuf_c_message_get_packed_size(&pk->base), n = 0;

	if (len + 16 > p->cap) {
		size_t cap = (len + 16) * 2;
		uint8_t *b = realloc(p->buf, cap);

		if (!b) {
			p->nomem = 1;
			return;
		}
		p->buf = b;
		p->cap = cap;
	}
	p->buf[n++] = 0x0a;	/* field 1, length-delimited */
	for (size_t v = len; ; v >>= 7) {
		p->buf[n++] = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
		if (v <= 0x7f)
			break;
	}
	n += protobuf_c_message_pack(&pk->base, p->buf + n);
	fwrite(p->buf, 1, n, p->s.out);
}

/* The pending ProcessTree entries, as of when the first was seen. A
 * Process entry needs a cmdline (trace_processor skips it otherwise): its
 * first element is the name shown, the leader's comm. */
static void flush_pend(struct pf_sink *p)
{
	P(TracePacket) pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	P(ProcessTree) tree = PERFETTO__PROTOS__PROCESS_TREE__INIT;
	P(ProcessTree__Process) pr[PEND], *prp[PEND];
	P(ProcessTree__Thread) th[PEND], *thp[PEND];
	char *cmd[PEND];

	if (!p->npend)
		return;
	for (size_t i = 0; i < p->npend; i++) {
		struct pf_desc *d = &p->pend[i];

		th[i] = (P(ProcessTree__Thread))PERFETTO__PROTOS__PROCESS_TREE__THREAD__INIT;
		th[i].has_tid = th[i].has_tgid = 1;
		th[i].tid = d->tid;
		th[i].tgid = d->tgid;
		th[i].name = d->comm[0] ? d->comm : NULL;
		thp[i] = &th[i];
		if (!d->process)
			continue;
		pr[tree.n_processes] = (P(ProcessTree__Process))PERFETTO__PROTOS__PROCESS_TREE__PROCESS__INIT;
		pr[tree.n_processes].has_pid = 1;
		pr[tree.n_processes].pid = d->tgid;
		cmd[tree.n_processes] = d->comm;
		pr[tree.n_processes].n_cmdline = 1;
		pr[tree.n_processes].cmdline = &cmd[tree.n_processes];
		prp[tree.n_processes] = &pr[tree.n_processes];
		tree.n_processes++;
	}
	tree.processes = prp;
	tree.n_threads = p->npend;
	tree.threads = thp;
	pk.has_timestamp = 1;
	pk.timestamp = p->pend_ts;
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_PROCESS_TREE;
	pk.process_tree = &tree;
	put_packet(p, &pk);
	p->npend = 0;
}

static void flush_cpu(struct pf_sink *p, uint32_t c)
{
	struct cpubuf *cb = &p->cpu[c];
	P(FtraceEventBundle) b = PERFETTO__PROTOS__FTRACE_EVENT_BUNDLE__INIT;
	P(FtraceEventBundle__CompactSched) cs =
		PERFETTO__PROTOS__FTRACE_EVENT_BUNDLE__COMPACT_SCHED__INIT;
	P(TracePacket) pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;

	if (!cb->n && pfc_empty(&cb->c))
		return;
	/* The tasks the bundle names are described before it in the file. */
	flush_pend(p);
	b.has_cpu = 1;
	b.cpu = c;
	b.n_event = cb->n;
	b.event = cb->ptr;
	if (!pfc_empty(&cb->c)) {
		pfc_message(&cb->c, &cs);
		b.compact_sched = &cs;
	}
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_FTRACE_EVENTS;
	pk.ftrace_events = &b;
	pk.optional_trusted_packet_sequence_id_case =
		PERFETTO__PROTOS__TRACE_PACKET__OPTIONAL_TRUSTED_PACKET_SEQUENCE_ID_TRUSTED_PACKET_SEQUENCE_ID;
	pk.trusted_packet_sequence_id = SEQ_FTRACE;
	put_packet(p, &pk);
	cb->n = 0;
	pfc_clear(&cb->c);
}

/* src is a record's fixed-size field (maybe not terminated) or a string
 * literal shorter than the field: read no further than its end. */
static void copy_comm(char *dst, const char *src)
{
	size_t n = strnlen(src, SS_COMM_LEN - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static struct pf_task *task_of(struct pf_sink *p, struct xthread *t)
{
	if (t->out_idx < 0) {
		if (p->ntask == p->task_cap) {
			size_t cap = p->task_cap ? p->task_cap * 2 : 256;
			struct pf_task *n = realloc(p->task, cap * sizeof(*n));

			if (!n) {
				p->nomem = 1;
				return NULL;
			}
			p->task = n;
			p->task_cap = cap;
		}
		p->task[p->ntask] = (struct pf_task){ .exit_ts = UINT64_MAX };
		t->out_idx = p->ntask++;
	}
	return &p->task[t->out_idx];
}

/* Queue a ProcessTree entry for tid: its process, its name (if known) and,
 * for a leader, the Process entry that names the process. */
static void pend(struct pf_sink *p, uint32_t tid, uint32_t tgid,
		 const char *comm, int process, uint64_t ts)
{
	struct pf_desc *d = NULL;

	/* A newer name for a task already pending replaces the older one. */
	for (size_t i = 0; i < p->npend && !d; i++)
		if (p->pend[i].tid == tid && p->pend[i].tgid == tgid)
			d = &p->pend[i];
	if (!d) {
		if (p->npend == PEND)
			flush_pend(p);
		if (!p->npend)
			p->pend_ts = ts;
		d = &p->pend[p->npend++];
	}
	d->tid = tid;
	d->tgid = tgid;
	copy_comm(d->comm, comm);
	d->process = process && d->comm[0];
}

/* Every task an event names gets a ProcessTree entry, once: without it
 * trace_processor knows an untraced task by its tid alone (no process, and
 * no name but the comm of the switches we write, which we may not know). */
static struct xthread *task_seen(struct pf_sink *p, uint32_t tid, uint32_t tgid,
				 uint64_t ts)
{
	struct xthread *t;
	struct pf_task *k;

	if (!tid)
		return NULL;
	t = xmodel_thread(p->m, tid, tgid);
	if (!t || !(k = task_of(p, t)) || k->described)
		return t;
	k->described = 1;
	pend(p, t->tid, t->tgid, t->comm, t->tid == t->tgid, ts);
	return t;
}

static const char *comm_of(struct pf_sink *p, uint32_t tid, uint32_t tgid,
			   uint64_t ts)
{
	struct xthread *t;

	if (!tid)
		return "swapper";
	t = task_seen(p, tid, tgid, ts);
	return t ? t->comm : "";
}

/* The task died at ts (its exit, or a switch-out as dead). */
static void task_exit(struct pf_sink *p, uint32_t tid, uint32_t tgid, uint64_t ts)
{
	struct xthread *t = task_seen(p, tid, tgid, ts);
	struct pf_task *k = t ? task_of(p, t) : NULL;

	if (k && ts < k->exit_ts)
		k->exit_ts = ts;
}

static void regroup(struct pf_sink *p, uint32_t cpu);

static struct pev *new_event(struct pf_sink *p, uint32_t cpu, uint64_t ts,
			     uint32_t pid)
{
	struct cpubuf *cb = &p->cpu[cpu];
	struct pev *e;

	if (!cb->grp_open || cb->grp_ts != ts) {
		cb->grp_open = cb->grp_full = 1;
		cb->grp_ts = ts;
		cb->ngrp = 0;
	} else if (!cb->grp_full) {
		regroup(p, cpu);
	}
	e = &cb->ev[cb->n];
	e->ev = (P(FtraceEvent))PERFETTO__PROTOS__FTRACE_EVENT__INIT;
	e->ev.has_timestamp = 1;
	e->ev.timestamp = ts;
	e->ev.has_pid = 1;
	e->ev.pid = pid;
	cb->ptr[cb->n++] = &e->ev;
	cb->last_ts = ts;
	p->s.items++;
	return e;
}

/* Where a compact event of the CPU at ts goes: a slot to keep it in (the
 * caller appends it to the columns), or NULL when it must be a full event.
 * trace_processor queues a CPU's compact switches, compact wakings and
 * full events apart (ProtoImporterModuleContext::PushInlineSchedSwitch,
 * ...Waking, PushFtraceEvent), each queue in file order, and takes equal
 * timestamps from the queue it made first (TraceSorter::
 * SortAndExtractEventsUntilAllocId), which depends on what came first in
 * the whole file. So the events of a CPU at one timestamp are all in one
 * queue: compact ones of one kind, or else all full, the compact ones
 * written so far taken off the columns and written again as full events
 * (regroup). A bundle is written before an event at a new timestamp if it
 * has no room for GROUP more. */
static struct pf_grouped *compact_slot(struct pf_sink *p, uint32_t cpu, uint64_t ts,
				       int is_switch)
{
	struct cpubuf *cb = &p->cpu[cpu];

	if (!cb->grp_open || cb->grp_ts != ts) {
		if (!pfc_room(&cb->c, GROUP))
			flush_cpu(p, cpu);
		cb->grp_open = 1;
		cb->grp_full = cb->ngrp = 0;
		cb->grp_ts = ts;
		cb->grp_switch = is_switch;
	} else if (cb->grp_full) {
		return NULL;
	} else if (cb->grp_switch != is_switch || cb->ngrp == GROUP) {
		regroup(p, cpu);
		return NULL;
	}
	cb->last_ts = ts;
	p->s.items++;
	return &cb->grp[cb->ngrp++];
}

static void done_event(struct pf_sink *p, uint32_t cpu)
{
	if (p->cpu[cpu].n == BATCH)
		flush_cpu(p, cpu);
}

/* Kernel prio as the tracepoint gives it (-1 for deadline tasks). */
static int32_t prio(uint8_t v)
{
	return v == 255 ? -1 : v;
}

static int want(struct pf_sink *p, uint32_t tgid)
{
	const struct ss_export_opts *o = p->m->opts;

	if (!o->npids)
		return 1;
	for (size_t i = 0; i < o->npids; i++)
		if (o->pids[i] == tgid)
			return 1;
	return 0;
}

static void full_switch(struct pf_sink *p, uint32_t cpu, uint64_t ts,
			const struct pf_sw *sw)
{
	struct pev *e = new_event(p, cpu, ts, sw->prev_tid);
	P(SchedSwitchFtraceEvent) *x = &e->u.sw;

	*x = (P(SchedSwitchFtraceEvent))PERFETTO__PROTOS__SCHED_SWITCH_FTRACE_EVENT__INIT;
	copy_comm(e->s1, comm_of(p, sw->prev_tid, sw->prev_tgid, ts));
	copy_comm(e->s2, comm_of(p, sw->next_tid, sw->next_tgid, ts));
	x->prev_comm = e->s1;
	x->next_comm = e->s2;
	x->has_prev_pid = x->has_prev_prio = x->has_prev_state = 1;
	x->has_next_pid = x->has_next_prio = 1;
	x->prev_pid = sw->prev_tid;
	x->prev_prio = sw->prev_prio;
	x->prev_state = sw->prev_state;
	x->next_pid = sw->next_tid;
	x->next_prio = sw->next_prio;
	e->ev.event_case = PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_SWITCH;
	e->ev.sched_switch = x;
	done_event(p, cpu);
}

/* One sched_switch; the caller makes it follow the CPU's last one. A
 * compact switch has no prev_* fields: trace_processor takes prev_pid and
 * prev_prio from the CPU's previous switch (its next_pid and next_prio) and
 * drops the first compact switch of a CPU
 * (FtraceSchedEventTracker::PushSchedSwitchCompact). So the CPU's first
 * switch, and one whose prev_prio differs from the next_prio that put the
 * task on the CPU, are full events. */
static void put_switch(struct pf_sink *p, uint32_t cpu, uint64_t ts,
		       uint32_t prev_tid, uint32_t prev_tgid, int32_t prev_prio,
		       uint64_t prev_state, uint32_t next_tid, uint32_t next_tgid,
		       int32_t next_prio)
{
	struct cpubuf *cb = &p->cpu[cpu];
	struct pf_sw sw = {
		.prev_tid = prev_tid, .prev_tgid = prev_tgid, .prev_prio = prev_prio,
		.prev_state = prev_state, .next_tid = next_tid, .next_tgid = next_tgid,
		.next_prio = next_prio,
	};
	struct pf_grouped *g = NULL;

	if (!p->full && cb->has_last && cb->last_tid == prev_tid && cb->last_prio == prev_prio)
		g = compact_slot(p, cpu, ts, 1);
	cb->has_last = 1;
	cb->last_tid = next_tid;
	cb->last_tgid = next_tgid;
	cb->last_prio = next_prio;
	if (!g) {
		full_switch(p, cpu, ts, &sw);
		return;
	}
	g->last = cb->c.sw.last;
	g->u.sw = sw;
	comm_of(p, prev_tid, prev_tgid, ts);
	if (pfc_switch(&cb->c, ts, prev_state, next_tid, next_prio,
		       comm_of(p, next_tid, next_tgid, ts)) < 0)
		p->nomem = 1;
}

/* The other gap: a task switches in on this CPU (by a switch in the trace
 * or one added at a gap) while the chain of the CPU it was last put on
 * still has it (switches not in the trace took it off there). Left so,
 * trace_processor shows it on both CPUs, and the switch that later closes
 * the old CPU's slice ends its Running state here and opens one that stays
 * open (ThreadStateTracker::PushSchedSwitchEvent). So it leaves the old CPU
 * first, 1 ns before it arrives here, for idle: what ran there after it is
 * not in the trace (the CPU's next switch fills the chain from idle, as
 * gap_switch does). */
static void take_off(struct pf_sink *p, uint32_t cpu, uint64_t ts,
		     uint32_t tid, uint32_t tgid)
{
	struct xthread *t = tid ? xmodel_thread(p->m, tid, tgid) : NULL;
	struct pf_task *k = t ? task_of(p, t) : NULL;
	struct cpubuf *old;
	uint64_t at;

	if (!k)
		return;
	if (k->on_cpu && k->on_cpu != cpu + 1) {
		old = &p->cpu[k->on_cpu - 1];
		at = ts - 1 > old->last_ts ? ts - 1 : old->last_ts;
		if (old->has_last && old->last_tid == tid)
			put_switch(p, k->on_cpu - 1, at, tid, tgid, old->last_prio,
				   GAP_STATE, 0, 0, IDLE_PRIO);
	}
	k->on_cpu = cpu + 1;
}

/* A gap in the CPU's chain: the last switch written put last_tid on the CPU
 * but this one takes sw->prev_tid off it, because switches between tasks
 * not traced (or lost records) are not in the trace. trace_processor ends a
 * CPU slice only at a switch whose prev_pid is the next_pid of the CPU's
 * previous one (FtraceSchedEventTracker::PushSchedSwitch; otherwise it
 * counts mismatched_sched_switch_tids, an import error, and leaves the
 * slice, and the task's Running thread state, open to the end of the
 * trace). So we write the
 * switch the chain misses, last_tid -> prev_tid, at this switch's time and
 * before it in the bundle: equal timestamps keep their order in the file
 * (TraceSorter orders by ts, then position). The earlier task's slice ends
 * where the HTML viewer ends it ("taken off by a switch not in the trace"),
 * prev_tid's lasts 0 ns, and prev_state is GAP_STATE. A compact switch has
 * no prev_pid to mismatch, but without the added one it would end
 * last_tid's slice with prev_tid's prev_state and never put prev_tid on
 * the CPU: the added switch is needed there as well. */
static void gap_switch(struct pf_sink *p, uint32_t cpu, uint64_t ts,
		       const struct ss_switch *sw)
{
	struct cpubuf *cb = &p->cpu[cpu];

	take_off(p, cpu, ts, sw->prev_tid, sw->prev_tgid);
	put_switch(p, cpu, ts, cb->last_tid, cb->last_tgid, cb->last_prio, GAP_STATE,
		   sw->prev_tid, sw->prev_tgid, prio(sw->prev_prio));
}

/* The wakeup family shares one layout in Perfetto as in our records. */
#define FILL_WAKE(x, w, name) do {					\
	(x).comm = (name);						\
	(x).has_pid = (x).has_prio = (x).has_success = (x).has_target_cpu = 1; \
	(x).pid = (w)->tid;						\
	(x).prio = prio((w)->prio);					\
	(x).success = 1;						\
	(x).target_cpu = (w)->target_cpu;				\
} while (0)

static void full_wake(struct pf_sink *p, uint32_t cpu, const struct ss_wakeup *w)
{
	uint64_t ts = w->hdr.ts;
	struct pev *e = new_event(p, cpu, ts, w->waker_tid);

	copy_comm(e->s1, comm_of(p, w->tid, w->tgid, ts));
	if (w->hdr.type == SS_EV_WAKING) {
		e->u.waking = (P(SchedWakingFtraceEvent))
			PERFETTO__PROTOS__SCHED_WAKING_FTRACE_EVENT__INIT;
		FILL_WAKE(e->u.waking, w, e->s1);
		e->ev.event_case = PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_WAKING;
		e->ev.sched_waking = &e->u.waking;
	} else if (w->hdr.type == SS_EV_WAKEUP) {
		e->u.wakeup = (P(SchedWakeupFtraceEvent))
			PERFETTO__PROTOS__SCHED_WAKEUP_FTRACE_EVENT__INIT;
		FILL_WAKE(e->u.wakeup, w, e->s1);
		e->ev.event_case = PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_WAKEUP;
		e->ev.sched_wakeup = &e->u.wakeup;
	} else {
		e->u.wnew = (P(SchedWakeupNewFtraceEvent))
			PERFETTO__PROTOS__SCHED_WAKEUP_NEW_FTRACE_EVENT__INIT;
		FILL_WAKE(e->u.wnew, w, e->s1);
		e->ev.event_case = PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_WAKEUP_NEW;
		e->ev.sched_wakeup_new = &e->u.wnew;
	}
	done_event(p, cpu);
}

/* A wakeup; a sched_waking in compact_sched if that says what the full
 * event would. trace_processor takes a compact waking's waker to be the
 * task the CPU's last switch put on it, which must then be the recorded
 * waker, drops it on a CPU without a switch before it, and reads its prio
 * as a uint16_t, which -1 (deadline) is not (PushSchedWakingCompact). */
static void put_wake(struct pf_sink *p, uint32_t cpu, const struct ss_wakeup *w)
{
	struct cpubuf *cb = &p->cpu[cpu];
	uint64_t ts = w->hdr.ts;
	struct pf_grouped *g = NULL;

	if (w->hdr.type == SS_EV_WAKING && !p->full && cb->has_last &&
	    cb->last_tid == w->waker_tid && prio(w->prio) >= 0)
		g = compact_slot(p, cpu, ts, 0);
	if (!g) {
		full_wake(p, cpu, w);
		return;
	}
	g->last = cb->c.wk.last;
	g->u.wk = *w;
	if (pfc_waking(&cb->c, ts, w->tid, w->target_cpu, prio(w->prio),
		       comm_of(p, w->tid, w->tgid, ts)) < 0)
		p->nomem = 1;
}

/* The CPU's compact events at grp_ts again, as full events (compact_slot):
 * the events after them at that time are full too. */
static void regroup(struct pf_sink *p, uint32_t cpu)
{
	struct cpubuf *cb = &p->cpu[cpu];
	struct pf_grouped g[GROUP];
	size_t n = cb->ngrp;

	memcpy(g, cb->grp, n * sizeof(*g));
	cb->grp_full = 1;
	cb->ngrp = 0;
	for (size_t i = n; i-- > 0;)
		pfc_unappend(&cb->c, cb->grp_switch, g[i].last);
	p->s.items -= n;
	for (size_t i = 0; i < n; i++) {
		if (cb->grp_switch)
			full_switch(p, cpu, cb->grp_ts, &g[i].u.sw);
		else
			full_wake(p, cpu, &g[i].u.wk);
	}
}

static void pf_record(struct xsink *s, const struct ss_hdr *h)
{
	struct pf_sink *p = (struct pf_sink *)s;
	struct xmodel *m = p->m;
	uint32_t cpu = h->cpu;
	struct pev *e;

	if (cpu >= m->ncpu)
		return;
	switch (h->type) {
	case SS_EV_SWITCH: {
		const struct ss_switch *sw = (const void *)h;
		struct cpubuf *cb = &p->cpu[cpu];
		uint64_t st;

		if (!want(p, sw->prev_tgid) && !want(p, sw->next_tgid))
			return;
		if (cb->has_last && cb->last_tid != sw->prev_tid)
			gap_switch(p, cpu, h->ts, sw);
		take_off(p, cpu, h->ts, sw->next_tid, sw->next_tgid);
		st = xs_report_state(sw->prev_state, sw->flags & SS_SW_PREEMPT);
		put_switch(p, cpu, h->ts, sw->prev_tid, sw->prev_tgid, prio(sw->prev_prio),
			   st, sw->next_tid, sw->next_tgid, prio(sw->next_prio));
		if (st & (KS_R_DEAD | KS_R_ZOMBIE))
			task_exit(p, sw->prev_tid, sw->prev_tgid, h->ts);
		return;
	}
	case SS_EV_WAKING:
	case SS_EV_WAKEUP:
	case SS_EV_WAKEUP_NEW: {
		const struct ss_wakeup *w = (const void *)h;

		if (!want(p, w->tgid))
			return;
		task_seen(p, w->waker_tid, w->waker_tgid, h->ts);
		put_wake(p, cpu, w);
		return;
	}
	case SS_EV_NEWTASK: {
		const struct ss_newtask *n = (const void *)h;
		P(TaskNewtaskFtraceEvent) *x;

		if (!want(p, n->tgid) && !want(p, n->parent_tgid))
			return;
		/* The parent. The child needs no entry: task_newtask makes it
		 * a thread of the parent's process or a new process. */
		task_seen(p, n->parent_tid, n->parent_tgid, h->ts);
		e = new_event(p, cpu, h->ts, n->parent_tid);
		x = &e->u.newtask;
		*x = (P(TaskNewtaskFtraceEvent))PERFETTO__PROTOS__TASK_NEWTASK_FTRACE_EVENT__INIT;
		copy_comm(e->s1, n->comm);
		x->comm = e->s1;
		x->has_pid = x->has_clone_flags = x->has_oom_score_adj = 1;
		x->pid = n->tid;
		x->clone_flags = n->clone_flags;
		e->ev.event_case = PERFETTO__PROTOS__FTRACE_EVENT__EVENT_TASK_NEWTASK;
		e->ev.task_newtask = x;
		break;
	}
	case SS_EV_COMM: {
		const struct ss_comm *c = (const void *)h;
		P(TaskRenameFtraceEvent) *x;

		if (!want(p, c->tgid))
			return;
		e = new_event(p, cpu, h->ts, c->tid);
		x = &e->u.rename;
		*x = (P(TaskRenameFtraceEvent))PERFETTO__PROTOS__TASK_RENAME_FTRACE_EVENT__INIT;
		/* Called before the model renames the thread: old name. */
		copy_comm(e->s1, comm_of(p, c->tid, c->tgid, h->ts));
		copy_comm(e->s2, c->comm);
		/* A ProcessTree name outranks a rename (ThreadNamePriority):
		 * the new name goes in one too. */
		pend(p, c->tid, c->tgid, c->comm, c->tid == c->tgid, h->ts);
		x->oldcomm = e->s1;
		x->newcomm = e->s2;
		x->has_pid = 1;
		x->pid = c->tid;
		e->ev.event_case = PERFETTO__PROTOS__FTRACE_EVENT__EVENT_TASK_RENAME;
		e->ev.task_rename = x;
		break;
	}
	case SS_EV_EXEC: {
		const struct ss_exec *x0 = (const void *)h;
		P(SchedProcessExecFtraceEvent) *x;

		if (!want(p, x0->tgid))
			return;
		e = new_event(p, cpu, h->ts, x0->tid);
		x = &e->u.exec;
		*x = (P(SchedProcessExecFtraceEvent))PERFETTO__PROTOS__SCHED_PROCESS_EXEC_FTRACE_EVENT__INIT;
		memcpy(e->path, x0->filename, SS_PATH_LEN);
		e->path[SS_PATH_LEN - 1] = 0;
		x->filename = e->path;
		x->has_pid = x->has_old_pid = 1;
		x->pid = x0->tid;
		x->old_pid = x0->old_tid;
		e->ev.event_case = PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_PROCESS_EXEC;
		e->ev.sched_process_exec = x;
		/* The new name arrives as a rename, as the kernel does it. */
		done_event(p, cpu);
		e = new_event(p, cpu, h->ts, x0->tid);
		e->u.rename = (P(TaskRenameFtraceEvent))PERFETTO__PROTOS__TASK_RENAME_FTRACE_EVENT__INIT;
		copy_comm(e->s1, comm_of(p, x0->tid, x0->tgid, h->ts));
		copy_comm(e->s2, x0->comm);
		/* exec names the process too (the leader's Process entry). */
		pend(p, x0->tid, x0->tgid, x0->comm, x0->tid == x0->tgid, h->ts);
		e->u.rename.oldcomm = e->s1;
		e->u.rename.newcomm = e->s2;
		e->u.rename.has_pid = 1;
		e->u.rename.pid = x0->tid;
		e->ev.event_case = PERFETTO__PROTOS__FTRACE_EVENT__EVENT_TASK_RENAME;
		e->ev.task_rename = &e->u.rename;
		break;
	}
	case SS_EV_EXIT: {
		const struct ss_exit *x0 = (const void *)h;
		P(SchedProcessExitFtraceEvent) *x;

		if (!want(p, x0->tgid))
			return;
		task_exit(p, x0->tid, x0->tgid, h->ts);
		e = new_event(p, cpu, h->ts, x0->tid);
		x = &e->u.exit;
		*x = (P(SchedProcessExitFtraceEvent))PERFETTO__PROTOS__SCHED_PROCESS_EXIT_FTRACE_EVENT__INIT;
		copy_comm(e->s1, comm_of(p, x0->tid, x0->tgid, h->ts));
		x->comm = e->s1;
		x->has_pid = x->has_tgid = 1;
		x->pid = x0->tid;
		x->tgid = x0->tgid;
		e->ev.event_case = PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_PROCESS_EXIT;
		e->ev.sched_process_exit = x;
		break;
	}
	default:
		return;
	}
	done_event(p, cpu);
}

static void track_packet(struct pf_sink *p, P(TracePacket) *pk)
{
	pk->optional_trusted_packet_sequence_id_case =
		PERFETTO__PROTOS__TRACE_PACKET__OPTIONAL_TRUSTED_PACKET_SEQUENCE_ID_TRUSTED_PACKET_SEQUENCE_ID;
	pk->trusted_packet_sequence_id = SEQ_TRACK;
	if (!p->track_seq_started) {
		pk->has_sequence_flags = 1;
		pk->sequence_flags |= 1;	/* SEQ_INCREMENTAL_STATE_CLEARED */
		pk->has_first_packet_on_sequence = 1;
		pk->first_packet_on_sequence = 1;
		p->track_seq_started = 1;
	}
	put_packet(p, pk);
}

static void descriptor(struct pf_sink *p, uint64_t uuid, uint64_t parent,
		       const char *name, struct xthread *t)
{
	P(TracePacket) pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	P(TrackDescriptor) d = PERFETTO__PROTOS__TRACK_DESCRIPTOR__INIT;
	P(ThreadDescriptor) td = PERFETTO__PROTOS__THREAD_DESCRIPTOR__INIT;

	d.has_uuid = 1;
	d.uuid = uuid;
	if (parent) {
		d.has_parent_uuid = 1;
		d.parent_uuid = parent;
	}
	d.name = (char *)name;
	if (t) {
		td.has_pid = td.has_tid = 1;
		td.pid = t->tgid;
		td.tid = t->tid;
		td.thread_name = t->comm;
		d.thread = &td;
	}
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_DESCRIPTOR;
	pk.track_descriptor = &d;
	track_packet(p, &pk);
}

/* The thread's track, once per thread. */
static void thread_track(struct pf_sink *p, struct xthread *t, struct pf_task *k)
{
	if (!k->tracks && !k->offcpu_track)
		descriptor(p, UUID_THREAD(t->tid), 0, NULL, t);
}

/* The thread's track and its coroutine track, once per thread. */
static void coro_track(struct pf_sink *p, struct xthread *t)
{
	struct pf_task *k = task_of(p, t);
	char name[64];

	if (!k || k->tracks)
		return;
	thread_track(p, t, k);
	k->tracks = 1;
	snprintf(name, sizeof(name), "coroutines (%s %u)", t->comm, t->tid);
	descriptor(p, UUID_CORO(t->tid), UUID_THREAD(t->tid), name, NULL);
}

/* A track event with a callstack (0: none) and its weight (< 0: none). */
static void stack_event(struct pf_sink *p, uint64_t ts, uint64_t uuid, int type,
			const char *name, const char *cat, P(DebugAnnotation) **ann,
			size_t nann, uint64_t callstack, double weight)
{
	P(TracePacket) pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	P(TrackEvent) te = PERFETTO__PROTOS__TRACK_EVENT__INIT;
	char *cats[] = { (char *)cat };
	uint64_t cat_iid;

	pk.has_timestamp = pk.has_timestamp_clock_id = 1;
	pk.timestamp = ts;
	pk.timestamp_clock_id = CLOCK_MONO;
	te.has_type = te.has_track_uuid = 1;
	te.type = type;
	te.track_uuid = uuid;
	if (name && callstack) {
		/* one per off-CPU interval: names and categories by iid */
		te.name_field_case = PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME_IID;
		te.name_iid = pfs_event_name(p->stacks, name);
		cat_iid = pfs_category(p->stacks, cat);
		te.n_category_iids = 1;
		te.category_iids = &cat_iid;
	} else if (name) {
		te.name_field_case = PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME;
		te.name = (char *)name;
		te.n_categories = 1;
		te.categories = cats;
	}
	te.n_debug_annotations = nann;
	te.debug_annotations = ann;
	if (callstack) {
		te.has_callstack_iid = 1;
		te.callstack_iid = callstack;
		pk.interned_data = pfs_take(p->stacks);
		pk.has_sequence_flags = 1;
		pk.sequence_flags = 2;	/* SEQ_NEEDS_INCREMENTAL_STATE */
	}
	if (weight >= 0) {
		te.has_callstack_weight = 1;
		te.callstack_weight = weight;
	}
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT;
	pk.track_event = &te;
	track_packet(p, &pk);
	p->s.items++;
}

static void track_event(struct pf_sink *p, uint64_t ts, uint64_t uuid, int type,
			const char *name, P(DebugAnnotation) **ann, size_t nann)
{
	stack_event(p, ts, uuid, type, name, "coroutine", ann, nann, 0, -1);
}

static void annot(P(DebugAnnotation) *a, const char *name, uint64_t v)
{
	*a = (P(DebugAnnotation))PERFETTO__PROTOS__DEBUG_ANNOTATION__INIT;
	a->name_field_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__NAME_FIELD_NAME;
	a->name = (char *)name;
	a->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_UINT_VALUE;
	a->uint_value = v;
}

/* A sleeping or runnable interval under the stacks that began it, and
 * the waker's stacks where a waking ended it. */
static void offcpu_slice(struct pf_sink *p, const struct xslice *sl, uint64_t t0, uint64_t t1)
{
	const struct xstacks *k = &sl->stk;
	struct pf_task *task;
	uint64_t cs;
	char name[64];

	if (!p->stacks || (!k->k && !k->u && !k->wk && !k->wu) || !(task = task_of(p, sl->t)))
		return;
	if (!task->offcpu_track) {
		thread_track(p, sl->t, task);
		task->offcpu_track = 1;
		snprintf(name, sizeof(name), "off-CPU stacks (%s %u)", sl->t->comm, sl->t->tid);
		descriptor(p, UUID_OFFCPU(sl->t->tid), UUID_THREAD(sl->t->tid), name, NULL);
	}
	cs = pfs_callstack(p->stacks, sl->t->tgid, k->k, k->u);
	stack_event(p, t0, UUID_OFFCPU(sl->t->tid), PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN,
		    sl->kind == XK_SLEEP ? "sleeping" : "runnable", "offcpu", NULL, 0, cs,
		    (double)(t1 - t0));
	stack_event(p, t1, UUID_OFFCPU(sl->t->tid), PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END,
		    NULL, NULL, NULL, 0, 0, -1);
	if (sl->kind != XK_SLEEP || (!k->wk && !k->wu))
		return;
	if (k->waker)
		snprintf(name, sizeof(name), "woken by %s %u", k->waker->comm, k->waker->tid);
	else
		snprintf(name, sizeof(name), "woken by irq/idle");
	cs = pfs_callstack(p->stacks, k->wtgid, k->wk, k->wu);
	stack_event(p, t1, UUID_OFFCPU(sl->t->tid), PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT,
		    name, "waker", NULL, 0, cs, -1);
}

static void pf_slice(struct xsink *s, const struct xslice *sl)
{
	struct pf_sink *p = (struct pf_sink *)s;
	P(DebugAnnotation) a[2], *ap[2] = { &a[0], &a[1] };
	uint64_t t0 = p->m->start_ns + sl->t0, t1 = p->m->start_ns + sl->t1;
	struct pf_task *k;
	char name[40];

	/* Kernel slices are Perfetto's to derive from the ftrace events;
	 * off-CPU ones with stacks get their stacks' track. */
	if (sl->kind == XK_SLEEP || sl->kind == XK_WAIT) {
		offcpu_slice(p, sl, t0, t1);
		return;
	}
	if (sl->kind != XK_CORO)
		return;
	coro_track(p, sl->t);
	/* A coroutine still running when its thread exits ends there, not at
	 * the end of the recording. */
	k = task_of(p, sl->t);
	if (k && k->exit_ts < t1)
		t1 = k->exit_ts > t0 ? k->exit_ts : t0;
	if (sl->coro)
		snprintf(name, sizeof(name), "coro %llu", (unsigned long long)sl->coro);
	else
		snprintf(name, sizeof(name), "scheduler");
	annot(&a[0], "id", sl->coro);
	annot(&a[1], "switch_ns", sl->coro_dur);
	track_event(p, t0, UUID_CORO(sl->t->tid),
		    PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN, name, ap, 2);
	track_event(p, t1, UUID_CORO(sl->t->tid),
		    PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END, NULL, NULL, 0);
}

static void pf_mark(struct xsink *s, const struct xmark *mk)
{
	struct pf_sink *p = (struct pf_sink *)s;
	P(DebugAnnotation) a[2], *ap[2] = { &a[0], &a[1] };
	uint64_t ts = p->m->start_ns + mk->ts;
	char name[64];

	if (mk->kind == XM_LOST) {
		if (!p->lost_track) {
			descriptor(p, UUID_LOST, 0, "switchscope: lost records", NULL);
			p->lost_track = 1;
		}
		snprintf(name, sizeof(name), "lost %llu records on CPU %u",
			 (unsigned long long)mk->a, mk->cpu);
		annot(&a[0], "count", mk->a);
		annot(&a[1], "cpu", mk->cpu);
		track_event(p, ts, UUID_LOST,
			    PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT, name, ap, 2);
		return;
	}
	if (mk->kind == XM_TRIGGER) {
		if (!p->trigger_track) {
			descriptor(p, UUID_TRIGGER, 0, "switchscope: triggers", NULL);
			p->trigger_track = 1;
		}
		snprintf(name, sizeof(name), "trigger %s (tid %u)", ss_trigger_name(mk->b),
			 mk->t ? mk->t->tid : 0);
		annot(&a[0], "value_ns", mk->a);
		annot(&a[1], "tid", mk->t ? mk->t->tid : 0);
		track_event(p, ts, UUID_TRIGGER,
			    PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT, name, ap, 2);
		return;
	}
	if (mk->kind < XM_CORO_CREATE || mk->kind > XM_CORO_STATS)
		return;
	coro_track(p, mk->t);
	annot(&a[0], mk->kind == XM_CORO_STATS ? "switches" : "id", mk->a);
	annot(&a[1], mk->kind == XM_CORO_STATS ? "switch_ns" :
		     mk->kind == XM_CORO_CREATE ? "stack_size" :
		     mk->kind == XM_CORO_PARK ? "reason" : "by", mk->b);
	if (mk->kind == XM_CORO_PARK)
		snprintf(name, sizeof(name), "park coro %llu: %s",
			 (unsigned long long)mk->a, ss_park_reason_name(mk->b));
	else if (mk->kind == XM_CORO_STATS)
		snprintf(name, sizeof(name), "coro stats");
	else
		snprintf(name, sizeof(name), "%s %llu", xs_mark_name(mk->kind) + 5,
			 (unsigned long long)mk->a);
	if (p->stacks && mk->ustack) {
		stack_event(p, ts, UUID_CORO(mk->t->tid),
			    PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT, name, "coroutine",
			    ap, 2, pfs_callstack(p->stacks, mk->t->tgid, 0, mk->ustack), -1);
		return;
	}
	track_event(p, ts, UUID_CORO(mk->t->tid),
		    PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT, name, ap,
		    mk->kind == XM_CORO_EXIT ? 1 : 2);
}

static void header_packets(struct pf_sink *p, struct xmodel *m)
{
	P(TracePacket) pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	P(ClockSnapshot) cs = PERFETTO__PROTOS__CLOCK_SNAPSHOT__INIT;
	P(ClockSnapshot__Clock) c[2], *cp[2] = { &c[0], &c[1] };
	P(SystemInfo) si = PERFETTO__PROTOS__SYSTEM_INFO__INIT;
	P(Utsname) u = PERFETTO__PROTOS__UTSNAME__INIT;

	for (int i = 0; i < 2; i++) {
		c[i] = (P(ClockSnapshot__Clock))PERFETTO__PROTOS__CLOCK_SNAPSHOT__CLOCK__INIT;
		c[i].has_clock_id = c[i].has_timestamp = 1;
		c[i].clock_id = i ? CLOCK_MONO : CLOCK_BOOT;
		c[i].timestamp = m->start_ns;
	}
	cs.n_clocks = 2;
	cs.clocks = cp;
	cs.has_primary_trace_clock = 1;
	cs.primary_trace_clock = CLOCK_MONO;
	pk.has_timestamp = 1;
	pk.timestamp = m->start_ns;
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_CLOCK_SNAPSHOT;
	pk.clock_snapshot = &cs;
	put_packet(p, &pk);

	u.sysname = (char *)(m->meta->sysname[0] ? m->meta->sysname : "Linux");
	u.release = (char *)m->meta->release;
	u.machine = (char *)m->meta->machine;
	si.utsname = &u;
	si.has_num_cpus = 1;
	si.num_cpus = m->ncpu;
	pk = (P(TracePacket))PERFETTO__PROTOS__TRACE_PACKET__INIT;
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_SYSTEM_INFO;
	pk.system_info = &si;
	put_packet(p, &pk);
}

/* The tasks alive at the start (the snapshot), by ProcessTree entries. */
static int process_tree(struct pf_sink *p, struct xmodel *m)
{
	for (size_t i = 0; i < m->nall; i++) {
		struct xthread *t = m->all[i];
		struct pf_task *k;

		if (!t->wanted)
			continue;
		if (!(k = task_of(p, t)))
			return -1;
		k->described = 1;
		pend(p, t->tid, t->tgid, t->comm, t->tid == t->tgid, m->start_ns);
	}
	flush_pend(p);
	return 0;
}

static int pf_begin(struct xsink *s, struct xmodel *m)
{
	struct pf_sink *p = (struct pf_sink *)s;
	const char *full = getenv("SS_PERFETTO_FULL");

	p->m = m;
	p->full = full && *full && strcmp(full, "0");
	p->cpu = calloc(m->ncpu, sizeof(*p->cpu));
	if (!p->cpu)
		return -1;
	if (m->stacks && !(p->stacks = pfs_new(m->stacks)))
		return -1;
	header_packets(p, m);
	return process_tree(p, m);
}

static int pf_end(struct xsink *s, struct xmodel *m)
{
	struct pf_sink *p = (struct pf_sink *)s;

	for (uint32_t c = 0; c < m->ncpu; c++) {
		flush_cpu(p, c);
		pfc_free(&p->cpu[c].c);
	}
	flush_pend(p);
	free(p->cpu);
	free(p->task);
	free(p->buf);
	if (p->stacks && pfs_nomem(p->stacks))
		p->nomem = 1;
	pfs_free(p->stacks);
	if (p->nomem)
		return SS_EXIT_INTERNAL;
	return ferror(s->out) ? SS_EXIT_IO : SS_OK;
}

struct xsink *xsink_perfetto(FILE *out)
{
	struct pf_sink *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->s.begin = pf_begin;
	p->s.slice = pf_slice;
	p->s.mark = pf_mark;
	p->s.record = pf_record;
	p->s.end = pf_end;
	p->s.out = out;
	return &p->s;
}
