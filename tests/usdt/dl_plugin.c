/* A coroutine "runtime" in a library that a program loads with dlopen, with
 * the coro:* probes written by hand (plain sys/sdt.h, as hand_probes.c).
 *
 *   plugin_run(n)   create 1 and 2, n switches alternating between them
 *                   (dur_ns 100+i), exit 1 and 2; returns how many switch
 *                   probes fired with their semaphore set. */
#define _SDT_HAS_SEMAPHORES 1
#include <stdint.h>
#include <sys/sdt.h>

unsigned short coro_create_semaphore __attribute__((section(".probes")));
unsigned short coro_switch_semaphore __attribute__((section(".probes")));
unsigned short coro_exit_semaphore __attribute__((section(".probes")));

static void entry(void)
{
}

long plugin_run(long n)
{
	long fired = 0;

	if (coro_create_semaphore) {
		STAP_PROBE3(coro, create, 1, (uintptr_t)entry, 65536);
		STAP_PROBE3(coro, create, 2, (uintptr_t)entry, 65536);
	}
	for (long i = 0; i < n; i++) {
		uint64_t from = i & 1 ? 2 : 1, to = i & 1 ? 1 : 2, dur = 100 + i;

		if (coro_switch_semaphore) {
			STAP_PROBE3(coro, switch, from, to, dur);
			fired++;
		}
	}
	if (coro_exit_semaphore) {
		STAP_PROBE1(coro, exit, 1);
		STAP_PROBE1(coro, exit, 2);
	}
	return fired;
}
