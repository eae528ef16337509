/* The flight recorder's carried-over records: what a reader of a dump
 * needs from before its window (flight.h). */
#include <stdlib.h>
#include <string.h>

#include "flight_int.h"
#include "idmap.h"

#define COMPACT_MIN	(64u << 10)

int carry_init(struct carry *c)
{
	memset(c, 0, sizeof(*c));
	return carry_ends_init(&c->gone);
}

void carry_free(struct carry *c)
{
	free(c->buf);
	carry_ends_free(&c->gone);
	memset(c, 0, sizeof(*c));
}

/* One key for a coroutine of a process (ids are per process). */
static uint64_t coro_key(uint32_t tgid, uint64_t id)
{
	return (id * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)tgid << 1 | 1);
}

static int carried(uint16_t type)
{
	switch (type) {
	case SS_EV_NEWTASK:
	case SS_EV_EXEC:
	case SS_EV_COMM:
	case SS_EV_CORO_CREATE:
	case SS_EV_STACK:
	case SS_EV_MAP:
	case SS_EV_SYM:
	case SS_EV_CGROUP:	/* names and who is where: state, like comm */
		return 1;
	}
	return 0;
}

/* Task records have tid first; the coroutine records tid, tgid, id. */
static uint32_t rec_tid(const struct ss_hdr *h)
{
	uint32_t tid;

	if (h->type == SS_EV_NEWTASK)
		return ((const struct ss_newtask *)h)->tid;
	memcpy(&tid, h + 1, sizeof(tid));
	return tid;
}

void carry_keep(struct carry *c, const struct ss_hdr *h)
{
	carry_ends_note(&c->gone, h, c->len / 8);
	if (!carried(h->type))
		return;
	if (c->len + h->size > c->cap) {
		size_t nc = c->cap ? c->cap * 2 : COMPACT_MIN;
		char *n;

		while (nc < c->len + h->size)
			nc *= 2;
		n = realloc(c->buf, nc);
		if (!n)
			return;	/* the dump reads without it: names fall back to /proc */
		c->buf = n;
		c->cap = nc;
	}
	memcpy(c->buf + c->len, h, h->size);
	c->len += h->size;
	if (c->len > c->peak)
		c->peak = c->len;
}

static int dead(const struct carry *c, const struct ss_hdr *h, size_t off)
{
	return carry_ends_dead(&c->gone, h, off / 8);
}

void carry_compact(struct carry *c)
{
	struct carry_ends fresh = { 0 };
	struct ss_idmap *named;
	size_t n = 0, *offs, out = 0;
	char *nb;

	if (c->len < COMPACT_MIN || c->len < c->compacted * 2)
		return;
	named = ss_idmap_new();
	for (size_t off = 0; off < c->len; off += ((const struct ss_hdr *)(c->buf + off))->size)
		n++;
	offs = malloc(n * sizeof(*offs));
	nb = malloc(c->len);
	if (!named || carry_ends_init(&fresh) || !offs || !nb)
		goto out;
	n = 0;
	for (size_t off = 0; off < c->len; off += ((const struct ss_hdr *)(c->buf + off))->size)
		offs[n++] = off;
	/* newest first: the latest exec and comm of a task stand */
	for (size_t i = n; i-- > 0;) {
		struct ss_hdr *h = (struct ss_hdr *)(c->buf + offs[i]);

		if (dead(c, h, offs[i])) {
			h->type = SS_EV_NONE;
			continue;
		}
		if (h->type == SS_EV_EXEC || h->type == SS_EV_COMM) {
			uint64_t key = (uint64_t)h->type << 32 | rec_tid(h);

			if (ss_idmap_get(named, key) >= 0)
				h->type = SS_EV_NONE;
			else
				ss_idmap_put(named, key, 1);
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct ss_hdr *h = (const void *)(c->buf + offs[i]);

		if (h->type == SS_EV_NONE)
			continue;
		memcpy(nb + out, h, h->size);
		out += h->size;
	}
	free(c->buf);
	c->buf = nb;
	c->cap = c->len;
	c->len = out;
	c->compacted = out;
	nb = NULL;
	/* everything that died is gone now */
	carry_ends_free(&c->gone);
	c->gone = fresh;
	fresh = (struct carry_ends){ 0 };
out:
	ss_idmap_free(named);
	carry_ends_free(&fresh);
	free(offs);
	free(nb);
}

void carry_each(const struct carry *c,
		void (*fn)(void *ctx, const struct ss_hdr *h, uint32_t i), void *ctx)
{
	struct ss_hdr *h;
	uint32_t i = 0;

	for (size_t off = 0; off < c->len; off += h->size) {
		h = (struct ss_hdr *)(c->buf + off);
		if (!dead(c, h, off))
			fn(ctx, h, i);
		i++;
	}
}

int carry_wanted(const struct ss_hdr *h)
{
	return carried(h->type);
}

int carry_ends_init(struct carry_ends *e)
{
	e->tid = ss_idmap_new();
	e->coro = ss_idmap_new();
	if (e->tid && e->coro)
		return 0;
	carry_ends_free(e);
	return -1;
}

void carry_ends_free(struct carry_ends *e)
{
	ss_idmap_free(e->tid);
	ss_idmap_free(e->coro);
	e->tid = e->coro = NULL;
}

void carry_ends_note(struct carry_ends *e, const struct ss_hdr *h, uint32_t i)
{
	if (h->type == SS_EV_EXIT)
		ss_idmap_put(e->tid, ((const struct ss_exit *)h)->tid, i);
	else if (h->type == SS_EV_CORO_EXIT)
		ss_idmap_put(e->coro, coro_key(((const struct ss_coro_exit *)h)->tgid,
					       ((const struct ss_coro_exit *)h)->id), i);
}

int carry_ends_dead(const struct carry_ends *e, const struct ss_hdr *h, uint32_t i)
{
	int64_t at;

	if (h->type == SS_EV_CORO_CREATE)
		at = ss_idmap_get(e->coro, coro_key(((const struct ss_coro_create *)h)->tgid,
						    ((const struct ss_coro_create *)h)->id));
	else if (h->type == SS_EV_NEWTASK || h->type == SS_EV_EXEC || h->type == SS_EV_COMM)
		at = ss_idmap_get(e->tid, rec_tid(h));
	else if (h->type == SS_EV_CGROUP && ((const struct ss_cgroup *)h)->tid &&
		 !(((const struct ss_cgroup *)h)->flags & SS_CGROUP_PROCESS))
		/* where a thread was: a name record (tid 0) stays */
		at = ss_idmap_get(e->tid, ((const struct ss_cgroup *)h)->tid);
	else
		return 0;
	return at >= 0 && i < (uint64_t)at;
}
