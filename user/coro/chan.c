// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Channels: a ring buffer of fixed-size elements plus FIFO queues of
 * waiting senders and receivers, under one mutex so that coroutines of
 * several threads can share a channel. A waiter lives on the waiting
 * coroutine's stack; whoever completes its operation copies the element,
 * sets its status and only then makes it ready, after the unlock.
 *
 * Parking after the unlock is safe across threads: a coroutine readied by
 * another thread goes to its own thread's remote queue, which is drained
 * only by that thread's scheduler, i.e. after the coroutine has parked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct waiter {
	struct coro *c;
	void *elem;		/* sender: the element; receiver: where it goes */
	int status;		/* 0, or -EPIPE: closed while waiting */
	struct waiter *next;
};

struct waitq {
	struct waiter *head;
	struct waiter *tail;
};

struct coro_chan {
	pthread_mutex_t lock;
	size_t esz;
	size_t cap;
	size_t head;		/* index of the oldest element */
	size_t count;
	int closed;
	struct waitq senders;
	struct waitq receivers;
	unsigned char buf[];
};

static void wq_push(struct waitq *q, struct waiter *w)
{
	w->next = NULL;
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
}

static struct waiter *wq_pop(struct waitq *q)
{
	struct waiter *w = q->head;

	if (w) {
		q->head = w->next;
		if (!q->head)
			q->tail = NULL;
	}
	return w;
}

struct coro_chan *coro_chan_new(size_t elem_size, size_t capacity)
{
	struct coro_chan *ch;

	if (!elem_size || (capacity && elem_size > (SIZE_MAX - sizeof(*ch)) / capacity)) {
		errno = EINVAL;
		return NULL;
	}
	ch = calloc(1, sizeof(*ch) + elem_size * capacity);
	if (!ch)
		return NULL;
	pthread_mutex_init(&ch->lock, NULL);
	ch->esz = elem_size;
	ch->cap = capacity;
	return ch;
}

static inline unsigned char *slot(struct coro_chan *ch, size_t i)
{
	return ch->buf + ((ch->head + i) % ch->cap) * ch->esz;
}

/* A waiter off the stack, for a shared-stack coroutine: while it waits,
 * its frames are elsewhere and others' frames are where they were. The
 * element is copied in (send) or out (recv) by the waiter itself. */
static struct waiter *heap_waiter(struct coro *c, size_t esz)
{
	size_t need = sizeof(struct waiter) + esz;

	if (need > c->wbuf_cap) {
		void *p = realloc(c->wbuf, need);

		if (!p)
			return NULL;
		c->wbuf = p;
		c->wbuf_cap = need;
	}
	return c->wbuf;
}

static int wait_on_heap(struct sched *s, struct coro_chan *ch, struct waitq *q,
			void *elem, int recv)
{
	struct waiter *w = heap_waiter(s->cur, ch->esz);

	if (!w) {
		pthread_mutex_unlock(&ch->lock);
		return -ENOMEM;
	}
	w->c = s->cur;
	w->elem = w + 1;
	w->status = 0;
	if (!recv)
		memcpy(w->elem, elem, ch->esz);
	wq_push(q, w);
	pthread_mutex_unlock(&ch->lock);
	coro_park(s, CORO_PARK_CHANNEL);
	if (recv && !w->status)
		memcpy(elem, w->elem, ch->esz);
	return w->status;
}

/* Park on q until someone completes the operation or closes. */
static int wait_on(struct sched *s, struct coro_chan *ch, struct waitq *q, void *elem,
		   int recv)
{
	struct waiter w = { .c = s->cur, .elem = elem };

	if (unlikely(s->cur->sh))
		return wait_on_heap(s, ch, q, elem, recv);
	wq_push(q, &w);
	pthread_mutex_unlock(&ch->lock);
	coro_park(s, CORO_PARK_CHANNEL);
	return w.status;
}

#ifndef NDEBUG
/* A pointer into a shared stack is meaningful only while the coroutine
 * whose frames it points at runs: sending one is a bug (coro.h). Every
 * aligned pointer-sized word of the element is looked at. */
