/* The export engine's state machine (see model.h for the terms). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "ss.h"
#include "stacks.h"

/* Raw task state bits (include/linux/sched.h) beyond those in the ABI
 * header: the switch record carries prev->__state unchanged. */
#define KS_STOPPED	0x0004
#define KS_TRACED	0x0008
#define KS_EXIT_DEAD	0x0010
#define KS_EXIT_ZOMBIE	0x0020
#define KS_PARKED	0x0040
#define KS_DEAD		0x0080
#define KS_NOLOAD	0x0400
#define KS_RTLOCK_WAIT	0x1000
#define KS_IDLE		(SS_TASK_UNINTERRUPTIBLE | KS_NOLOAD)
/* What sched_switch's prev_state reports (TASK_REPORT), and the values
 * past it for an idle kthread and for preemption. */
#define KS_REPORT	0x7f
#define KS_REPORT_IDLE	0x80
#define KS_REPORT_MAX	0x100

static uint32_t hash32(uint32_t x)
{
	x *= 0x9e3779b1u;
	return x ^ (x >> 15);
}

uint64_t xs_report_state(uint32_t raw, int preempt)
{
	uint32_t st;

	if (preempt)
		return KS_REPORT_MAX;
	if (raw == KS_IDLE)
		return KS_REPORT_IDLE;
	if (raw == KS_RTLOCK_WAIT)
		return SS_TASK_UNINTERRUPTIBLE;
	st = raw & KS_REPORT;
	/* A dying task switches out as TASK_DEAD with exit_state set; the
	 * record has only __state, so report it as dead (X). */
	if (raw & KS_DEAD)
		st |= KS_EXIT_DEAD;
	if (!st)
		return 0;
	return 1u << (31 - __builtin_clz(st));
}

/* How a voluntary switch-out left the task (enum xend). */
static uint8_t end_of(uint32_t raw)
{
	if (raw & (KS_DEAD | KS_EXIT_DEAD | KS_EXIT_ZOMBIE))
		return XE_EXIT;
	if ((raw & KS_IDLE) == KS_IDLE)
		return XE_SLEEP;	/* an idle kthread waits, it is not blocked */
	if (raw & (SS_TASK_UNINTERRUPTIBLE | KS_RTLOCK_WAIT))
		return XE_BLOCK;
	if (raw & SS_TASK_INTERRUPTIBLE)
		return XE_SLEEP;
	if (raw & (KS_STOPPED | KS_TRACED | KS_PARKED))
		return XE_STOP;
	return raw ? XE_SLEEP : XE_YIELD;
}

static int tgid_in(const uint32_t *set, size_t cap, uint32_t tgid)
{
	if (!cap)
		return 0;
	for (size_t i = hash32(tgid) & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (set[i] == tgid)
			return 1;
		if (!set[i])
			return 0;
	}
}

static void mark_traced(struct xmodel *m, uint32_t tgid)
{
	if (!tgid || m->system_wide || tgid_in(m->traced_tgids, m->traced_cap, tgid))
		return;
	if ((m->ntraced + 1) * 2 > m->traced_cap) {
		size_t cap = m->traced_cap ? m->traced_cap * 2 : 64;
		uint32_t *n = calloc(cap, sizeof(*n)), *old = m->traced_tgids;

		if (!n)
			return;
		for (size_t i = 0; i < m->traced_cap; i++) {
			size_t j;

			if (!old[i])
				continue;
			for (j = hash32(old[i]) & (cap - 1); n[j]; j = (j + 1) & (cap - 1))
				;
			n[j] = old[i];
		}
		free(old);
		m->traced_tgids = n;
		m->traced_cap = cap;
	}
	for (size_t i = hash32(tgid) & (m->traced_cap - 1);;
	     i = (i + 1) & (m->traced_cap - 1)) {
		if (!m->traced_tgids[i]) {
			m->traced_tgids[i] = tgid;
			m->ntraced++;
			return;
		}
	}
}

int xmodel_traced(const struct xmodel *m, const struct xthread *t)
{
	return m->system_wide || tgid_in(m->traced_tgids, m->traced_cap, t->tgid);
}

