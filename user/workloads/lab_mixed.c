/* ss-lab-mixed: all three kinds at once, briefly, for a timeline: two
 * processes and two threads ping-pong through futexes, two coroutines on
 * a third thread through channels; each pair pauses now and then (a
 * nanosleep, or coro_sleep_ns for the coroutines), so that the timeline
 * shows sleeping and parking too. Nothing is pinned.
 *
 *   ss-lab-mixed [--rounds N]
 *
 * Prints: lab-mixed rounds=N processes=a,b threads=c,d coro_thread=e
 */
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"

#define PAUSE_EVERY	500		/* rounds */
#define PAUSE_NS	100000		/* 100 us */

struct shared {
	_Atomic uint32_t go;
	_Atomic uint32_t pturn, tturn;	/* process pair, thread pair */
	_Atomic uint32_t tid[5];	/* processes 0-1, threads 2-3, coroutines' thread 4 */
};

static struct shared *sh;
static uint64_t rounds = 2000;

static void futex(_Atomic uint32_t *a, int op, uint32_t v)
{
	syscall(SYS_futex, a, op, v, NULL, NULL, 0);
}

static void wait_go(int slot)
{
	sh->tid[slot] = (uint32_t)syscall(SYS_gettid);
	while (!atomic_load(&sh->go))
		futex(&sh->go, FUTEX_WAIT, 0);
}

static void pause_now(void)
{
	struct timespec ts = { 0, PAUSE_NS };

	nanosleep(&ts, NULL);
}

static void kernel_side(_Atomic uint32_t *turn, int me, int shared)
{
	int wait_op = shared ? FUTEX_WAIT : FUTEX_WAIT_PRIVATE;
	int wake_op = shared ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE;

	for (uint64_t i = 0; i < rounds; i++) {
		while (atomic_load(turn) != (uint32_t)me)
			futex(turn, wait_op, !me);
		if (me == 0 && i % PAUSE_EVERY == PAUSE_EVERY - 1)
			pause_now();
		atomic_store(turn, !me);
		futex(turn, wake_op, 1);
	}
}

static void *thread_side(void *arg)
{
	int me = (int)(uintptr_t)arg;

	wait_go(2 + me);
	kernel_side(&sh->tturn, me, 0);
	return NULL;
}

static struct coro_chan *ab, *ba;

static void *coro_side(void *arg)
{
	int me = (int)(uintptr_t)arg;
	uint64_t v = 0;

	for (uint64_t i = 0; i < rounds; i++) {
		if (me == 0) {
			if (i % PAUSE_EVERY == PAUSE_EVERY - 1)
				coro_sleep_ns(PAUSE_NS);
			if (coro_chan_send(ab, &v) || coro_chan_recv(ba, &v))
				return (void *)1;
		} else if (coro_chan_recv(ab, &v) || coro_chan_send(ba, &v)) {
			return (void *)1;
		}
	}
	return NULL;
}

static void *coro_main(void *arg)
{
	struct coro *c[2];
	void *res, *bad = NULL;

	for (int i = 0; i < 2; i++)
		c[i] = coro_create(coro_side, (void *)(uintptr_t)i, NULL);
	for (int i = 0; i < 2; i++) {
		if (!c[i])
			return (void *)1;
		coro_join(c[i], &res);
		if (res)
			bad = res;
	}
	return bad;
}

static void *coro_thread(void *arg)
{
	void *res = NULL;

	wait_go(4);
	ab = coro_chan_new(sizeof(uint64_t), 0);
	ba = coro_chan_new(sizeof(uint64_t), 0);
	if (!ab || !ba || coro_run(coro_main, NULL, &res) || res)
		*(int *)arg = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'n' },
		{ 0 }
	};
	pthread_t th[3];
	pid_t kid[2];
	int c, bad = 0, st;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'n')
			goto usage;
		rounds = strtoull(optarg, NULL, 10);
	}
	if (optind != argc || rounds < 1)
		goto usage;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("ss-lab-mixed: mmap");
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		kid[i] = fork();
		if (kid[i] < 0) {
			perror("ss-lab-mixed: fork");
			return 1;
		}
		if (kid[i] == 0) {
			wait_go(i);
			kernel_side(&sh->pturn, i, 1);
			_exit(0);
		}
	}
	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, thread_side, (void *)(uintptr_t)i))
			return 1;
	if (pthread_create(&th[2], NULL, coro_thread, &bad))
		return 1;
	for (int i = 0; i < 5; i++)
		while (!atomic_load(&sh->tid[i]))
			pause_now();
	atomic_store(&sh->go, 1);
	futex(&sh->go, FUTEX_WAKE, 1 << 30);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 2; i++)
		if (waitpid(kid[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	if (bad) {
		fprintf(stderr, "ss-lab-mixed: a pair failed\n");
		return 1;
	}
	printf("lab-mixed rounds=%llu processes=%u,%u threads=%u,%u coro_thread=%u\n",
	       (unsigned long long)rounds, sh->tid[0], sh->tid[1], sh->tid[2], sh->tid[3],
	       sh->tid[4]);
	return 0;
usage:
	fprintf(stderr, "usage: ss-lab-mixed [--rounds N]\n");
	return 2;
}
