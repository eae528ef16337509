/* A "runtime" that is not ours: it emits the documented coro:* probes by
 * hand with plain sys/sdt.h (1-byte nop sites, semaphores), to show that
 * any runtime emitting the probe ABI is traced the same way.
 *
 *   hand-probes N   emits: create 1 and 2, N switches alternating between
 *                   them with dur_ns 100+i, a park/ready pair, exit 1 and 2,
 *                   and one stats (N switches, sum of durations).
 *   hand-probes N clean|syscall|fault
 *                   N "switches" whose window is measured for real with
 *                   CLOCK_MONOTONIC (4 arguments, with start_ns), holding
 *                   nothing, a getppid() call, or the first touch of a fresh
 *                   page: what verify must pass or catch.
 *   hand-probes N migrate
 *                   a work-stealing runtime's view: coroutine 7 runs N
 *                   times, by turns on two threads (ready, switch in, park
 *                   on a channel, switch out on the thread that runs it),
 *                   created on the first, exiting on the one that ran it
 *                   last.
 *   hand-probes N reuse
 *                   a runtime whose ids are addresses: coroutine 7 is
 *                   created, run once and exits, N times over (the same id
 *                   for N coroutines, one after another). */
#define _SDT_HAS_SEMAPHORES 1
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sdt.h>
#include <time.h>
#include <unistd.h>

unsigned short coro_create_semaphore __attribute__((section(".probes")));
unsigned short coro_switch_semaphore __attribute__((section(".probes")));
unsigned short coro_park_semaphore __attribute__((section(".probes")));
unsigned short coro_ready_semaphore __attribute__((section(".probes")));
unsigned short coro_exit_semaphore __attribute__((section(".probes")));
unsigned short coro_stats_semaphore __attribute__((section(".probes")));

static void entry(void)
{
}

static uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int measured(long n, const char *what)
{
	int sys = !strcmp(what, "syscall"), fault = !strcmp(what, "fault");
	char *pages = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (pages == MAP_FAILED)
		return 1;
	for (long i = 0; i < n; i++) {
		uint64_t t0, t1;

		t0 = now();
		if (sys)
			getppid();
		if (fault)
			((volatile char *)pages)[i * 4096] = 1;
		t1 = now();
		if (coro_switch_semaphore)
			STAP_PROBE4(coro, switch, 1, 2, t1 - t0, t0);
	}
	printf("hand-probes: %ld measured switches (%s)\n", n, what);
	return 0;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long turn, turns;

static void *worker(void *arg)
{
	long me = (long)arg;

	for (;;) {
		uint64_t t0;
		long mine;

		pthread_mutex_lock(&mu);
		while (turn < turns && turn % 2 != me)
			pthread_cond_wait(&cv, &mu);
		mine = turn;
		pthread_mutex_unlock(&mu);
		if (mine >= turns)
			return NULL;
		if (!mine && coro_create_semaphore)
			STAP_PROBE3(coro, create, 7, (uintptr_t)entry, 65536);
		if (coro_ready_semaphore)
			STAP_PROBE2(coro, ready, 7, 0);
		t0 = now();
		if (coro_switch_semaphore)
			STAP_PROBE4(coro, switch, 0, 7, now() - t0, t0);
		if (coro_park_semaphore)
			STAP_PROBE2(coro, park, 7, 1);
		t0 = now();
		if (coro_switch_semaphore)
			STAP_PROBE4(coro, switch, 7, 0, now() - t0, t0);
		pthread_mutex_lock(&mu);
		if (++turn == turns && coro_exit_semaphore)
			STAP_PROBE1(coro, exit, 7);
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
}

static int reuse(long n)
{
	for (long i = 0; i < n; i++) {
		uint64_t t0;

		if (coro_create_semaphore)
			STAP_PROBE3(coro, create, 7, (uintptr_t)entry, 65536);
		t0 = now();
		if (coro_switch_semaphore)
			STAP_PROBE4(coro, switch, 0, 7, now() - t0, t0);
		t0 = now();
		if (coro_exit_semaphore)
			STAP_PROBE1(coro, exit, 7);
		if (coro_switch_semaphore)
			STAP_PROBE4(coro, switch, 7, 0, now() - t0, t0);
	}
	printf("hand-probes: coroutine id 7 made, run and ended %ld times\n", n);
	return 0;
}

static int migrate(long n)
{
	pthread_t t[2];

	turns = n;
	for (long i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i))
			return 1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("hand-probes: coroutine 7 ran %ld times on two threads\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	uint64_t sum = 0;

	if (argc > 2 && !strcmp(argv[2], "migrate"))
		return migrate(n);
	if (argc > 2 && !strcmp(argv[2], "reuse"))
		return reuse(n);
	if (argc > 2)
		return measured(n, argv[2]);

	if (coro_create_semaphore) {
		STAP_PROBE3(coro, create, 1, (uintptr_t)entry, 65536);
		STAP_PROBE3(coro, create, 2, (uintptr_t)entry, 65536);
	}
	for (long i = 0; i < n; i++) {
		uint64_t from = i & 1 ? 2 : 1, to = i & 1 ? 1 : 2, dur = 100 + i;

		sum += dur;
		/* start_ns is optional: this runtime gives three arguments */
		if (coro_switch_semaphore)
			STAP_PROBE3(coro, switch, from, to, dur);
	}
	if (coro_park_semaphore)
		STAP_PROBE2(coro, park, 2, 3);
	if (coro_ready_semaphore)
		STAP_PROBE2(coro, ready, 2, 1);
	if (coro_exit_semaphore) {
		STAP_PROBE1(coro, exit, 1);
		STAP_PROBE1(coro, exit, 2);
	}
	if (coro_stats_semaphore) {
		/* Operands in memory (offset(%reg) in the note): the
		 * consumer must read them from user space. */
		struct { long n; uint64_t sum; } *t = malloc(sizeof(*t));

		if (!t)
			return 1;
		t->n = n;
		t->sum = sum;
		__asm__ volatile("" ::: "memory");
		STAP_PROBE2(coro, stats, t->n, t->sum);
		free(t);
	}
	printf("hand-probes: %ld switches, semaphore %s\n", n,
	       coro_switch_semaphore ? "set" : "not set");
	return 0;
}
