/* One USDT probe site of provider coro_test, on sys/sdt.h's 1-byte nop or,
 * with CORO_PROBE_NOP5, on the 5-byte nop: built twice (SITE p1, p5)
 * for the probe-hit loop of the traced benchmark. */
#include "probes.h"

#define CAT_(a, b, c)	a##b##c
#define CAT(a, b, c)	CAT_(a, b, c)

unsigned short CAT(coro_test_, SITE, _semaphore) __attribute__((section(".probes"), used));

void SITE(long x);

__attribute__((noinline)) void SITE(long x)
{
	STAP_PROBE1(coro_test, SITE, x);
}
