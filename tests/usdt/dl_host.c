/* A program that loads its coroutine runtime late, as a server loads a
 * plugin:
 *
 *   dl-host LIB DELAY_MS N [WAIT_MS]
 *
 * sleeps DELAY_MS, dlopen()s LIB, sleeps WAIT_MS (default 0), calls its
 * plugin_run(N) (tests/usdt/dl_plugin.c, dl_coro_plugin.c) and exits at
 * once. Prints "dl-host: plugin_run(N) = R". */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (ms > 0 && nanosleep(&ts, &ts))
		;
}

int main(int argc, char **argv)
{
	long (*run)(long);
	long n, r;
	void *h;

	if (argc < 4) {
		fprintf(stderr, "usage: dl-host LIB DELAY_MS N [WAIT_MS]\n");
		return 2;
	}
	n = atol(argv[3]);
	sleep_ms(atol(argv[2]));
	h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dl-host: %s\n", dlerror());
		return 1;
	}
	run = (long (*)(long))dlsym(h, "plugin_run");
	if (!run) {
		fprintf(stderr, "dl-host: %s\n", dlerror());
		return 1;
	}
	if (argc > 4)
		sleep_ms(atol(argv[4]));
	r = run(n);
	printf("dl-host: plugin_run(%ld) = %ld\n", n, r);
	return 0;
}
