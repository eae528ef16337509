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
 * CLONE_THREAD a new process). Coroutine slices are TrackEvents on one track
 * per thread, a child of that thread's track.
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
#include "perfetto_trace.pb-c.h"
#include "ss.h"

#define P(x) Perfetto__Protos__##x

#define BATCH		256	/* ftrace events per bundle */
#define SEQ_FTRACE	1
#define SEQ_TRACK	2
#define CLOCK_MONO	PERFETTO__PROTOS__BUILTIN_CLOCK__BUILTIN_CLOCK_MONOTONIC
#define CLOCK_BOOT	PERFETTO__PROTOS__BUILTIN_CLOCK__BUILTIN_CLOCK_BOOTTIME
/* Track uuids: ours, tagged so as not to meet other producers' uuids. */
#define UUID_TAG	0x5353000000000000ull
#define UUID_THREAD(t)	(UUID_TAG | (uint64_t)(t))
#define UUID_CORO(t)	(UUID_TAG | 1ull << 32 | (uint64_t)(t))
#define UUID_LOST	(UUID_TAG | 2ull << 32)

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

struct cpubuf {
	struct pev ev[BATCH];
	P(FtraceEvent) *ptr[BATCH];
	size_t n;
};

struct pf_sink {
	struct xsink s;
	struct xmodel *m;
	struct cpubuf *cpu;	/* [ncpu] */
	uint8_t *buf;
	size_t cap;
	int track_seq_started;
	int lost_track;
	int nomem;
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

static void flush_cpu(struct pf_sink *p, uint32_t c)
{
	struct cpubuf *cb = &p->cpu[c];
	P(FtraceEventBundle) b = PERFETTO__PROTOS__FTRACE_EVENT_BUNDLE__INIT;
	P(TracePacket) pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;

	if (!cb->n)
		return;
	b.has_cpu = 1;
	b.cpu = c;
	b.n_event = cb->n;
	b.event = cb->ptr;
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_FTRACE_EVENTS;
	pk.ftrace_events = &b;
	pk.optional_trusted_packet_sequence_id_case =
		PERFETTO__PROTOS__TRACE_PACKET__OPTIONAL_TRUSTED_PACKET_SEQUENCE_ID_TRUSTED_PACKET_SEQUENCE_ID;
	pk.trusted_packet_sequence_id = SEQ_FTRACE;
	put_packet(p, &pk);
	cb->n = 0;
}

static void copy_comm(char *dst, const char *src)
{
	size_t n = strnlen(src, SS_COMM_LEN - 1);	/* src may be a short literal */

	memcpy(dst, src, n);
	memset(dst + n, 0, SS_COMM_LEN - n);
}

static const char *comm_of(struct xmodel *m, uint32_t tid, uint32_t tgid)
{
	struct xthread *t;

	if (!tid)
		return "swapper";
	t = xmodel_thread(m, tid, tgid);
	return t ? t->comm : "";
}

static struct pev *new_event(struct pf_sink *p, uint32_t cpu, uint64_t ts,
			     uint32_t pid)
{
	struct cpubuf *cb = &p->cpu[cpu];
	struct pev *e = &cb->ev[cb->n];

	e->ev = (P(FtraceEvent))PERFETTO__PROTOS__FTRACE_EVENT__INIT;
	e->ev.has_timestamp = 1;
	e->ev.timestamp = ts;
	e->ev.has_pid = 1;
	e->ev.pid = pid;
	cb->ptr[cb->n++] = &e->ev;
	p->s.items++;
	return e;
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

/* The wakeup family shares one layout in Perfetto as in our records. */
#define FILL_WAKE(x, w, name) do {					\
	(x).comm = (name);						\
	(x).has_pid = (x).has_prio = (x).has_success = (x).has_target_cpu = 1; \
	(x).pid = (w)->tid;						\
	(x).prio = prio((w)->prio);					\
	(x).success = 1;						\
	(x).target_cpu = (w)->target_cpu;				\
} while (0)

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
		P(SchedSwitchFtraceEvent) *x;

