#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "offcpu.h"
#include "ss.h"

/* prev_state bits of a task that is gone (as in analysis.c) */
#define TASK_GONE (0x10 | 0x20 | 0x80)

enum { OT_NONE = 0, OT_SLEEP, OT_WAIT, OT_PARK, OT_RUNNING };	/* NONE: unknown, or gone */

struct ss_off_thread {
	int state;
	uint64_t since;
	struct ss_off_key k;	/* kind and waker filled when it is summed */
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h;
}

static uint64_t key_hash(const struct ss_off_key *k)
{
	uint64_t h = mix(k->tid, ((uint64_t)k->tgid << 8) | k->kind);

	h = mix(h, ((uint64_t)k->wtid << 32) | k->wtgid);
	h = mix(h, k->kstack);
	h = mix(h, k->ustack);
	h = mix(h, k->wkstack);
	return mix(h, k->wustack);
}

int ss_offcpu_init(struct ss_offcpu *o)
{
	memset(o, 0, sizeof(*o));
	o->heads = ss_idmap_new();
	o->tmap = ss_idmap_new();
	o->cmap = ss_idmap_new();
	if (!o->heads || !o->tmap || !o->cmap) {
		ss_offcpu_free(o);
		return -ENOMEM;
	}
	return 0;
}

void ss_offcpu_free(struct ss_offcpu *o)
{
	free(o->e);
	free(o->t);
	ss_idmap_free(o->heads);
	ss_idmap_free(o->tmap);
	ss_idmap_free(o->cmap);
	memset(o, 0, sizeof(*o));
}

static void sum(struct ss_offcpu *o, const struct ss_off_key *k, uint64_t ns)
{
	uint64_t h = key_hash(k);
	int64_t i = ss_idmap_get(o->heads, h);
	struct ss_off_entry *e;

	for (int64_t j = i; j > 0; j = o->e[j - 1].next) {
		e = &o->e[j - 1];
		if (!memcmp(&e->k, k, sizeof(*k))) {
			e->ns += ns;
			e->count++;
			goto out;
		}
	}
	if (o->n == o->cap) {
		size_t nc = o->cap ? o->cap * 2 : 256;
		struct ss_off_entry *ne = nc < UINT32_MAX ? realloc(o->e, nc * sizeof(*ne)) : NULL;

		if (!ne) {
			o->oom = 1;
			return;
		}
		o->e = ne;
		o->cap = nc;
	}
	e = &o->e[o->n++];
	e->k = *k;
	e->ns = ns;
	e->count = 1;
	e->next = i > 0 ? (uint32_t)i : 0;
	if (ss_idmap_put(o->heads, h, o->n))
		o->oom = 1;
out:
	o->total[k->kind] += ns;
	o->count[k->kind]++;
}

static struct ss_off_thread *state_of(struct ss_offcpu *o, struct ss_idmap *m, uint64_t key)
{
	int64_t i = ss_idmap_get(m, key);

	if (i >= 0)
		return &o->t[i];
	if (o->nt == o->capt) {
		size_t nc = o->capt ? o->capt * 2 : 256;
		struct ss_off_thread *nt = nc < UINT32_MAX ? realloc(o->t, nc * sizeof(*nt)) : NULL;

		if (!nt) {
			o->oom = 1;
			return NULL;
		}
		o->t = nt;
		o->capt = nc;
	}
	if (ss_idmap_put(m, key, o->nt)) {
		o->oom = 1;
		return NULL;
	}
	memset(&o->t[o->nt], 0, sizeof(o->t[0]));
	return &o->t[o->nt++];
}

/* Sum the interval that ends at ts as kind, then go on as next. */
static void close_as(struct ss_offcpu *o, struct ss_off_thread *t, int kind, uint64_t ts)
{
	struct ss_off_key k = t->k;

	if (ts < t->since)
		return;
	k.kind = kind;
	if (kind != SS_OFF_SLEEP)
		k.wtid = k.wtgid = 0, k.wkstack = k.wustack = 0;
	sum(o, &k, ts - t->since);
}

