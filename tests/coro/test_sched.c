/* The scheduler: switches, many coroutines, join, exit, sleep, threads. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "helpers.h"

/* ---- a million switches ------------------------------------------------ */

struct pingpong {
	int turn;
	uint64_t passes;
	uint64_t out_of_turn;	/* a side found it was not its turn */
};

struct side {
	struct pingpong *p;
	int me;
};

static void *pp_side(void *arg)
{
	struct side *s = arg;

	for (uint64_t i = 0; i < s->p->passes; i++) {
		if (s->p->turn != s->me)
			s->p->out_of_turn++;
		s->p->turn = !s->me;
		coro_yield();
	}
	return NULL;
}

static void *pp_main(void *arg)
{
	struct pingpong *p = arg;
	static struct side sides[2];	/* static: see sleep_main */
	struct coro_stats st0, st1;
	struct coro *a, *b;

	sides[0] = (struct side){ p, 0 };
	sides[1] = (struct side){ p, 1 };
	coro_get_stats(&st0);
	a = coro_create(pp_side, &sides[0], NULL);
	b = coro_create(pp_side, &sides[1], NULL);
	coro_join(a, NULL);
	coro_join(b, NULL);
	coro_get_stats(&st1);
	p->passes = st1.switches - st0.switches;
	return NULL;
}

TEST(million_switches_between_two_coroutines_alternate)
{
	struct pingpong p = { .passes = 500000 };

	REQUIRE(run_coro(pp_main, &p) == 0);
	CHECK_EQ(p.out_of_turn, 0);
	/* 2 x 500,000 yields, each a switch, plus entering and leaving */
	CHECK_GE(p.passes, 1000000);
	CHECK_LE(p.passes, 1000000 + 8);
}

TEST(million_switches_with_ucontext_backend)
{
	struct pingpong p = { .passes = 500000 };

	REQUIRE(coro_set_backend(CORO_BACKEND_UCONTEXT) == 0);
	REQUIRE(run_coro(pp_main, &p) == 0);
	CHECK_EQ(p.out_of_turn, 0);
	CHECK_GE(p.passes, 1000000);
	CHECK_EQ(coro_get_backend(), CORO_BACKEND_UCONTEXT);
}

/* ---- 100,000 coroutines alive at once ---------------------------------- */

#define MANY 100000

struct many {
	struct coro_chan *gate;
	uint64_t started;
	uint64_t alive_seen;
	unsigned int n;
};

static void *waiter(void *arg)
{
	struct many *m = arg;
	int v;

	m->started++;
	/* parks until the gate closes */
	if (coro_chan_recv(m->gate, &v) != -EPIPE)
		return NULL;
	return (void *)(uintptr_t)m->started;
}

static void *many_main(void *arg)
{
	struct many *m = arg;
	struct coro **cs = calloc(m->n, sizeof(*cs));
	struct coro_stats st;
	uint64_t ok = 0;

	if (!cs)
		return NULL;
	m->gate = coro_chan_new(sizeof(int), 0);
	for (unsigned int i = 0; i < m->n; i++) {
		cs[i] = coro_create(waiter, m, NULL);
		if (!cs[i]) {
			fprintf(stderr, "  coro_create #%u: %s\n", i, strerror(errno));
			return NULL;
		}
	}
	coro_yield();		/* every one runs and parks */
	coro_get_stats(&st);
	m->alive_seen = st.alive;
	coro_chan_close(m->gate);
	for (unsigned int i = 0; i < m->n; i++) {
		void *r;

		coro_join(cs[i], &r);
		ok += (uintptr_t)r == m->n;
	}
	coro_chan_free(m->gate);
	free(cs);
	return (void *)(uintptr_t)ok;
}

/* With mprotect guards every stack is two mappings: vm.max_map_count
 * bounds how many can exist (qemu-user runs take this path). */