static int wanted(const struct xmodel *m, uint32_t tgid)
{
	if (!m->opts->npids)
		return 1;
	for (size_t i = 0; i < m->opts->npids; i++)
		if (m->opts->pids[i] == tgid)
			return 1;
	return 0;
}

static int hash_grow(struct xmodel *m)
{
	size_t cap = m->hash_cap ? m->hash_cap * 2 : 1024;
	struct xthread **n = calloc(cap, sizeof(*n));

	if (!n)
		return -1;
	for (size_t i = 0; i < m->hash_cap; i++) {
		struct xthread *t = m->hash[i], *nx;

		for (; t; t = nx) {
			size_t j = hash32(t->tid) & (cap - 1);

			nx = t->next_hash;
			t->next_hash = n[j];
			n[j] = t;
		}
	}
	free(m->hash);
	m->hash = n;
	m->hash_cap = cap;
	return 0;
}

static struct xthread *lookup(struct xmodel *m, uint32_t tid)
{
	struct xthread *t;

	if (!m->hash_cap)
		return NULL;
	for (t = m->hash[hash32(tid) & (m->hash_cap - 1)]; t; t = t->next_hash)
		if (t->tid == tid)
			return t;
	return NULL;
}

/* The thread stays in m->all (outputs may hold it) but a new task with its
 * tid gets a new entry. */
static void retire(struct xmodel *m, struct xthread *t)
{
	struct xthread **p = &m->hash[hash32(t->tid) & (m->hash_cap - 1)];

	for (; *p; p = &(*p)->next_hash) {
		if (*p == t) {
			*p = t->next_hash;
			break;
		}
	}
	t->dead = 1;
	m->nthreads--;
}

static struct xthread *create(struct xmodel *m, uint32_t tid, uint32_t tgid)
{
	struct xthread *t;
	size_t j;

	if ((m->nthreads + 1) * 2 > m->hash_cap && hash_grow(m))
		return NULL;
	if (m->nall + 1 > m->all_cap) {
		size_t cap = m->all_cap ? m->all_cap * 2 : 1024;
		struct xthread **n = realloc(m->all, cap * sizeof(*n));

		if (!n)
			return NULL;
		m->all = n;
		m->all_cap = cap;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = tid;
	t->tgid = tgid;
	t->out_idx = -1;
	t->wanted = wanted(m, tgid);
	j = hash32(tid) & (m->hash_cap - 1);
	t->next_hash = m->hash[j];
	m->hash[j] = t;
	m->nthreads++;
	m->all[m->nall++] = t;
	return t;
}

struct xthread *xmodel_thread(struct xmodel *m, uint32_t tid, uint32_t tgid)
{
	struct xthread *t = lookup(m, tid);