static void on_switch(struct ss_offcpu *o, const struct ss_switch *e)
{
	const struct ss_stack_ids *ids = ss_rec_stacks(&e->hdr);
	struct ss_off_thread *t;
	uint64_t ts = e->hdr.ts;

	if (e->next_tid && (t = state_of(o, o->tmap, e->next_tid))) {
		if (t->state == OT_SLEEP)	/* its wakeup was not seen */
			close_as(o, t, SS_OFF_SLEEP, ts);
		else if (t->state == OT_WAIT)
			close_as(o, t, SS_OFF_WAIT, ts);
		t->state = OT_RUNNING;
	}
	if (!e->prev_tid || !(t = state_of(o, o->tmap, e->prev_tid)))
		return;
	memset(&t->k, 0, sizeof(t->k));
	t->k.tid = e->prev_tid;
	t->k.tgid = e->prev_tgid;
	if (ids) {
		t->k.kstack = ids->kstack;
		t->k.ustack = ids->ustack;
	}
	t->since = ts;
	if (e->prev_state == SS_TASK_RUNNING)
		t->state = OT_WAIT;
	else
		t->state = e->prev_state & TASK_GONE ? OT_NONE : OT_SLEEP;
}

static void on_wakeup(struct ss_offcpu *o, const struct ss_wakeup *e)
{
	const struct ss_stack_ids *ids = ss_rec_stacks(&e->hdr);
	int64_t i = ss_idmap_get(o->tmap, e->tid);
	struct ss_off_thread *t;

	if (i < 0 && !(t = state_of(o, o->tmap, e->tid)))
		return;
	if (i >= 0)
		t = &o->t[i];
	if (t->state == OT_NONE) {
		/* a new task, or one not seen leaving a CPU: it waits from
		 * here, with no stack to say why (as analysis.c counts it) */
		memset(&t->k, 0, sizeof(t->k));
		t->k.tid = e->tid;
		t->k.tgid = e->tgid;
		t->state = OT_WAIT;
		t->since = e->hdr.ts;
		return;
	}
	if (t->state != OT_SLEEP)
		return;
	if (e->hdr.type == SS_EV_WAKING) {
		t->k.wtid = e->waker_tid;
		t->k.wtgid = e->waker_tgid;
		if (ids) {
			t->k.wkstack = ids->kstack;
			t->k.wustack = ids->ustack;
		}
	}
	close_as(o, t, SS_OFF_SLEEP, e->hdr.ts);
	t->state = OT_WAIT;
	t->since = e->hdr.ts;
}

static uint64_t coro_key(uint32_t tgid, uint64_t id)
{
	return ((uint64_t)tgid << 40) ^ id;
}

static void coro_end(struct ss_offcpu *o, uint32_t tgid, uint64_t id, uint64_t ts)
{
	int64_t i = id ? ss_idmap_get(o->cmap, coro_key(tgid, id)) : -1;

	if (i >= 0 && o->t[i].state == OT_PARK) {
		close_as(o, &o->t[i], SS_OFF_PARK, ts);
		o->t[i].state = OT_NONE;
	}
}

void ss_offcpu_add(struct ss_offcpu *o, const struct ss_hdr *h)
{
	switch (h->type) {
	case SS_EV_SWITCH:
		on_switch(o, (const void *)h);
		break;
	case SS_EV_WAKING:
	case SS_EV_WAKEUP:
	case SS_EV_WAKEUP_NEW:
		on_wakeup(o, (const void *)h);
		break;
	case SS_EV_CORO_PARK: {
		const struct ss_coro_park *e = (const void *)h;
		const struct ss_stack_ids *ids = ss_rec_stacks(h);
		struct ss_off_thread *t;

		if (!e->id || !(t = state_of(o, o->cmap, coro_key(e->tgid, e->id))))
			break;
		memset(&t->k, 0, sizeof(t->k));
		t->k.tid = e->tid;
		t->k.tgid = e->tgid;
		t->k.ustack = ids ? ids->ustack : 0;
		t->state = OT_PARK;
		t->since = h->ts;
		break;
	}
	case SS_EV_CORO_READY: {
		const struct ss_coro_ready *e = (const void *)h;

		coro_end(o, e->tgid, e->id, h->ts);
		break;
	}
	case SS_EV_CORO_SWITCH: {
		const struct ss_coro_switch *e = (const void *)h;

		coro_end(o, e->tgid, e->to, h->ts);
		break;
	}
	default:
		break;
	}
}

void ss_offcpu_finish(struct ss_offcpu *o, uint64_t end_ns)
{
	for (size_t i = 0; i < o->nt; i++) {
		struct ss_off_thread *t = &o->t[i];

		if (t->state == OT_SLEEP)
			close_as(o, t, SS_OFF_SLEEP, end_ns);
		else if (t->state == OT_WAIT)
			close_as(o, t, SS_OFF_WAIT, end_ns);
		else if (t->state == OT_PARK)
			close_as(o, t, SS_OFF_PARK, end_ns);
		t->state = OT_NONE;
	}
}