static void check_no_shared_ptr(struct sched *s, const void *elem, size_t esz)
{
	const unsigned char *e = elem;

	for (size_t off = 0; off + sizeof(void *) <= esz; off += sizeof(void *)) {
		void *p;
		struct coro_shstack *sh;

		memcpy(&p, e + off, sizeof(p));
		sh = coro_shstack_find(s, p);
		if (unlikely(sh))
			coro_fatal("coro_chan_send(): the element (bytes %zu..%zu) holds %p, "
				   "which points into a shared stack (%p-%p) of this thread: "
				   "the frames there belong to whichever coroutine runs "
				   "(see coro.h, Shared stacks); send heap memory instead",
				   off, off + sizeof(p) - 1, p, (void *)sh->st.lo,
				   (void *)sh->st.hi);
	}
}
#else
static inline void check_no_shared_ptr(struct sched *s, const void *elem, size_t esz) { }
#endif

int coro_chan_send(struct coro_chan *ch, const void *elem)
{
	struct sched *s = coro_sched_get("coro_chan_send");
	struct waiter *w;

	if (s->nsh)
		check_no_shared_ptr(s, elem, ch->esz);
	pthread_mutex_lock(&ch->lock);
	if (ch->closed) {
		pthread_mutex_unlock(&ch->lock);
		return -EPIPE;
	}
	w = wq_pop(&ch->receivers);
	if (w) {
		memcpy(w->elem, elem, ch->esz);
		w->status = 0;
		pthread_mutex_unlock(&ch->lock);
		coro_ready(w->c, s->cur->id);
		return 0;
	}
	if (ch->count < ch->cap) {
		memcpy(slot(ch, ch->count), elem, ch->esz);
		ch->count++;
		pthread_mutex_unlock(&ch->lock);
		return 0;
	}
	return wait_on(s, ch, &ch->senders, (void *)elem, 0);
}

int coro_chan_recv(struct coro_chan *ch, void *elem)
{
	struct sched *s = coro_sched_get("coro_chan_recv");
	struct waiter *w;

	pthread_mutex_lock(&ch->lock);
	if (ch->count) {
		memcpy(elem, slot(ch, 0), ch->esz);
		ch->head = (ch->head + 1) % ch->cap;
		ch->count--;
		/* room now: the longest-waiting sender's element moves in */
		w = wq_pop(&ch->senders);
		if (w) {
			memcpy(slot(ch, ch->count), w->elem, ch->esz);
			ch->count++;
			w->status = 0;
		}
		pthread_mutex_unlock(&ch->lock);
		if (w)
			coro_ready(w->c, s->cur->id);
		return 0;
	}
	w = wq_pop(&ch->senders);
	if (w) {
		memcpy(elem, w->elem, ch->esz);
		w->status = 0;
		pthread_mutex_unlock(&ch->lock);
		coro_ready(w->c, s->cur->id);
		return 0;
	}
	if (ch->closed) {
		pthread_mutex_unlock(&ch->lock);
		return -EPIPE;
	}
	return wait_on(s, ch, &ch->receivers, elem, 1);
}

void coro_chan_close(struct coro_chan *ch)
{
	struct waiter *woken = NULL, *w;
	uint64_t by = coro_cur_id();

	pthread_mutex_lock(&ch->lock);
	ch->closed = 1;
	while ((w = wq_pop(&ch->receivers)) || (w = wq_pop(&ch->senders))) {
		w->status = -EPIPE;
		w->next = woken;
		woken = w;
	}
	pthread_mutex_unlock(&ch->lock);
	while (woken) {
		/* read next before the waiter's stack frame can go away */
		struct waiter *n = woken->next;

		coro_ready(woken->c, by);
		woken = n;
	}
}

void coro_chan_free(struct coro_chan *ch)
{
	if (!ch)
		return;
	if (ch->senders.head || ch->receivers.head)
		coro_fatal("coro_chan_free(): coroutines still wait on the channel");
	pthread_mutex_destroy(&ch->lock);
	free(ch);
}