	if (t && tgid && t->tgid != tgid) {
		/* The tid now belongs to another process: it was reused. */
		retire(m, t);
		t = NULL;
	}
	if (!t)
		t = create(m, tid, tgid);
	return t;
}

const char *xmodel_process_name(struct xmodel *m, const struct xthread *t)
{
	const struct xthread *l = t->tid == t->tgid ? t : lookup(m, t->tgid);

	return l && l->comm[0] ? l->comm : t->comm;
}

static void emit(struct xmodel *m, struct xsink *s, struct xslice *sl)
{
	if (!sl->t->wanted)
		return;
	if (sl->t1 < sl->t0)
		sl->t1 = sl->t0;
	if (sl->t0 > m->to || sl->t1 < m->from)
		return;
	if (sl->t0 < m->from) {
		sl->t0 = m->from;
		sl->flags |= XF_CLIP_START;
	}
	if (sl->t1 > m->to) {
		sl->t1 = m->to;
		sl->flags |= XF_CLIP_END;
	}
	s->slice(s, sl);
	s->items++;
}

static void emit_mark_stack(struct xmodel *m, struct xsink *s, uint8_t kind,
			    struct xthread *t, uint16_t cpu, uint64_t ts, uint64_t a,
			    uint64_t b, uint64_t ustack)
{
	struct xmark mk = { .kind = kind, .cpu = cpu, .t = t, .ts = ts, .a = a, .b = b,
			    .ustack = ustack };

	if (ts < m->from || ts > m->to || (t && !t->wanted))
		return;
	s->mark(s, &mk);
	s->items++;
}

static void emit_mark(struct xmodel *m, struct xsink *s, uint8_t kind,
		      struct xthread *t, uint16_t cpu, uint64_t ts, uint64_t a,
		      uint64_t b)
{
	emit_mark_stack(m, s, kind, t, cpu, ts, a, b, 0);
}

static void run_slice(struct xmodel *m, struct xsink *s, struct xthread *t,
		      uint32_t cpu, uint64_t t0, uint64_t t1, uint8_t flags)
{
	struct xslice sl = { .kind = XK_RUN, .flags = flags, .cpu = cpu, .t = t,
			     .t0 = t0, .t1 = t1 };

	if (t1 > t0 && t1 > m->from && t0 < m->to)
		t->run_ns += (t1 < m->to ? t1 : m->to) - (t0 > m->from ? t0 : m->from);
	emit(m, s, &sl);
}

/* Close what a thread is doing now at ts (to start something else). */
static void close_state(struct xmodel *m, struct xsink *s, struct xthread *t,
			uint64_t ts, uint8_t end)
{
	struct xslice sl = { .t = t, .t0 = t->since, .t1 = ts };

	switch (t->state) {
	case XS_RUNNING:
		if (m->cpu_cur[t->cpu] == t)
			m->cpu_cur[t->cpu] = NULL;
		run_slice(m, s, t, t->cpu, t->since, ts, t->run_flags | end);
		return;
	case XS_RUNNABLE:
		sl.kind = XK_WAIT;
		sl.stk = t->stk;
		sl.flags = t->sub;
		sl.waker = t->waker;
		sl.cpu = t->waker_cpu;
		if (ts > t->since && ts > m->from && t->since < m->to)
			t->wait_ns += (ts < m->to ? ts : m->to) -
				      (t->since > m->from ? t->since : m->from);
		break;
	case XS_SLEEPING:
		sl.kind = XK_SLEEP;
		sl.flags = t->sub;
		sl.stk = t->stk;
		break;
	default:
		return;
	}
	emit(m, s, &sl);
}

static void on_switch(struct xmodel *m, struct xsink *s,
		      const struct ss_switch *sw, uint64_t ts, int in)
{
	uint32_t c = sw->hdr.cpu;
	struct xthread *cur = m->cpu_cur[c], *prev = NULL, *next = NULL;
	int preempt = sw->flags & SS_SW_PREEMPT;

	if (sw->prev_tid)
		prev = xmodel_thread(m, sw->prev_tid, sw->prev_tgid);
	if (sw->next_tid)
		next = xmodel_thread(m, sw->next_tid, sw->next_tgid);
	if ((sw->prev_tid && !prev) || (sw->next_tid && !next))
		return;
	m->cpu_seen[c] = 1;
	if (cur && cur != prev && cur->state == XS_RUNNING && cur->cpu == c) {
		/* Switches that are not in the trace (another task's, or lost
		 * records) took cur off this CPU at some point before ts. */
		close_state(m, s, cur, ts, XE_UNSURE);
		cur->state = XS_UNKNOWN;
		cur->since = ts;
	}
	if (prev) {
		uint8_t end = preempt ? XE_PREEMPT : end_of(sw->prev_state);

		if (prev->state == XS_RUNNING && prev->cpu == c) {
			close_state(m, s, prev, ts, end);
		} else {
			/* Running since before the trace, or since records were
			 * lost: the CPU's previous switch bounds the start, and
			 * whatever the thread was doing before ends there. */
			uint64_t t0 = m->cpu_since[c] > prev->since ?
				      m->cpu_since[c] : prev->since;

			if (t0 > ts)
				t0 = ts;
			close_state(m, s, prev, t0,
				    prev->state == XS_RUNNING ? XE_UNSURE : 0);
			run_slice(m, s, prev, c, t0, ts, XF_START_UNSURE | end);
		}
		if (in) {
			prev->n_switch_out++;
			prev->n_preempt += !!preempt;
		}
		prev->since = ts;
		prev->waker = NULL;
		prev->waker_cpu = c;
		memset(&prev->stk, 0, sizeof(prev->stk));
		if (ss_rec_stacks(&sw->hdr)) {
			prev->stk.k = ss_rec_stacks(&sw->hdr)->kstack;
			prev->stk.u = ss_rec_stacks(&sw->hdr)->ustack;
		}
		switch (end) {
		case XE_PREEMPT:
		case XE_YIELD:
			prev->state = XS_RUNNABLE;
			prev->sub = end == XE_PREEMPT ? XC_PREEMPT : XC_YIELD;
			break;
		case XE_EXIT:
			prev->state = XS_DEAD;
			break;
		default:
			prev->state = XS_SLEEPING;
			prev->sub = end;
		}
	}
	if (next) {
		if (next->state == XS_RUNNING && next->cpu != c)
			close_state(m, s, next, ts, XE_UNSURE);
		else if (next->state != XS_RUNNING)
			close_state(m, s, next, ts, 0);
		next->state = XS_RUNNING;
		next->cpu = c;
		next->since = ts;
		next->run_flags = prev ? 0 : XF_FROM_IDLE;
	}
	m->cpu_cur[c] = next;
	m->cpu_since[c] = ts;
	if (in) {
		m->switches++;
		m->preempt += !!preempt;
	}
}

static void on_wake(struct xmodel *m, struct xsink *s, const struct ss_wakeup *w,
		    uint64_t ts, int in)
{
	struct xthread *t = xmodel_thread(m, w->tid, w->tgid), *waker = NULL;

	if (!t)
		return;
	mark_traced(m, w->tgid);
	if (w->waker_tid)
		waker = xmodel_thread(m, w->waker_tid, w->waker_tgid);
	if (w->hdr.type == SS_EV_WAKING && in) {
		m->wakeups++;
		t->n_wakeups++;
	}
	if (t->state == XS_RUNNING || t->state == XS_RUNNABLE) {
		if (w->hdr.type == SS_EV_WAKING)
			emit_mark(m, s, XM_WAKE, t, w->hdr.cpu, ts,
				  waker ? waker->tid : 0, t->state);
		return;
	}
	if (t->state == XS_SLEEPING && w->hdr.type == SS_EV_WAKING && ss_rec_stacks(&w->hdr)) {
		/* the sleep it ends shows who ended it */
		t->stk.wk = ss_rec_stacks(&w->hdr)->kstack;
		t->stk.wu = ss_rec_stacks(&w->hdr)->ustack;
		t->stk.wtgid = w->waker_tgid;
		t->stk.waker = waker;
	}
	close_state(m, s, t, ts, 0);
	t->state = XS_RUNNABLE;
	t->sub = w->hdr.type == SS_EV_WAKEUP_NEW ? XC_NEW : XC_WOKEN;
	if (w->hdr.type == SS_EV_WAKING)
		t->sub |= XF_BY_WAKING;
	t->since = ts;
	t->waker = waker;
	t->waker_cpu = w->hdr.cpu;
}

static void set_comm(struct xthread *t, const char *comm)
{
	memcpy(t->comm, comm, SS_COMM_LEN);
	t->comm[SS_COMM_LEN - 1] = 0;
}

static void on_coro_switch(struct xmodel *m, struct xsink *s,
			   const struct ss_coro_switch *cs, uint64_t ts, int in)
{
	struct xthread *t = xmodel_thread(m, cs->tid, cs->tgid);

	if (!t)
		return;
	mark_traced(m, cs->tgid);
	t->has_coro = 1;
	if (t->coro_known) {
		struct xslice sl = { .kind = XK_CORO, .t = t, .t0 = t->coro_since,
				     .t1 = ts, .coro = t->coro_cur,
				     .coro_dur = t->coro_dur, .cpu = cs->hdr.cpu };

		emit(m, s, &sl);
	}
	t->coro_known = 1;
	t->coro_cur = cs->to;
	t->coro_since = ts;
	t->coro_dur = cs->dur_ns;
	if (in) {
		m->coro_switches++;
		t->n_coro_switch++;
	}
}

/* One record through the state machine. */
static void step(struct xmodel *m, struct xsink *s, const struct ss_hdr *h,
		 uint64_t ts, int in)
{
	struct xthread *t;

	switch (h->type) {
	case SS_EV_SWITCH:
		on_switch(m, s, (const void *)h, ts, in);
		break;
	case SS_EV_WAKING:
	case SS_EV_WAKEUP:
	case SS_EV_WAKEUP_NEW:
		on_wake(m, s, (const void *)h, ts, in);
		break;
	case SS_EV_NEWTASK: {
		const struct ss_newtask *n = (const void *)h;

		mark_traced(m, n->parent_tgid);
		mark_traced(m, n->tgid);
		t = lookup(m, n->tid);
		if (t)
			retire(m, t);
		t = create(m, n->tid, n->tgid);
		if (!t)
			break;
		set_comm(t, n->comm);
		emit_mark(m, s, XM_NEWTASK, t, h->cpu, ts, n->parent_tid,
			  !!(n->clone_flags & SS_CLONE_THREAD));
		break;
	}
	case SS_EV_EXEC: {
		const struct ss_exec *e = (const void *)h;

		mark_traced(m, e->tgid);
		if (e->old_tid != e->tid && (t = lookup(m, e->old_tid)))
			retire(m, t);
		t = xmodel_thread(m, e->tid, e->tgid);
		if (!t)
			break;
		set_comm(t, e->comm);
		emit_mark(m, s, XM_EXEC, t, h->cpu, ts, e->old_tid, 0);
		break;
	}
	case SS_EV_EXIT: {
		const struct ss_exit *e = (const void *)h;

		mark_traced(m, e->tgid);
		t = xmodel_thread(m, e->tid, e->tgid);
		if (t)
			emit_mark(m, s, XM_EXIT, t, h->cpu, ts, e->exit_code, e->flags);
		break;
	}
	case SS_EV_COMM: {
		const struct ss_comm *c = (const void *)h;

		mark_traced(m, c->tgid);
		t = xmodel_thread(m, c->tid, c->tgid);
		if (t)
			set_comm(t, c->comm);
		break;
	}
	case SS_EV_LOST: {
		const struct ss_lost *l = (const void *)h;

		if (in)
			m->lost += l->count;
		emit_mark(m, s, XM_LOST, NULL, h->cpu, ts, l->count, l->source);
		break;
	}
	case SS_EV_TRIGGER: {
		const struct ss_trigger *g = (const void *)h;

		emit_mark(m, s, XM_TRIGGER, g->tid ? xmodel_thread(m, g->tid, g->tgid) : NULL,
			  h->cpu, ts, g->value_ns, g->kind);
		break;
	}
	case SS_EV_MIGRATE:
		mark_traced(m, ((const struct ss_migrate *)h)->tgid);
		break;
	case SS_EV_CORO_SWITCH:
		on_coro_switch(m, s, (const void *)h, ts, in);
		break;
	case SS_EV_CORO_CREATE:
	case SS_EV_CORO_PARK:
	case SS_EV_CORO_READY:
	case SS_EV_CORO_EXIT:
	case SS_EV_CORO_STATS: {
		/* These records share their first fields: tid, tgid, then two
		 * 64-bit values (id and an argument; stats: two totals). */
		const struct ss_coro_ready *c = (const void *)h;
		static const uint8_t kind[] = {
			[SS_EV_CORO_CREATE - SS_EV_CORO_CREATE] = XM_CORO_CREATE,
			[SS_EV_CORO_PARK - SS_EV_CORO_CREATE] = XM_CORO_PARK,
			[SS_EV_CORO_READY - SS_EV_CORO_CREATE] = XM_CORO_READY,
			[SS_EV_CORO_EXIT - SS_EV_CORO_CREATE] = XM_CORO_EXIT,
			[SS_EV_CORO_STATS - SS_EV_CORO_CREATE] = XM_CORO_STATS,
		};
		uint64_t b = 0;

		mark_traced(m, c->tgid);
		t = xmodel_thread(m, c->tid, c->tgid);
		if (!t)
			break;
		t->has_coro = 1;
		if (h->type == SS_EV_CORO_CREATE)
			b = ((const struct ss_coro_create *)h)->stack_size;
		else if (h->type == SS_EV_CORO_PARK)
			b = ((const struct ss_coro_park *)h)->reason;
		else if (h->type != SS_EV_CORO_EXIT)
			b = c->by;
		emit_mark_stack(m, s, kind[h->type - SS_EV_CORO_CREATE], t, h->cpu, ts,
				c->id, b, h->type == SS_EV_CORO_PARK && ss_rec_stacks(h) ?
				ss_rec_stacks(h)->ustack : 0);
		break;
	}
	default:
		break;
	}
}

static void finish(struct xmodel *m, struct xsink *s)
{
	for (size_t i = 0; i < m->nall; i++) {
		struct xthread *t = m->all[i];

		if (t->state != XS_DEAD)
			close_state(m, s, t, m->end, XE_OPEN);
		if (t->coro_known) {
			struct xslice sl = { .kind = XK_CORO, .t = t, .t0 = t->coro_since,
					     .t1 = m->end, .coro = t->coro_cur,
					     .coro_dur = t->coro_dur };

			emit(m, s, &sl);
		}
	}
}

/* "-p 12,34" in the metadata: processes traced from the start. */
static void traced_from_cmdline(struct xmodel *m)
{
	const char *p = m->meta->cmdline;

	if (strncmp(p, "-p ", 3))
		return;
	for (p += 3; *p;) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p)
			break;
		mark_traced(m, v);
		p = *end == ',' ? end + 1 : end;
	}
}

