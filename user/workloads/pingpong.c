/* ss-pingpong: two threads or two processes hand a token back and forth,
 * through a futex or a pipe, so that every hand-over is a context switch.
 * Used by the tests, the lab and the benchmarks.
 *
 *   ss-pingpong [--mode thread|process] [--via futex|pipe] [--switches N]
 *               [--cpu C|--no-pin] [--pairs P] [--rt]
 *
 * --rt runs the players SCHED_FIFO, so that no ordinary task of a busy
 * machine runs between two hand-overs (tests want exact switch pairs).
 *
 * Prints one line: "pingpong mode=.. via=.. pairs=P switches=N ns_per_switch=X
 * tids=a,b[;c,d...]" where switches counts hand-overs per pair summed (2 per
 * round trip; N/2 round trips of each pair, plus one uncounted). */
#include <errno.h>
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct pair {
	_Atomic uint32_t turn;	/* 0 or 1: whose move */
	_Atomic uint32_t ready;	/* players at the start line */
	_Atomic uint32_t tid[2];
	int pipe_ab[2], pipe_ba[2];
};

static int mode_process, via_pipe, cpu = 0, rt;
static long rounds = 100000;

static void futex_wait(_Atomic uint32_t *a, uint32_t v)
{
	syscall(SYS_futex, a, mode_process ? FUTEX_WAIT : FUTEX_WAIT_PRIVATE, v,
		NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *a)
{
	syscall(SYS_futex, a, mode_process ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE, 1,
		NULL, NULL, 0);
}

static void pin(void)
{
	struct sched_param sp = { .sched_priority = 10 };
	cpu_set_t s;

	if (rt && sched_setscheduler(0, SCHED_FIFO, &sp)) {
		perror("sched_setscheduler");
		exit(1);
	}
	if (cpu < 0)
		return;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof(s), &s)) {
		perror("sched_setaffinity");
		exit(1);
	}
}

/* Both players start together, so that every counted hand-over is a
 * direct switch between them; one extra round at the end keeps the last
 * counted hand-overs away from thread exit (where the main thread also
 * wakes up). */
static void play(struct pair *p, int me)
{
	char c = 'x';

	p->tid[me] = syscall(SYS_gettid);
	atomic_fetch_add(&p->ready, 1);
	futex_wake(&p->ready);
	while (atomic_load(&p->ready) < 2)
		futex_wait(&p->ready, 1);
	for (long i = 0; i < rounds + 1; i++) {
		if (via_pipe) {
			int in = me ? p->pipe_ab[0] : p->pipe_ba[0];
			int out = me ? p->pipe_ba[1] : p->pipe_ab[1];

			if (me == 0 && write(out, &c, 1) != 1)
				exit(1);
			if (read(in, &c, 1) != 1)
				exit(1);
			if (me == 1 && write(out, &c, 1) != 1)
				exit(1);
			continue;
		}
		while (atomic_load(&p->turn) != (uint32_t)me)
			futex_wait(&p->turn, !me);
		atomic_store(&p->turn, !me);
		futex_wake(&p->turn);
	}
}

static void *thread_main(void *arg)
{
	uintptr_t v = (uintptr_t)arg;

	pin();
	play((struct pair *)(v & ~(uintptr_t)1), v & 1);
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "via", required_argument, NULL, 'v' },
		{ "switches", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "no-pin", no_argument, NULL, 'P' },
		{ "pairs", required_argument, NULL, 'p' },
		{ "rt", no_argument, NULL, 'r' },
		{ 0 }
	};
	long pairs = 1, switches = 200000;
	struct pair *pp;
	uint64_t t0, t1;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			mode_process = !strcmp(optarg, "process");
			if (!mode_process && strcmp(optarg, "thread"))
				goto usage;
			break;
		case 'v':
			via_pipe = !strcmp(optarg, "pipe");
			if (!via_pipe && strcmp(optarg, "futex"))
				goto usage;
			break;
		case 'n':
			switches = atol(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'P':
			cpu = -1;
			break;
		case 'p':
			pairs = atol(optarg);
			break;
		case 'r':
			rt = 1;
			break;
		default:
			goto usage;
		}
	}
	if (switches < 2 || pairs < 1 || pairs > 4096)
		goto usage;
	rounds = switches / 2;
	/* Shared memory so that processes see the same futex words. */
	pp = mmap(NULL, pairs * sizeof(*pp), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pp == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (long i = 0; i < pairs; i++)
		if (pipe(pp[i].pipe_ab) || pipe(pp[i].pipe_ba)) {
			perror("pipe");
			return 1;
		}
	t0 = now_ns();
	if (mode_process) {
		pid_t *kids = calloc(pairs * 2, sizeof(*kids));

		for (long i = 0; i < pairs * 2; i++) {
			kids[i] = fork();
			if (kids[i] == 0) {
				pin();
				play(&pp[i / 2], i & 1);
				_exit(0);
			}
		}
		for (long i = 0; i < pairs * 2; i++)
			waitpid(kids[i], NULL, 0);
		free(kids);
	} else {
		pthread_t *th = calloc(pairs * 2, sizeof(*th));

		for (long i = 0; i < pairs * 2; i++)
			pthread_create(&th[i], NULL, thread_main,
				       (void *)((uintptr_t)&pp[i / 2] | (i & 1)));
		for (long i = 0; i < pairs * 2; i++)
			pthread_join(th[i], NULL);
		free(th);
	}
	t1 = now_ns();
	printf("pingpong mode=%s via=%s pairs=%ld switches=%ld ns_per_switch=%.1f tids=",
	       mode_process ? "process" : "thread", via_pipe ? "pipe" : "futex",
	       pairs, rounds * 2 * pairs,
	       (double)(t1 - t0) / ((rounds + 1) * 2 * pairs));
	for (long i = 0; i < pairs; i++)
		printf("%s%u,%u", i ? ";" : "", pp[i].tid[0], pp[i].tid[1]);
	printf("\n");
	return 0;
usage:
	fprintf(stderr, "usage: ss-pingpong [--mode thread|process] [--via futex|pipe] "
		"[--switches N] [--cpu C|--no-pin] [--pairs P] [--rt]\n");
	return 2;
}
