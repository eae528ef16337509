/* ss-lab-create: the cost of creating a process, a thread or a coroutine
 * and letting it finish.
 *
 *   ss-lab-create [--kind process|thread|coro|all] [--count N]
 *
 *   process  fork(); the child _exit(0)s; waitpid()
 *   thread   pthread_create() of a function that returns; pthread_join()
 *   coro     coro_create() of a function that returns; coro_join()
 *            (inside one scheduler: the freed stack is reused, as glibc
 *            reuses a joined thread's stack)
 *
 * One after the other, N times, so that at most one exists at a time.
 * Prints one line per kind:
 *   lab-create kind=K count=N elapsed_ns=E ns_each=X
 */
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"

static uint64_t count = 1000;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void report(const char *kind, uint64_t ns)
{
	printf("lab-create kind=%s count=%llu elapsed_ns=%llu ns_each=%.1f\n", kind,
	       (unsigned long long)count, (unsigned long long)ns, (double)ns / (double)count);
	fflush(stdout);
}

static int processes(void)
{
	uint64_t t0 = now_ns();
	int st;

	for (uint64_t i = 0; i < count; i++) {
		pid_t p = fork();

		if (p < 0) {
			perror("ss-lab-create: fork");
			return -1;
		}
		if (p == 0)
			_exit(0);
		if (waitpid(p, &st, 0) != p || !WIFEXITED(st)) {
			fprintf(stderr, "ss-lab-create: child %d did not exit\n", p);
			return -1;
		}
	}
	report("process", now_ns() - t0);
	return 0;
}

static void *nothing(void *arg)
{
	return arg;
}

static int threads(void)
{
	uint64_t t0 = now_ns();
	pthread_t t;

	for (uint64_t i = 0; i < count; i++) {
		if (pthread_create(&t, NULL, nothing, NULL)) {
			fprintf(stderr, "ss-lab-create: pthread_create failed\n");
			return -1;
		}
		pthread_join(t, NULL);
	}
	report("thread", now_ns() - t0);
	return 0;
}

static void *coro_loop(void *arg)
{
	uint64_t t0 = now_ns();

	for (uint64_t i = 0; i < count; i++) {
		struct coro *c = coro_create(nothing, NULL, NULL);

		if (!c) {
			perror("ss-lab-create: coro_create");
			return (void *)1;
		}
		coro_join(c, NULL);
	}
	*(uint64_t *)arg = now_ns() - t0;
	return NULL;
}

static int coroutines(void)
{
	uint64_t ns = 0;
	void *res = NULL;
	int rc = coro_run(coro_loop, &ns, &res);

	if (rc || res) {
		fprintf(stderr, "ss-lab-create: coroutine scheduler failed (%d)\n", rc);
		return -1;
	}
	report("coro", ns);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "count", required_argument, NULL, 'n' },
		{ 0 }
	};
	const char *kind = "all";
	int c, all;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kind = optarg;
			break;
		case 'n':
			count = strtoull(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	all = !strcmp(kind, "all");
	if (optind != argc || !count || (!all && strcmp(kind, "process") &&
					 strcmp(kind, "thread") && strcmp(kind, "coro")))
		goto usage;
	if ((all || !strcmp(kind, "process")) && processes())
		return 1;
	if ((all || !strcmp(kind, "thread")) && threads())
		return 1;
	if ((all || !strcmp(kind, "coro")) && coroutines())
		return 1;
	return 0;
usage:
	fprintf(stderr, "usage: ss-lab-create [--kind process|thread|coro|all] [--count N]\n");
	return 2;
}
