/* Channels: order, blocking, close, and coroutines of two threads. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"
#include "helpers.h"

struct log {
	char ev[256];
	int n;
};

struct chan_case {
	struct coro_chan *ch;
	struct log log;
	int got[64];
	int ngot;
	int send_rc_after_close;
	int recv_rc_after_drain;
};

static void note(struct log *l, char c)
{
	if (l->n < (int)sizeof(l->ev) - 1)
		l->ev[l->n++] = c;
}

static void *producer(void *arg)
{
	struct chan_case *k = arg;

	for (int i = 0; i < 6; i++) {
		note(&k->log, 's');
		if (coro_chan_send(k->ch, &i))
			return (void *)1;
	}
	coro_chan_close(k->ch);
	k->send_rc_after_close = coro_chan_send(k->ch, &k->ngot);
	return NULL;
}

static void *consumer(void *arg)
{
	struct chan_case *k = arg;
	int v, rc;

	while ((rc = coro_chan_recv(k->ch, &v)) == 0) {
		note(&k->log, 'r');
		k->got[k->ngot++] = v;
	}
	k->recv_rc_after_drain = rc;
	return NULL;
}

static void *chan_main(void *arg)
{
	struct chan_case *k = arg;
	struct coro *p = coro_create(producer, k, NULL);
	struct coro *c = coro_create(consumer, k, NULL);
	void *pr;

	coro_join(p, &pr);
	coro_join(c, NULL);
	coro_chan_free(k->ch);
	return pr;
}

static void run_case(struct chan_case *k, size_t cap)
{
	void *pr = (void *)1;

	k->ch = coro_chan_new(sizeof(int), cap);
	REQUIRE(k->ch != NULL);
	REQUIRE(coro_run(chan_main, k, &pr) == 0);
	CHECK(pr == NULL, "a send failed before close");
	CHECK_EQ(k->ngot, 6);
	for (int i = 0; i < k->ngot; i++)
		CHECK_EQ(k->got[i], i);
	CHECK_EQ(k->send_rc_after_close, -EPIPE);
	CHECK_EQ(k->recv_rc_after_drain, -EPIPE);
}

/* Unbuffered: a send completes only with a receiver. The producer parks
 * on its first send; from then on a send to the waiting consumer returns
 * at once and the next one parks, so the log goes in matched pairs. */
TEST(unbuffered_channel_is_a_rendezvous)
{
	struct chan_case k = { 0 };

	run_case(&k, 0);
	k.log.ev[k.log.n] = 0;
	CHECK_STR(k.log.ev, "srssrrssrrsr");
}

/* Buffered with room for 2: the producer runs ahead by the capacity, the
 * consumer still gets every element in order, the buffer drains after
 * close. */
TEST(buffered_channel_keeps_order_blocks_when_full_drains_after_close)
{
	struct chan_case k = { 0 };

	run_case(&k, 2);
	k.log.ev[k.log.n] = 0;
	CHECK_STR(k.log.ev, "sssrrrsssrrr");
}

static void *wait_recv(void *arg)
{
	int v;

	return (void *)(intptr_t)coro_chan_recv(arg, &v);
}

static void *close_main(void *arg)
{
	struct coro_chan *ch = coro_chan_new(sizeof(int), 0);
	struct coro *w[3];
	intptr_t sum = 0;

	for (int i = 0; i < 3; i++)
		w[i] = coro_create(wait_recv, ch, NULL);
	coro_yield();
	coro_chan_close(ch);
	for (int i = 0; i < 3; i++) {
		void *r;

		coro_join(w[i], &r);
		sum += (intptr_t)r;
	}
	coro_chan_free(ch);
	return (void *)sum;
}

TEST(close_wakes_every_waiter_with_epipe)
{
	void *sum = NULL;

	REQUIRE(coro_run(close_main, NULL, &sum) == 0);
	CHECK_EQ((intptr_t)sum, -3 * EPIPE);
}

/* ---- two threads ------------------------------------------------------ */

#define XN 20000

struct xthread {
	struct coro_chan *to_b;		/* buffered: A's producers -> B */
	struct coro_chan *ping;		/* unbuffered token, A -> B */
	struct coro_chan *pong;		/* unbuffered token, B -> A */
	uint64_t sum;
	uint64_t token;
	int rc_a, rc_b;
};

static void *a_produce(void *arg)
{
	struct xthread *x = arg;

	for (uint64_t i = 1; i <= XN; i++)
		if (coro_chan_send(x->to_b, &i))
			return (void *)1;
	return NULL;
}

static void *a_pinger(void *arg)
{
	struct xthread *x = arg;
	uint64_t t = 0;

	for (int i = 0; i < 1000; i++) {
		t++;
		if (coro_chan_send(x->ping, &t) || coro_chan_recv(x->pong, &t))
			return (void *)1;
	}
	x->token = t;
	return NULL;
}

static void *a_main(void *arg)
{
	struct coro *p[4], *g;
	void *bad = NULL, *r;

	for (int i = 0; i < 4; i++)
		p[i] = coro_create(a_produce, arg, NULL);
	g = coro_create(a_pinger, arg, NULL);
	for (int i = 0; i < 4; i++) {
		coro_join(p[i], &r);
		bad = r ? r : bad;
	}
	coro_join(g, &r);
	return r ? r : bad;
}

static void *b_consume(void *arg)
{
	struct xthread *x = arg;
	uint64_t v;

	for (int i = 0; i < 4 * XN; i++) {
		if (coro_chan_recv(x->to_b, &v))
			return (void *)1;
		x->sum += v;
	}
	return NULL;
}

static void *b_ponger(void *arg)
{
	struct xthread *x = arg;
	uint64_t t;

	for (int i = 0; i < 1000; i++) {
		if (coro_chan_recv(x->ping, &t))
			return (void *)1;
		t++;
		if (coro_chan_send(x->pong, &t))
			return (void *)1;
	}
	return NULL;
}

static void *b_main(void *arg)
{
	struct coro *c = coro_create(b_consume, arg, NULL);
	struct coro *p = coro_create(b_ponger, arg, NULL);
	void *r1, *r2;

	coro_join(c, &r1);
	coro_join(p, &r2);
	return r1 ? r1 : r2;
}

static void *thread_a(void *arg)
{
	struct xthread *x = arg;
	void *r = (void *)1;

	x->rc_a = coro_run(a_main, x, &r) ? -1 : (int)(uintptr_t)r;
	return NULL;
}

TEST(channels_between_coroutines_on_two_threads)
{
	struct xthread x = { 0 };
	pthread_t t;
	void *r = (void *)1;

	x.to_b = coro_chan_new(sizeof(uint64_t), 16);
	x.ping = coro_chan_new(sizeof(uint64_t), 0);
	x.pong = coro_chan_new(sizeof(uint64_t), 0);
	REQUIRE(x.to_b && x.ping && x.pong);
	REQUIRE(pthread_create(&t, NULL, thread_a, &x) == 0);
	x.rc_b = coro_run(b_main, &x, &r) ? -1 : (int)(uintptr_t)r;
	pthread_join(t, NULL);
	CHECK_EQ(x.rc_a, 0);
	CHECK_EQ(x.rc_b, 0);
	CHECK_EQ(x.sum, 4ull * XN * (XN + 1) / 2);
	CHECK_EQ(x.token, 2000);
	coro_chan_free(x.to_b);
	coro_chan_free(x.ping);
	coro_chan_free(x.pong);
}