		if (!want(p, sw->prev_tgid) && !want(p, sw->next_tgid))
			return;
		e = new_event(p, cpu, h->ts, sw->prev_tid);
		x = &e->u.sw;
		*x = (P(SchedSwitchFtraceEvent))PERFETTO__PROTOS__SCHED_SWITCH_FTRACE_EVENT__INIT;
		copy_comm(e->s1, comm_of(m, sw->prev_tid, sw->prev_tgid));
		copy_comm(e->s2, comm_of(m, sw->next_tid, sw->next_tgid));
		x->prev_comm = e->s1;
		x->next_comm = e->s2;
		x->has_prev_pid = x->has_prev_prio = x->has_prev_state = 1;
		x->has_next_pid = x->has_next_prio = 1;
		x->prev_pid = sw->prev_tid;
		x->prev_prio = prio(sw->prev_prio);
		x->prev_state = xs_report_state(sw->prev_state,
						sw->flags & SS_SW_PREEMPT);
		x->next_pid = sw->next_tid;
		x->next_prio = prio(sw->next_prio);
		e->ev.event_case = PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_SWITCH;
		e->ev.sched_switch = x;
		break;
	}
	case SS_EV_WAKING:
	case SS_EV_WAKEUP:
	case SS_EV_WAKEUP_NEW: {
		const struct ss_wakeup *w = (const void *)h;

		if (!want(p, w->tgid))
			return;
		e = new_event(p, cpu, h->ts, w->waker_tid);
		copy_comm(e->s1, comm_of(m, w->tid, w->tgid));
		if (h->type == SS_EV_WAKING) {
			e->u.waking = (P(SchedWakingFtraceEvent))
				PERFETTO__PROTOS__SCHED_WAKING_FTRACE_EVENT__INIT;
			FILL_WAKE(e->u.waking, w, e->s1);
			e->ev.event_case = PERFETTO__PROTOS__FTRACE_EVENT__EVENT_SCHED_WAKING;
			e->ev.sched_waking = &e->u.waking;
		} else if (h->type == SS_EV_WAKEUP) {
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
		break;
	}
	case SS_EV_NEWTASK: {
		const struct ss_newtask *n = (const void *)h;
		P(TaskNewtaskFtraceEvent) *x;

		if (!want(p, n->tgid) && !want(p, n->parent_tgid))
			return;
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
		copy_comm(e->s1, comm_of(m, c->tid, c->tgid));
		copy_comm(e->s2, c->comm);
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
		copy_comm(e->s1, comm_of(m, x0->tid, x0->tgid));
		copy_comm(e->s2, x0->comm);
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
		e = new_event(p, cpu, h->ts, x0->tid);
		x = &e->u.exit;
		*x = (P(SchedProcessExitFtraceEvent))PERFETTO__PROTOS__SCHED_PROCESS_EXIT_FTRACE_EVENT__INIT;
		copy_comm(e->s1, comm_of(m, x0->tid, x0->tgid));
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
		pk->sequence_flags = 1;	/* SEQ_INCREMENTAL_STATE_CLEARED */
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

/* The thread's track and its coroutine track, once per thread. */
static void coro_track(struct pf_sink *p, struct xthread *t)
{
	char name[64];

	if (t->out_idx >= 0)
		return;
	t->out_idx = 1;
	descriptor(p, UUID_THREAD(t->tid), 0, NULL, t);
	snprintf(name, sizeof(name), "coroutines (%s %u)", t->comm, t->tid);
	descriptor(p, UUID_CORO(t->tid), UUID_THREAD(t->tid), name, NULL);
}

static void track_event(struct pf_sink *p, uint64_t ts, uint64_t uuid, int type,
			const char *name, P(DebugAnnotation) **ann, size_t nann)
{
	P(TracePacket) pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	P(TrackEvent) te = PERFETTO__PROTOS__TRACK_EVENT__INIT;
	static char *cat[] = { "coroutine" };

	pk.has_timestamp = pk.has_timestamp_clock_id = 1;
	pk.timestamp = ts;
	pk.timestamp_clock_id = CLOCK_MONO;
	te.has_type = te.has_track_uuid = 1;
	te.type = type;
	te.track_uuid = uuid;
	if (name) {
		te.name_field_case = PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME;
		te.name = (char *)name;
		te.n_categories = 1;
		te.categories = cat;
	}
	te.n_debug_annotations = nann;
	te.debug_annotations = ann;
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT;
	pk.track_event = &te;
	track_packet(p, &pk);
	p->s.items++;
}

static void annot(P(DebugAnnotation) *a, const char *name, uint64_t v)
{
	*a = (P(DebugAnnotation))PERFETTO__PROTOS__DEBUG_ANNOTATION__INIT;
	a->name_field_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__NAME_FIELD_NAME;
	a->name = (char *)name;
	a->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_UINT_VALUE;
	a->uint_value = v;
}

static void pf_slice(struct xsink *s, const struct xslice *sl)
{
	struct pf_sink *p = (struct pf_sink *)s;
	P(DebugAnnotation) a[2], *ap[2] = { &a[0], &a[1] };
	uint64_t base = p->m->start_ns;
	char name[40];

	/* Kernel slices are Perfetto's to derive from the ftrace events. */
	if (sl->kind != XK_CORO)
		return;
	coro_track(p, sl->t);
	if (sl->coro)
		snprintf(name, sizeof(name), "coro %llu", (unsigned long long)sl->coro);
	else
		snprintf(name, sizeof(name), "scheduler");
	annot(&a[0], "id", sl->coro);
	annot(&a[1], "switch_ns", sl->coro_dur);
	track_event(p, base + sl->t0, UUID_CORO(sl->t->tid),
		    PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN, name, ap, 2);
	track_event(p, base + sl->t1, UUID_CORO(sl->t->tid),
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

/* Names of the tasks alive at the start (the snapshot), in pieces. */
static int process_tree(struct pf_sink *p, struct xmodel *m)
{
	enum { PIECE = 1024 };
	P(ProcessTree__Process) *pr = calloc(PIECE, sizeof(*pr)), **prp = calloc(PIECE, sizeof(*prp));
	P(ProcessTree__Thread) *th = calloc(PIECE, sizeof(*th)), **thp = calloc(PIECE, sizeof(*thp));
	char **cmd = calloc(PIECE, sizeof(*cmd));
	size_t np = 0, nt = 0;
	int rc = 0;

	if (!pr || !prp || !th || !thp || !cmd) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i <= m->nall; i++) {
		struct xthread *t = i < m->nall ? m->all[i] : NULL;

		if (t && t->wanted) {
			if (t->tid == t->tgid) {
				pr[np] = (P(ProcessTree__Process))PERFETTO__PROTOS__PROCESS_TREE__PROCESS__INIT;
				pr[np].has_pid = 1;
				pr[np].pid = t->tgid;
				/* cmdline[0] is the name Perfetto shows */
				cmd[np] = t->comm;
				pr[np].n_cmdline = 1;
				pr[np].cmdline = &cmd[np];
				prp[np] = &pr[np];
				np++;
			}
			th[nt] = (P(ProcessTree__Thread))PERFETTO__PROTOS__PROCESS_TREE__THREAD__INIT;
			th[nt].has_tid = th[nt].has_tgid = 1;
			th[nt].tid = t->tid;
			th[nt].tgid = t->tgid;
			th[nt].name = t->comm;
			thp[nt] = &th[nt];
			nt++;
		}
		if (np == PIECE || nt == PIECE || (!t && (np || nt))) {
			P(TracePacket) pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;
			P(ProcessTree) tree = PERFETTO__PROTOS__PROCESS_TREE__INIT;

			tree.n_processes = np;
			tree.processes = prp;
			tree.n_threads = nt;
			tree.threads = thp;
			pk.has_timestamp = 1;
			pk.timestamp = m->start_ns;
			pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_PROCESS_TREE;
			pk.process_tree = &tree;
			put_packet(p, &pk);
			np = nt = 0;
		}
	}
out:
	free(cmd);
	free(pr);
	free(prp);
	free(th);
	free(thp);
	return rc;
}

static int pf_begin(struct xsink *s, struct xmodel *m)
{
	struct pf_sink *p = (struct pf_sink *)s;

	p->m = m;
	p->cpu = calloc(m->ncpu, sizeof(*p->cpu));
	if (!p->cpu)
		return -1;
	header_packets(p, m);
	return process_tree(p, m);
}

static int pf_end(struct xsink *s, struct xmodel *m)
{
	struct pf_sink *p = (struct pf_sink *)s;

	for (uint32_t c = 0; c < m->ncpu; c++)
		flush_cpu(p, c);
	free(p->cpu);
	free(p->buf);
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
