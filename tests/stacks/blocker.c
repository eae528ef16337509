/* Blocks in three named functions of its own for known times, for the
 * stacks tests: a pipe read (the writer is another thread, in a named
 * function), a nanosleep, a futex wait (timed out). Prints what it
 * measured:
 *   tid=T writer_tid=W
 *   blocker_pipe_read_ns=N blocker_nanosleep_ns=N blocker_futex_wait_ns=N
 *
 * Built with -fno-omit-frame-pointer -O1 (ss-blocker) and without frame
 * pointers (ss-blocker-nofp). The system calls are made in the named
 * functions themselves: a libc wrapper built without frame pointers would
 * hide its caller from a frame-pointer walk.
 *
 * usage: ss-blocker [MS] [ROUNDS]  (each block lasts MS, default 60) */
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static long ms = 60;
static int pipefd[2], gofd[2];

#if defined(__x86_64__)
static inline __attribute__((always_inline)) long sys4(long nr, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}
#else
#define sys4(nr, a, b, c, d) syscall(nr, a, b, c, d)
#endif

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The writer's wait before it writes (for the reader to start, then MS):
 * not one of the three. */
static NOINLINE void writer_wait(long wait_ms)
{
	struct timespec ts = { wait_ms / 1000, wait_ms % 1000 * 1000000 };
	char c;

	sys4(SYS_read, gofd[0], (long)&c, 1, 0);
	sys4(SYS_nanosleep, (long)&ts, 0, 0, 0);
}

/* Wakes the reader: its write is the waker's stack. */
static NOINLINE void blocker_pipe_write(void)
{
	char c = 'x';

	sys4(SYS_write, pipefd[1], (long)&c, 1, 0);
}

static void *writer(void *arg)
{
	long rounds = (long)arg;

	for (long i = 0; i < rounds; i++) {
		writer_wait(ms);
		blocker_pipe_write();
	}
	return NULL;
}

static NOINLINE uint64_t blocker_pipe_read(void)
{
	uint64_t t0;
	char c = 'g';

	sys4(SYS_write, gofd[1], (long)&c, 1, 0);
	t0 = now_ns();
	sys4(SYS_read, pipefd[0], (long)&c, 1, 0);
	return now_ns() - t0;
}

static NOINLINE uint64_t blocker_nanosleep(void)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };
	uint64_t t0 = now_ns();

	sys4(SYS_nanosleep, (long)&ts, 0, 0, 0);
	return now_ns() - t0;
}

static NOINLINE uint64_t blocker_futex_wait(void)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };
	static uint32_t word;
	uint64_t t0 = now_ns();

	/* nobody wakes it: it times out */
	sys4(SYS_futex, (long)&word, FUTEX_WAIT_PRIVATE, 0, (long)&ts);
	return now_ns() - t0;
}

static volatile pid_t writer_tid;

static void *writer_start(void *arg)
{
	writer_tid = syscall(SYS_gettid);
	return writer(arg);
}

int main(int argc, char **argv)
{
	uint64_t tp = 0, tn = 0, tf = 0;
	long rounds = 1;
	pthread_t th;

	if (argc > 1)
		ms = atol(argv[1]);
	if (argc > 2)
		rounds = atol(argv[2]);
	if (ms <= 0 || ms > 10000 || rounds <= 0 || rounds > 1000) {
		fprintf(stderr, "usage: ss-blocker [MS] [ROUNDS]\n");
		return 2;
	}
	if (pipe(pipefd) || pipe(gofd) || pthread_create(&th, NULL, writer_start, (void *)rounds)) {
		perror("ss-blocker");
		return 1;
	}
	for (long i = 0; i < rounds; i++) {
		tp += blocker_pipe_read();
		tn += blocker_nanosleep();
		tf += blocker_futex_wait();
	}
	pthread_join(th, NULL);
	printf("tid=%ld writer_tid=%d\n", (long)syscall(SYS_gettid), writer_tid);
	printf("blocker_pipe_read_ns=%llu blocker_nanosleep_ns=%llu blocker_futex_wait_ns=%llu\n",
	       (unsigned long long)tp, (unsigned long long)tn, (unsigned long long)tf);
	return 0;
}