static int setup(struct xmodel *m, struct ss_reader *r, const struct ss_export_opts *o)
{
	const struct ss_trailer *tr = ss_reader_trailer(r);
	const struct ss_task *tasks;
	size_t ntasks;

	m->meta = ss_reader_meta(r);
	m->opts = o;
	m->start_ns = m->meta->start_ns;
	m->from = o->from_ns;
	m->to = o->to_ns;
	m->ncpu = m->meta->ncpu ? m->meta->ncpu : 1;
	if (m->ncpu > 65536)
		return -1;
	m->system_wide = !!(m->meta->flags & SS_META_SYSTEM_WIDE);
	m->cpu_seen = calloc(m->ncpu, 1);
	m->cpu_cur = calloc(m->ncpu, sizeof(*m->cpu_cur));
	m->cpu_since = calloc(m->ncpu, sizeof(*m->cpu_since));
	if (!m->cpu_seen || !m->cpu_cur || !m->cpu_since)
		return -1;
	if (tr && tr->end_ns > m->start_ns)
		m->end = tr->end_ns - m->start_ns;
	/* one pass ahead for the stacks, which the outputs name as they go */
	if ((m->meta->flags & SS_META_STACKS) && !(m->stacks = ss_stacks_load(r)))
		return -1;
	traced_from_cmdline(m);
	tasks = ss_reader_tasks(r, &ntasks);
	for (size_t i = 0; i < ntasks; i++) {
		struct xthread *t = xmodel_thread(m, tasks[i].tid, tasks[i].tgid);

		if (!t)
			return -1;
		set_comm(t, tasks[i].comm);
		t->kthread = !!(tasks[i].flags & SS_TASK_KTHREAD);
	}
	return 0;
}