static unsigned int many_count(void)
{
	unsigned long max = 0;
	FILE *f;

	if (strcmp(coro_guard_mode(), "madvise") == 0)
		return MANY;
	f = fopen("/proc/sys/vm/max_map_count", "r");
	if (f) {
		if (fscanf(f, "%lu", &max) != 1)
			max = 0;
		fclose(f);
	}
	if (max && (max - 5000) / 2 < MANY) {
		printf("  note: %s guards, vm.max_map_count=%lu: %lu coroutines\n",
		       coro_guard_mode(), max, (max - 5000) / 2);
		return (unsigned int)((max - 5000) / 2);
	}
	return MANY;
}

TEST(hundred_thousand_coroutines_alive_at_once)
{
	struct many m = { .n = many_count() };
	void *ok = NULL;

	REQUIRE(coro_run(many_main, &m, &ok) == 0);
	CHECK_EQ(m.started, m.n);
	CHECK_EQ(m.alive_seen, m.n + 1);	/* the waiters and many_main */
	CHECK_EQ((uintptr_t)ok, m.n);
}

/* ---- ids, join, exit ------------------------------------------------------ */

static void *ret_arg_times_two(void *arg)
{
	return (void *)((uintptr_t)arg * 2);
}

static void *exit_early(void *arg)
{
	coro_yield();
	coro_exit((void *)0x5eed);
	return (void *)1;	/* never reached */
}

struct ids {
	uint64_t self_id, child_id, grandchild_id;
	void *r1, *r2, *r3;
	int self_matches;
};

static void *ids_main(void *arg)
{
	struct ids *x = arg;
	struct coro *a, *b, *c;

	x->self_id = coro_id(coro_self());
	a = coro_create(ret_arg_times_two, (void *)21, NULL);
	b = coro_create(exit_early, NULL, NULL);
	c = coro_create(ret_arg_times_two, (void *)5, NULL);
	x->child_id = coro_id(a);
	x->grandchild_id = coro_id(c);
	coro_yield();				/* a and c finish before their join */
	coro_join(a, &x->r1);
	coro_join(b, &x->r2);			/* b is still running: join waits */
	coro_join(c, &x->r3);
	x->self_matches = coro_self() && coro_id(coro_self()) == x->self_id;
	return NULL;
}

TEST(join_returns_results_and_ids_increase)
{
	struct ids x = { 0 };

	REQUIRE(run_coro(ids_main, &x) == 0);
	CHECK_GT(x.self_id, 0);
	CHECK_EQ(x.child_id, x.self_id + 1);
	CHECK_EQ(x.grandchild_id, x.self_id + 3);
	CHECK_EQ((uintptr_t)x.r1, 42);
	CHECK_EQ((uintptr_t)x.r2, 0x5eed);
	CHECK_EQ((uintptr_t)x.r3, 10);
	CHECK(x.self_matches);
	CHECK(coro_self() == NULL);
	CHECK(!coro_in_scheduler());
}

static void *run_result(void *arg)
{
	return arg;
}

TEST(coro_run_returns_the_first_coroutines_result)
{
	void *r = NULL;

	CHECK_EQ(coro_run(run_result, (void *)77, &r), 0);
	CHECK_EQ((uintptr_t)r, 77);
}

static void *bump(void *arg)
{
	(*(int *)arg)++;
	return NULL;
}

static void *detached_main(void *arg)
{
	struct coro_attr at = { .flags = CORO_F_DETACHED };
	struct coro_stats st;

	for (int i = 0; i < 1000; i++)
		if (!coro_create(bump, arg, &at))
			return (void *)1;
	coro_yield();
	coro_get_stats(&st);
	return (void *)(uintptr_t)(st.alive != 1);
}

TEST(detached_coroutines_run_and_finish_without_join)
{
	int n = 0;
	void *bad = (void *)1;

	REQUIRE(coro_run(detached_main, &n, &bad) == 0);
	CHECK_EQ(n, 1000);
	CHECK(bad == NULL, "alive count did not drop back to 1");
}

static void *nested(void *arg)
{
	*(int *)arg = coro_run(run_result, NULL, NULL);
	return NULL;
}

TEST(nested_coro_run_is_ebusy)
{
	int rc = 0;

	REQUIRE(run_coro(nested, &rc) == 0);
	CHECK_EQ(rc, -EBUSY);
}

