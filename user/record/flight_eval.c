/* --trigger runqlat>/offcpu> for a backend without BPF programs (the
 * module): the terms of bpf/trigger.bpf.c, evaluated by the recorder on
 * the records as they pass in time order. The same switches and wakeups
 * the kernel side sees, only later (the sink's reorder window). */
#include <stdlib.h>
#include <string.h>

#include "flight.h"
#include "flight_int.h"
#include "idmap.h"

struct tsince {
	uint64_t wait;		/* runnable since (0: not waiting) */
	uint64_t blocked;	/* blocked since (0: not blocked) */
};

int sched_eval_init(struct sched_eval *e, const struct ss_flight_opts *fo, int all,
		    int use_waking)
{
	memset(e, 0, sizeof(*e));
	e->fo = fo;
	e->all = all;
	e->use_waking = use_waking;
	e->tids = ss_idmap_new();
	e->tgids = ss_idmap_new();
	if (e->tids && e->tgids)
		return 0;
	sched_eval_free(e);
	return -1;
}

void sched_eval_free(struct sched_eval *e)
{
	ss_idmap_free(e->tids);
	ss_idmap_free(e->tgids);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

void sched_eval_traced(struct sched_eval *e, uint32_t tgid)
{
	ss_idmap_put(e->tgids, tgid, 1);
}

static int traced(const struct sched_eval *e, uint32_t tid, uint32_t tgid)
{
	return tid && (e->all || ss_idmap_get(e->tgids, tgid) >= 0);
}

/* The thread's state, created on first sight (NULL: none and not made). */
static struct tsince *get(struct sched_eval *e, uint32_t tid, int make)
{
	int64_t i = ss_idmap_get(e->tids, tid);

	if (i >= 0)
		return &e->v[i];
	if (!make)
		return NULL;
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 256;
		struct tsince *n = realloc(e->v, nc * sizeof(*n));

		if (!n)
			return NULL;
		e->v = n;
		e->cap = nc;
	}
	if (ss_idmap_put(e->tids, tid, e->n))
		return NULL;
	memset(&e->v[e->n], 0, sizeof(e->v[0]));
	return &e->v[e->n++];
}

static int fire(struct ss_trigger *t, const struct ss_hdr *h, uint32_t kind,
		uint32_t tid, uint32_t tgid, uint64_t thr, uint64_t since)
{
	memset(t, 0, sizeof(*t));
	t->hdr = (struct ss_hdr){ SS_EV_TRIGGER, sizeof(*t), h->cpu, h->ts };
	t->kind = kind;
	t->tid = tid;
	t->tgid = tgid;
	t->threshold_ns = thr;
	t->value_ns = h->ts - since;
	t->since_ns = since;
	return 1;
}

static int on_switch(struct sched_eval *e, const struct ss_switch *s, struct ss_trigger *t)
{
	const struct ss_flight_opts *fo = e->fo;
	struct tsince *p;
	uint64_t ts = s->hdr.ts;

	if (traced(e, s->prev_tid, s->prev_tgid) && (p = get(e, s->prev_tid, 1))) {
		/* still runnable (preempted, yielded): waits from now */
		p->wait = s->prev_state == SS_TASK_RUNNING ? ts : 0;
		p->blocked = s->prev_state == SS_TASK_RUNNING ? 0 : ts;
	}
	if (!traced(e, s->next_tid, s->next_tgid) || !(p = get(e, s->next_tid, 0)) || !p->wait)
		return 0;
	uint64_t since = p->wait;

	p->wait = 0;
	if (fo->runqlat_ns && ts - since > fo->runqlat_ns &&
	    (!fo->runqlat_tid || fo->runqlat_tid == s->next_tid))
		return fire(t, &s->hdr, SS_TRIG_RUNQLAT, s->next_tid, s->next_tgid,
			    fo->runqlat_ns, since);
	return 0;
}

static int on_wake(struct sched_eval *e, const struct ss_wakeup *w, struct ss_trigger *t)
{
	const struct ss_flight_opts *fo = e->fo;
	struct tsince *p;
	uint64_t since;

	sched_eval_traced(e, w->tgid);	/* the kernel side records wakeups of traced tasks */
	p = get(e, w->tid, 0);
	if (!p) {
		/* first seen: blocked since before we started, for how long
		 * is unknown */
		p = get(e, w->tid, 1);
		if (p)
			p->wait = w->hdr.ts;
		return 0;
	}
	since = p->blocked;
	p->blocked = 0;
	p->wait = w->hdr.ts;
	if (since && fo->offcpu_ns && w->hdr.ts - since > fo->offcpu_ns &&
	    (!fo->offcpu_tid || fo->offcpu_tid == w->tid))
		return fire(t, &w->hdr, SS_TRIG_OFFCPU, w->tid, w->tgid, fo->offcpu_ns, since);
	return 0;
}

int sched_eval_add(struct sched_eval *e, const struct ss_hdr *h, struct ss_trigger *t)
{
	switch (h->type) {
	case SS_EV_SWITCH:
		return on_switch(e, (const void *)h, t);
	case SS_EV_WAKING:
		return e->use_waking ? on_wake(e, (const void *)h, t) : 0;
	case SS_EV_WAKEUP:
		return e->use_waking ? 0 : on_wake(e, (const void *)h, t);
	case SS_EV_WAKEUP_NEW:
		return on_wake(e, (const void *)h, t);
	case SS_EV_NEWTASK:
		sched_eval_traced(e, ((const struct ss_newtask *)h)->tgid);
		return 0;
	case SS_EV_EXEC:
		sched_eval_traced(e, ((const struct ss_exec *)h)->tgid);
		return 0;
	}
	return 0;
}