static void teardown(struct xmodel *m)
{
	for (size_t i = 0; i < m->nall; i++)
		free(m->all[i]);
	free(m->all);
	free(m->hash);
	free(m->traced_tgids);
	free(m->cpu_seen);
	free(m->cpu_cur);
	free(m->cpu_since);
	ss_stacks_free(m->stacks);
}

int xmodel_run(struct ss_reader *r, const struct ss_export_opts *o,
	       struct xsink *s, struct ss_export_stats *st)
{
	struct xmodel m = { 0 };
	const struct ss_hdr *h;
	uint64_t last = 0;
	int code = SS_OK, rc;

	if (setup(&m, r, o) || s->begin(s, &m)) {
		teardown(&m);
		return SS_EXIT_INTERNAL;
	}
	while (ss_reader_next(r, &h)) {
		uint64_t ts = h->ts > m.start_ns ? h->ts - m.start_ns : 0;
		int in;

		m.records++;
		if (ts > m.to)
			break;
		if (h->type == SS_EV_SWITCH && h->cpu >= m.ncpu)
			continue;
		in = ts >= m.from;
		if (in && h->type < SS_EV_MAX)
			m.count[h->type]++;
		/* The output sees the record first: names as they were. */
		if (in && s->record)
			s->record(s, h);
		step(&m, s, h, ts, in);
		if (ts > last)
			last = ts;
	}
	/* The data ends at the recording's end (trailer), else at the last
	 * record, and never past the window. */
	if (last > m.end)
		m.end = last;
	if (m.end > m.to)
		m.end = m.to;
	if (m.end < m.from)
		m.end = m.from;
	m.damage = ss_reader_damage(r);
	finish(&m, s);
	rc = s->end(s, &m);
	if (rc != SS_OK)
		code = rc;
	if (st) {
		st->records = m.records;
		st->items = s->items;
		st->lost = m.lost;
	}
	teardown(&m);
	return code;
}