struct sizes {
	int err_small, err_huge;
	int ok_min, ok_big;
};

static void *try_sizes(void *arg)
{
	struct sizes *z = arg;
	struct coro_attr small = { .stack_size = 100 };
	struct coro_attr huge = { .stack_size = (size_t)4 << 30 };
	struct coro_attr min = { .stack_size = CORO_STACK_MIN };
	struct coro_attr big = { .stack_size = 8u << 20 };
	struct coro *c;

	errno = 0;
	z->err_small = coro_create(bump, NULL, &small) ? 0 : errno;
	errno = 0;
	z->err_huge = coro_create(bump, NULL, &huge) ? 0 : errno;
	c = coro_create(run_result, NULL, &min);
	z->ok_min = c != NULL;
	if (c)
		coro_join(c, NULL);
	c = coro_create(run_result, NULL, &big);
	z->ok_big = c != NULL;
	if (c)
		coro_join(c, NULL);
	return NULL;
}

TEST(absurd_stack_sizes_are_einval)
{
	struct sizes z = { 0 };

	REQUIRE(run_coro(try_sizes, &z) == 0);
	CHECK_EQ(z.err_small, EINVAL);
	CHECK_EQ(z.err_huge, EINVAL);
	CHECK(z.ok_min);
	CHECK(z.ok_big);
}

/* ---- misuse aborts with a message --------------------------------------- */

static void expect_abort(void (*fn)(void *), void *arg, const char *want)
{
	char msg[4096];
	int st = run_child(fn, arg, msg, sizeof(msg));

	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	      "expected SIGABRT, wait status %#x, stderr: %s", st, msg);
	CHECK(strstr(msg, want) != NULL, "stderr lacks \"%s\": %s", want, msg);
}

static void call_yield_outside(void *arg)
{
	coro_yield();
}

TEST(api_outside_a_scheduler_aborts)
{
	expect_abort(call_yield_outside, NULL,
		     "coro: coro_yield() called outside a scheduler");
}

static void *join_twice_main(void *arg)
{
	struct coro *c = coro_create(run_result, NULL, NULL);

	coro_join(c, NULL);
	coro_join(c, NULL);
	return NULL;
}

static void join_twice(void *arg)
{
	run_coro(join_twice_main, NULL);
}

TEST(join_twice_aborts)
{
	expect_abort(join_twice, NULL, "coro: coro_join(): not a live coroutine");
}

static void *join_concurrently_helper(void *arg)
{
	coro_join(arg, NULL);
	return NULL;
}

static void *join_twice_waiting_main(void *arg)
{
	struct coro *slow = coro_create(exit_early, NULL, NULL);

	coro_create(join_concurrently_helper, slow, NULL);
	coro_join(slow, NULL);
	return NULL;
}

static void join_twice_waiting(void *arg)
{
	run_coro(join_twice_waiting_main, NULL);
}

TEST(two_joiners_of_one_coroutine_abort)
{
	expect_abort(join_twice_waiting, NULL, "joined twice");
}

static struct coro *foreign;
static struct coro_chan *foreign_ready, *foreign_hold;

static void *hold_forever(void *arg)
{
	int v;

	coro_chan_recv(foreign_hold, &v);
	return NULL;
}

static void *make_foreign(void *arg)
{
	int one = 1;

	foreign = coro_create(hold_forever, NULL, NULL);
	coro_chan_send(foreign_ready, &one);
	coro_join(foreign, NULL);
	return NULL;
}

static void *foreign_thread(void *arg)
{
	run_coro(make_foreign, NULL);
	return NULL;
}

/* Join a live coroutine of another thread: the other thread keeps it
 * parked on a channel until the abort ends the process. */
static void *join_foreign_main(void *arg)
{
	pthread_t t;
	int v;

	pthread_create(&t, NULL, foreign_thread, NULL);
	coro_chan_recv(foreign_ready, &v);
	coro_join(foreign, NULL);
	return NULL;
}

static void join_foreign(void *arg)
{
	foreign_ready = coro_chan_new(sizeof(int), 0);
	foreign_hold = coro_chan_new(sizeof(int), 0);
	run_coro(join_foreign_main, NULL);
}

