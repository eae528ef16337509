/* A runtime whose coro:switch arguments come straight from thread-local
 * variables: compiled -O2 into an executable, the note's specs are TLS
 * operands (8@%fs:sw_from@tpoff), which no USDT consumer can read (in a
 * shared library gcc and clang load the address into a register first,
 * which can be read). coro:ready reads a global by its symbol
 * (8@ready_by(%rip)), which cannot be read either. coro:create's are
 * constants and registers. The
 * recorder must say which probe of which file it could not attach and
 * why; verify must call the verdict inconclusive and name it.
 *
 *   tls-probes N      create 1 and 2, N switches */
#define _SDT_HAS_SEMAPHORES 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sdt.h>

unsigned short coro_create_semaphore __attribute__((section(".probes")));
unsigned short coro_switch_semaphore __attribute__((section(".probes")));
unsigned short coro_ready_semaphore __attribute__((section(".probes")));

/* coro:ready's "by" straight from a global: a symbol operand (sym(%rip)) */
uint64_t ready_by = 1;

static __thread uint64_t sw_from, sw_to, sw_dur;

static void entry(void)
{
}

static long run(long n)
{
	long fired = 0;

	if (coro_create_semaphore) {
		STAP_PROBE3(coro, create, 1, (uintptr_t)entry, 65536);
		STAP_PROBE3(coro, create, 2, (uintptr_t)entry, 65536);
	}
	if (coro_ready_semaphore)
		STAP_PROBE2(coro, ready, 2, ready_by);
	for (long i = 0; i < n; i++) {
		sw_from = i & 1 ? 2 : 1;
		sw_to = i & 1 ? 1 : 2;
		sw_dur = 100 + i;
		__asm__ volatile("" ::: "memory");
		if (coro_switch_semaphore) {
			STAP_PROBE3(coro, switch, sw_from, sw_to, sw_dur);
			fired++;
		}
	}
	return fired;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;

	printf("tls-probes: %ld switches, %ld with the semaphore set\n", n, run(n));
	return 0;
}