int ss_export(struct ss_reader *r, const struct ss_export_opts *o, FILE *out,
	      struct ss_export_stats *st)
{
	struct xsink *s;
	int code;

	switch (o->format) {
	case SS_EXPORT_HTML:
		s = xsink_html(out);
		break;
	case SS_EXPORT_PERFETTO:
		s = xsink_perfetto(out);
		break;
	case SS_EXPORT_JSON:
		s = xsink_json(out);
		break;
	default:
		return SS_EXIT_USAGE;
	}
	if (!s)
		return SS_EXIT_INTERNAL;
	code = xmodel_run(r, o, s, st);
	free(s);
	if (code == SS_OK && (fflush(out) || ferror(out)))
		code = SS_EXIT_IO;
	return code;
}

const char *xs_end_name(unsigned int end)
{
	static const char *const n[] = {
		[XE_OPEN] = "still running", [XE_PREEMPT] = "preempted",
		[XE_YIELD] = "yielded", [XE_SLEEP] = "sleep (S)",
		[XE_BLOCK] = "blocked (D)", [XE_STOP] = "stopped",
		[XE_EXIT] = "exited", [XE_UNSURE] = "unrecorded switch",
	};

	return end < sizeof(n) / sizeof(n[0]) ? n[end] : "?";
}

const char *xs_cause_name(unsigned int cause)
{
	static const char *const n[] = {
		[XC_UNKNOWN] = "unknown", [XC_WOKEN] = "woken",
		[XC_PREEMPT] = "preempted", [XC_YIELD] = "yielded",
		[XC_NEW] = "new task",
	};

	return cause < sizeof(n) / sizeof(n[0]) ? n[cause] : "?";
}

const char *xs_mark_name(unsigned int kind)
{
	static const char *const n[] = {
		[XM_NEWTASK] = "new task", [XM_EXEC] = "exec", [XM_EXIT] = "exit",
		[XM_LOST] = "lost records", [XM_CORO_CREATE] = "coro create",
		[XM_CORO_PARK] = "coro park", [XM_CORO_READY] = "coro ready",
		[XM_CORO_EXIT] = "coro exit", [XM_CORO_STATS] = "coro stats",
		[XM_WAKE] = "wakeup (already runnable)", [XM_TRIGGER] = "trigger",
	};

	return kind < sizeof(n) / sizeof(n[0]) && n[kind] ? n[kind] : "?";
}
