/*
 * The program tests/coro/probes_test.c traces: a coroutine M creates A
 * and B, which yield to each other N times; M joins both. Prints the ids
 * and the probe semaphores as this process sees them, so that the test
 * can predict every coro:* hit exactly. Built twice: statically linked,
 * and with libcoro.so.
 */
#include <stdio.h>
#include <stdlib.h>

#include "coro.h"

#ifndef CORO_TARGET_NO_SEMS
extern unsigned short coro_switch_semaphore, coro_create_semaphore, coro_stats_semaphore;
#define SEM(name) (*(volatile unsigned short *)&coro_##name##_semaphore)
#else
#define SEM(name) 0	/* hidden inside libcoro.so */
#endif

static long passes;
static unsigned int sem_switch, sem_create, sem_stats;

static void *side(void *arg)
{
	for (long i = 0; i < passes; i++)
		coro_yield();
	return NULL;
}

static void *main_coro(void *arg)
{
	uint64_t *ids = arg;
	struct coro *a = coro_create(side, NULL, NULL);
	struct coro *b = coro_create(side, NULL, NULL);

	ids[0] = coro_id(coro_self());
	ids[1] = coro_id(a);
	ids[2] = coro_id(b);
	sem_switch = SEM(switch);
	sem_create = SEM(create);
	sem_stats = SEM(stats);
	coro_join(a, NULL);
	coro_join(b, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t ids[3] = { 0 };

	passes = argc > 1 ? atol(argv[1]) : 1000;
	if (coro_run(main_coro, ids, NULL))
		return 1;
	printf("probe-target m=%llu a=%llu b=%llu passes=%ld "
	       "sem_switch=%u sem_create=%u sem_stats=%u\n",
	       (unsigned long long)ids[0], (unsigned long long)ids[1],
	       (unsigned long long)ids[2], passes, sem_switch, sem_create, sem_stats);
	return 0;
}
