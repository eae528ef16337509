/* Helpers shared by the coroutine runtime tests. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "helpers.h"

int run_coro(coro_fn fn, void *arg)
{
	return coro_run(fn, arg, NULL);
}

void check_overflow_death(int st, const char *msg, const char *name)
{
	char quoted[64];

#if defined(__SANITIZE_ADDRESS__)
	CHECK(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0),
	      "wait status %#x", st);
#else
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	      "expected death by SIGSEGV, wait status %#x", st);
#endif
	snprintf(quoted, sizeof(quoted), "\"%s\"", name);
	CHECK(strstr(msg, "coro: stack overflow in coroutine ") != NULL, "stderr: %s", msg);
	CHECK(strstr(msg, quoted) != NULL, "stderr: %s", msg);
	CHECK(strstr(msg, "65536-byte stack") != NULL, "stderr: %s", msg);
}

int run_child(void (*fn)(void *), void *arg, char *buf, size_t len)
{
	int fds[2], status = -1;
	size_t got = 0;
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		ssize_t n = read(fds[0], buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			break;
	}
	buf[got] = 0;
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return status;
}

uint64_t rss_bytes(void)
{
	unsigned long size = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int depth(int n)
{
	volatile char pad[512];

	pad[0] = (char)n;
	/* not a tail call: the frame stays */
	return depth(n + 1) + pad[0];
}

void *overflow_stack(void *arg)
{
	return (void *)(intptr_t)depth(0);
}
