/* Workloads for the flight recorder's tests (tests/flight/test_flight.c).
 *
 *   flight-work stall SEC AT_SEC STALL_MS
 *	one thread, SEC seconds of 10 ms sleeps, and once, AT_SEC in, one
 *	futex wait of STALL_MS (0: none) that nothing wakes: a known
 *	off-CPU stall. Prints "staller=TID start=NS end=NS" (CLOCK_MONOTONIC
 *	around the wait).
 *   flight-work runqlat SEC
 *	on CPU 0: a SCHED_FIFO hog that spins 30 ms then sleeps 20 ms, and a
 *	normal thread that sleeps 2 ms at a time: its wakeups during a spin
 *	wait up to 30 ms for the CPU. Prints "sleeper=TID hog=TID".
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void nap(long ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int stall(double secs, double at, long stall_ms)
{
	uint64_t t0 = now_ns(), end = t0 + secs * 1e9, when = t0 + at * 1e9;
	uint64_t s0 = 0, s1 = 0;
	int done = stall_ms == 0;
	uint32_t word = 0;

	while (now_ns() < end) {
		if (!done && now_ns() >= when) {
			struct timespec to = { stall_ms / 1000, stall_ms % 1000 * 1000000 };

			s0 = now_ns();
			/* nobody wakes it: the timeout ends the wait */
			syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &to, NULL, 0);
			s1 = now_ns();
			done = 1;
		}
		nap(10 * 1000000);
	}
	printf("staller=%ld start=%llu end=%llu\n", (long)syscall(SYS_gettid),
	       (unsigned long long)s0, (unsigned long long)s1);
	return 0;
}

static volatile int stop;
static volatile long hog_tid;

static void pin0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *hog(void *arg)
{
	struct sched_param sp = { .sched_priority = 10 };

	(void)arg;
	pin0();
	hog_tid = syscall(SYS_gettid);
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		perror("flight-work: SCHED_FIFO");
	while (!stop) {
		uint64_t until = now_ns() + 30 * 1000000ull;

		while (now_ns() < until)
			;
		nap(20 * 1000000);
	}
	return NULL;
}

static int runqlat(double secs)
{
	uint64_t end = now_ns() + secs * 1e9;
	pthread_t h;

	pin0();
	if (pthread_create(&h, NULL, hog, NULL))
		return 1;
	while (now_ns() < end)
		nap(2 * 1000000);
	stop = 1;
	pthread_join(h, NULL);
	printf("sleeper=%ld hog=%ld\n", (long)syscall(SYS_gettid), hog_tid);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "stall"))
		return stall(atof(argv[2]), atof(argv[3]), atol(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "runqlat"))
		return runqlat(atof(argv[2]));
	fprintf(stderr, "usage: flight-work stall SEC AT_SEC STALL_MS | runqlat SEC\n");
	return 2;
}
