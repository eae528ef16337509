/* Calls a 5-byte-nop probe site and a 1-byte-nop one N times each and
 * prints the thread CPU time per call: with a consumer attached, what one
 * probe hit costs on each kind of site, nothing else in the loop. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void p5(long x);
void p1(long x);

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	double t0, t1, t2;

	if (n <= 0)
		return 2;
	t0 = cpu_ns();
	for (long i = 0; i < n; i++)
		p5(i);
	t1 = cpu_ns();
	for (long i = 0; i < n; i++)
		p1(i);
	t2 = cpu_ns();
	printf("coro-probe-loop calls=%ld nop5_ns=%.1f nop1_ns=%.1f\n", n,
	       (t1 - t0) / (double)n, (t2 - t1) / (double)n);
	return 0;
}