TEST(join_of_another_threads_coroutine_aborts)
{
	expect_abort(join_foreign, NULL, "belongs to another thread");
}

/* ---- sleep ------------------------------------------------------------------ */

struct sleeper {
	uint64_t ms;
	int *order;
	int *pos;
	int id;
	uint64_t slept_ns;
};

static void *sleep_then_record(void *arg)
{
	struct sleeper *s = arg;
	uint64_t t0 = now_ns();

	coro_sleep_ns(s->ms * 1000000);
	s->slept_ns = now_ns() - t0;
	s->order[(*s->pos)++] = s->id;
	return NULL;
}

static void *sleep_main(void *arg)
{
	static const uint64_t ms[] = { 40, 10, 30, 10, 20, 0 };
	/* static: the sleepers write them while this coroutine is switched
	 * out, and with CORO_SHARED_STACK=1 its locals then hold others'
	 * frames (coro.h, Shared stacks) */
	static int pos;
	static struct sleeper s[6];
	int *order = arg;
	struct coro *c[6];

	pos = 0;

	for (int i = 0; i < 6; i++) {
		s[i] = (struct sleeper){ .ms = ms[i], .order = order, .pos = &pos, .id = i };
		c[i] = coro_create(sleep_then_record, &s[i], NULL);
	}
	for (int i = 0; i < 6; i++)
		coro_join(c[i], NULL);
	for (int i = 0; i < 6; i++)
		if (s[i].slept_ns < ms[i] * 1000000)
			return (void *)(uintptr_t)(i + 1);
	return NULL;
}

TEST(sleepers_wake_in_deadline_order_never_early)
{
	int order[6] = { -1, -1, -1, -1, -1, -1 };
	static const int want[6] = { 5, 1, 3, 4, 2, 0 };
	void *early = NULL;

	REQUIRE(coro_run(sleep_main, order, &early) == 0);
	CHECK(early == NULL, "sleeper %d woke early", (int)(uintptr_t)early - 1);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(order[i], want[i]);
}

static void *set_flag_later(void *arg)
{
	coro_sleep_ns(5000000);
	*(volatile int *)arg = 1;
	return NULL;
}

static void *busy_yield_main(void *arg)
{
	static volatile int flag;	/* static: see sleep_main */
	uint64_t spins = 0, t0 = now_ns();

	flag = 0;
	struct coro *c = coro_create(set_flag_later, (void *)&flag, NULL);

	while (!flag && now_ns() - t0 < 2000000000ull) {
		coro_yield();
		spins++;
	}
	coro_join(c, NULL);
	*(uint64_t *)arg = flag ? spins : 0;
	return NULL;
}

/* A coroutine that only yields must not starve timers. */
TEST(timers_fire_while_a_coroutine_busy_yields)
{
	uint64_t spins = 0;

	REQUIRE(run_coro(busy_yield_main, &spins) == 0);
	CHECK_GT(spins, 0);
}

/* ---- threads ------------------------------------------------------------- */

struct thr {
	int count;
	int rc;
};

static void *count_up(void *arg)
{
	for (int i = 0; i < 10; i++) {
		(*(int *)arg)++;
		coro_yield();
	}
	return NULL;
}

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	struct coro *c[100];

	for (int i = 0; i < 100; i++)
		c[i] = coro_create(count_up, &t->count, NULL);
	for (int i = 0; i < 100; i++)
		coro_join(c[i], NULL);
	return NULL;
}

static void *thr_run(void *arg)
{
	struct thr *t = arg;

	t->rc = coro_run(thr_main, t, NULL);
	return NULL;
}

TEST(every_thread_runs_its_own_scheduler)
{
	pthread_t tid[4];
	struct thr t[4] = { { 0 } };

	for (int i = 0; i < 4; i++)
		REQUIRE(pthread_create(&tid[i], NULL, thr_run, &t[i]) == 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		CHECK_EQ(t[i].rc, 0);
		CHECK_EQ(t[i].count, 1000);
	}
}
