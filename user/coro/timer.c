// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Sleeping coroutines: a binary min-heap by deadline, ties broken by the
 * order of arrival so that equal sleeps wake in the order they began. */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

static int before(const struct timer *a, const struct timer *b)
{
	return a->deadline < b->deadline ||
	       (a->deadline == b->deadline && a->seq < b->seq);
}

int coro_timer_add(struct timer_heap *h, uint64_t deadline, struct coro *c)
{
	size_t i;

	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		struct timer *v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	i = h->n++;
	h->v[i] = (struct timer){ .deadline = deadline, .seq = h->seq++, .c = c };
	while (i) {
		size_t p = (i - 1) / 2;
		struct timer t;

		if (!before(&h->v[i], &h->v[p]))
			break;
		t = h->v[i];
		h->v[i] = h->v[p];
		h->v[p] = t;
		i = p;
	}
	return 0;
}

static void pop(struct timer_heap *h)
{
	size_t i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct timer t;

		if (l < h->n && before(&h->v[l], &h->v[m]))
			m = l;
		if (r < h->n && before(&h->v[r], &h->v[m]))
			m = r;
		if (m == i)
			break;
		t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
}

int64_t coro_timer_expire(struct timer_heap *h, uint64_t now)
{
	while (h->n && h->v[0].deadline <= now) {
		struct coro *c = h->v[0].c;

		pop(h);
		coro_ready(c, 0);
	}
	return h->n ? (int64_t)(h->v[0].deadline - now) : -1;
}

void coro_timer_fini(struct timer_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
