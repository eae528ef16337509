/*
 * Memory per idle unit: a coroutine at the default stack size (parked on
 * a channel) vs a thread at the default pthread stack (blocked on a
 * barrier), measured as the growth of this process's resident set, and
 * for threads also the kernel stacks the kernel reports (KernelStack in
 * /proc/meminfo, machine-wide: other load makes it noisy). From those,
 * how many of each fit in 1 GiB of memory.
 *
 * The coroutines twice: on private stacks, and on a shared stack
 * (CORO_F_SHARED_STACK), where an idle one costs its struct, a waiter and
 * the saved bytes of its few frames (idle_coro -> coro_chan_recv -> park).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coro.h"
#include "coro_bench.h"

#define NCORO 20000
#define NTHREAD 500
#define GIB (1024.0 * 1024.0 * 1024.0)

static uint64_t rss(void)
{
	unsigned long size, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int64_t kernel_stack_bytes(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "KernelStack: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

struct coro_mem {
	unsigned int flags;	/* CORO_F_SHARED_STACK or 0 */
	struct coro_chan *gate;
	double per_coro;
	double saved_per_coro;	/* shared: bytes of frames saved, each */
	int err;
};

static void *idle_coro(void *arg)
{
	int v;

	coro_chan_recv(arg, &v);
	return NULL;
}

static void *coro_mem_main(void *arg)
{
	struct coro_mem *m = arg;
	struct coro_attr at = { .flags = CORO_F_DETACHED | m->flags };
	struct coro_stats s0, s1;
	uint64_t r0;

	m->gate = coro_chan_new(sizeof(int), 0);
	/* warm up allocators so that their one-time growth is not counted */
	for (int i = 0; i < 100; i++)
		coro_create(idle_coro, m->gate, &at);
	coro_yield();
	r0 = rss();
	coro_get_stats(&s0);
	for (int i = 0; i < NCORO; i++) {
		if (!coro_create(idle_coro, m->gate, &at)) {
			m->err = errno;
			break;
		}
	}
	coro_yield();		/* every one has run and parked */
	m->per_coro = (double)(rss() - r0) / NCORO;
	coro_get_stats(&s1);
	m->saved_per_coro = (double)(s1.shared_saved - s0.shared_saved) / NCORO;
	coro_chan_close(m->gate);
	coro_yield();
	return NULL;
}

static pthread_barrier_t hold;

static void *idle_thread(void *arg)
{
	pthread_barrier_wait(&hold);	/* until measured */
	return NULL;
}

int main(void)
{
	struct coro_mem m = { 0 }, ms = { .flags = CORO_F_SHARED_STACK };
	pthread_t *t = calloc(NTHREAD, sizeof(*t));
	uint64_t r0, r1;
	int64_t k0, k1;
	double per_thread, per_kstack, per_coro;

	if (coro_run(coro_mem_main, &m, NULL) || m.err) {
		fprintf(stderr, "coro_memory: coroutines: %s\n", strerror(m.err));
		return 1;
	}
	per_coro = m.per_coro;
	if (coro_run(coro_mem_main, &ms, NULL) || ms.err) {
		fprintf(stderr, "coro_memory: shared-stack coroutines: %s\n", strerror(ms.err));
		return 1;
	}

	pthread_barrier_init(&hold, NULL, NTHREAD + 1);
	r0 = rss();
	k0 = kernel_stack_bytes();
	for (int i = 0; i < NTHREAD; i++) {
		if (pthread_create(&t[i], NULL, idle_thread, NULL)) {
			fprintf(stderr, "coro_memory: pthread_create #%d failed\n", i);
			return 1;
		}
	}
	usleep(200000);		/* let every thread reach the barrier */
	r1 = rss();
	k1 = kernel_stack_bytes();
	pthread_barrier_wait(&hold);
	for (int i = 0; i < NTHREAD; i++)
		pthread_join(t[i], NULL);
	per_thread = (double)(r1 - r0) / NTHREAD;
	per_kstack = k0 >= 0 && k1 >= k0 ? (double)(k1 - k0) / NTHREAD : 0;

	bench_print("coro_mem_per_coroutine", per_coro, "bytes");
	bench_print("coro_mem_per_thread", per_thread, "bytes");
	bench_print("coro_mem_per_thread_kernel_stack", per_kstack, "bytes");
	bench_print("coro_mem_thread_vs_coroutine", (per_thread + per_kstack) / per_coro, "ratio");
	bench_print("coro_coroutines_per_gib", GIB / per_coro, "count");
	bench_print("coro_threads_per_gib", GIB / (per_thread + per_kstack), "count");
	bench_print("coro_mem_per_shared_coroutine", ms.per_coro, "bytes");
	bench_print("coro_mem_saved_per_shared_coroutine", ms.saved_per_coro, "bytes");
	bench_print("coro_mem_thread_vs_shared_coroutine",
		    (per_thread + per_kstack) / ms.per_coro, "ratio");
	bench_print("coro_shared_coroutines_per_gib", GIB / ms.per_coro, "count");
	bench_print("coro_stack_virtual_per_coroutine", CORO_STACK_DEFAULT + CORO_GUARD_SIZE, "bytes");
	free(t);
	return 0;
}
