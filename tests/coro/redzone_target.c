/* Runs the red-zone functions (redzone_fn.c) many times: the first hit of
 * a uprobe traps, later ones may go through the kernel's optimized path. */
#include <stdio.h>
#include <stdlib.h>

int rz_safe(long seed);
int rz_unsafe(long seed);

int main(int argc, char **argv)
{
	long loops = argc > 1 ? atol(argv[1]) : 1000;
	long safe_bad = 0, unsafe_bad = 0;

	for (long i = 0; i < loops; i++) {
		safe_bad += rz_safe(i * 1000);
		unsafe_bad += rz_unsafe(i * 1000);
	}
	printf("redzone loops=%ld safe_changed=%ld unsafe_changed=%ld\n",
	       loops, safe_bad, unsafe_bad);
	return 0;
}
