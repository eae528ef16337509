/* A plugin built on this project's runtime (libcoro.so, a dependency the
 * dlopen of the plugin brings in): plugin_run(n) runs two coroutines that
 * yield to each other n times each and returns the switches the runtime
 * had counted once both were joined (coro_get_stats). The runtime's
 * coro:stats at the end of its scheduler gives the exact total, which the
 * trace's coro:switch records must match one for one. */
#include <stdint.h>

#include "coro.h"

static void *yielder(void *arg)
{
	for (long i = 0; i < *(long *)arg; i++)
		coro_yield();
	return NULL;
}

static long switched;

static void *two(void *arg)
{
	struct coro *a = coro_create(yielder, arg, NULL);
	struct coro *b = coro_create(yielder, arg, NULL);
	struct coro_stats st;

	coro_join(a, NULL);
	coro_join(b, NULL);
	coro_get_stats(&st);
	switched = (long)st.switches;
	return NULL;
}

long plugin_run(long n)
{
	if (coro_run(two, &n, NULL))
		return -1;
	return switched;
}
