/*
 * A leaf function whose locals live in the x86_64 red zone (below the
 * stack pointer) unless it is compiled with -mno-red-zone, around a USDT
 * probe on a 5-byte nop. mk/coro.mk builds it twice: RZ_NAME rz_safe with
 * -mno-red-zone, rz_unsafe without. Returns how many locals changed
 * across the probe.
 */
#include "probes.h"

#define CAT_(a, b, c)	a##b##c
#define CAT(a, b, c)	CAT_(a, b, c)
#define RZ_SEM		CAT(coro_test_, RZ_PROBE, _semaphore)

unsigned short RZ_SEM __attribute__((section(".probes"), used));

int RZ_NAME(long seed);

__attribute__((noinline)) int RZ_NAME(long seed)
{
	volatile long v[8];
	int changed = 0;

	for (int i = 0; i < 8; i++)
		v[i] = seed + i;
	__asm__ volatile("" ::: "memory");
	STAP_PROBE1(coro_test, RZ_PROBE, seed);
	__asm__ volatile("" ::: "memory");
	for (int i = 0; i < 8; i++)
		changed += v[i] != seed + i;
	return changed;
}
