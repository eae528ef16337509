/* Workloads of the trace-ring tests (test_ring.c), on our runtime. Each
 * prints what it did as "tid=T switches=N" lines (coro_get_stats() of the
 * thread, every switch from its scheduler's start to its end), so that the
 * test can compare the trace with the truth.
 *
 *   ring-target threads T N     T threads, each two coroutines that yield
 *                               N times each; thread k starts k*DELAY ms
 *                               late (DELAY from $RING_DELAY_MS, default 0)
 *   ring-target chan N          two coroutines, N round trips over a channel
 *                               (park and ready in every switch)
 *   ring-target fork N          N yields, fork inside a coroutine, then N
 *                               more in both parent and child
 *   ring-target kill            a thread switches without end; after 300 ms
 *                               the main thread prints how many it made and
 *                               SIGKILLs the process
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"

static long n_yields;
static uint64_t report_base;
static atomic_ullong live_switches;

static void *yielder(void *arg)
{
	for (long i = 0; i < n_yields; i++)
		coro_yield();
	return NULL;
}

/* The switches of this thread's scheduler so far, minus `before`, plus
 * the one still to come: the main coroutine's exit back to the scheduler
 * loop, which then finds nothing left and returns. */
static void report(uint64_t before)
{
	struct coro_stats st;

	coro_get_stats(&st);
	printf("tid=%d pid=%d switches=%llu\n", gettid(), getpid(),
	       (unsigned long long)(st.switches + 1 - before));
	fflush(stdout);
}

static void *two_yielders(void *arg)
{
	struct coro *a = coro_create(yielder, NULL, NULL), *b = coro_create(yielder, NULL, NULL);

	coro_join(a, NULL);
	coro_join(b, NULL);
	return NULL;
}

static void *run_main(void *arg)
{
	void *(*body)(void *) = arg;

	body(NULL);
	report(report_base);
	return NULL;
}

static void *thread_fn(void *arg)
{
	long delay_ms = (long)(intptr_t)arg;
	struct timespec d = { delay_ms / 1000, (delay_ms % 1000) * 1000000 };

	nanosleep(&d, NULL);
	if (coro_run(run_main, two_yielders, NULL))
		return (void *)1;
	return NULL;
}

static void *chan_side(void *arg)
{
	struct coro_chan **ch = arg;
	long v = 0;

	for (long i = 0; i < n_yields; i++)
		if (coro_chan_send(ch[0], &v) || coro_chan_recv(ch[1], &v))
			return (void *)1;
	return NULL;
}

static void *chan_echo(void *arg)
{
	struct coro_chan **ch = arg;
	long v;

	for (long i = 0; i < n_yields; i++)
		if (coro_chan_recv(ch[0], &v) || coro_chan_send(ch[1], &v))
			return (void *)1;
	return NULL;
}

static void *chan_main(void *arg)
{
	/* static: a pointer to a local is no good on a shared stack (coro.h) */
	static struct coro_chan *ch[2];
	struct coro *a, *b;

	ch[0] = coro_chan_new(sizeof(long), 0);
	ch[1] = coro_chan_new(sizeof(long), 0);
	a = coro_create(chan_side, ch, NULL);
	b = coro_create(chan_echo, ch, NULL);

	coro_join(a, NULL);
	coro_join(b, NULL);
	return NULL;
}

static void *fork_main(void *arg)
{
	struct coro *a = coro_create(yielder, NULL, NULL), *b = coro_create(yielder, NULL, NULL);
	pid_t child;

	struct coro_stats st;

	coro_join(a, NULL);
	coro_join(b, NULL);
	fflush(stdout);
	coro_get_stats(&st);
	child = fork();
	if (child < 0)
		return (void *)1;
	a = coro_create(yielder, NULL, NULL);
	b = coro_create(yielder, NULL, NULL);
	coro_join(a, NULL);
	coro_join(b, NULL);
	if (child > 0)
		waitpid(child, NULL, 0);
	else
		report_base = st.switches;	/* the child's own switches only */
	return NULL;
}

/* About five microseconds of work per switch: a rate any recorder keeps up
 * with, so that nothing may be lost. */
static void *endless(void *arg)
{
	for (;;) {
		for (volatile int i = 0; i < 1500; i++)
			;
		coro_yield();
		atomic_store_explicit(&live_switches, atomic_load_explicit(&live_switches,
			memory_order_relaxed) + 1, memory_order_relaxed);
	}
	return NULL;
}

static void *endless_main(void *arg)
{
	coro_create(endless, NULL, NULL);
	coro_create(endless, NULL, NULL);
	for (;;)
		coro_yield();
	return NULL;
}

static void *endless_thread(void *arg)
{
	coro_run(endless_main, NULL, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	const char *delay = getenv("RING_DELAY_MS");

	if (!strcmp(mode, "threads") && argc == 4) {
		int nt = atoi(argv[2]);
		pthread_t t[64];

		n_yields = atol(argv[3]);
		if (nt < 1 || nt > 64)
			return 2;
		for (int i = 0; i < nt; i++)
			pthread_create(&t[i], NULL, thread_fn,
				       (void *)(intptr_t)(i * (delay ? atol(delay) : 0)));
		for (int i = 0; i < nt; i++)
			pthread_join(t[i], NULL);
		return 0;
	}
	if (!strcmp(mode, "chan") && argc == 3) {
		n_yields = atol(argv[2]);
		return coro_run(run_main, chan_main, NULL) ? 1 : 0;
	}
	if (!strcmp(mode, "fork") && argc == 3) {
		n_yields = atol(argv[2]);
		return coro_run(run_main, fork_main, NULL) ? 1 : 0;
	}
	if (!strcmp(mode, "kill")) {
		struct timespec d = { 0, 300000000 };
		pthread_t t;

		pthread_create(&t, NULL, endless_thread, NULL);
		nanosleep(&d, NULL);
		printf("reported=%llu\n", (unsigned long long)atomic_load(&live_switches));
		fflush(stdout);
		kill(getpid(), SIGKILL);
	}
	fprintf(stderr, "usage: ring-target threads T N | chan N | fork N | kill\n");
	return 2;
}
