// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Runtime configuration from the environment (documented in coro.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifndef CORO_DEFAULT_BACKEND
#define CORO_DEFAULT_BACKEND CORO_BACKEND_ASM
#endif

struct coro_config coro_cfg = {
	.backend = CORO_DEFAULT_BACKEND,
	.stack_size = CORO_STACK_DEFAULT,
	.stats_every = CORO_STATS_EVERY_DEFAULT,
	.ring_slots = CORO_RING_SLOTS_DEFAULT,
	.shared_stacks = 1,
};
unsigned int coro_hooks;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int env_on(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

static unsigned long long env_num(const char *name, unsigned long long def,
				  unsigned long long lo, unsigned long long hi)
{
	const char *v = getenv(name);
	unsigned long long n;
	char *end;

	if (!v || !*v)
		return def;
	n = strtoull(v, &end, 0);
	if (*end || n < lo || n > hi) {
		fprintf(stderr, "coro: ignoring %s=%s (want %llu..%llu)\n", name, v, lo, hi);
		return def;
	}
	return n;
}

static void load(void)
{
	const char *b = getenv("CORO_BACKEND");
	const char *cache = getenv("CORO_STACK_CACHE");

	if (b && strcmp(b, "ucontext") == 0)
		coro_cfg.backend = CORO_BACKEND_UCONTEXT;
	else if (b && strcmp(b, "asm") == 0)
		coro_cfg.backend = CORO_BACKEND_ASM;
	else if (b && *b)
		fprintf(stderr, "coro: ignoring CORO_BACKEND=%s (asm or ucontext)\n", b);
	coro_cfg.stack_size = env_num("CORO_STACK_SIZE", CORO_STACK_DEFAULT,
				      CORO_STACK_MIN, CORO_STACK_MAX);
	coro_cfg.stats_every = env_num("CORO_STATS_EVERY", CORO_STATS_EVERY_DEFAULT,
				       1, 1u << 30);
	if (env_on("CORO_PREFAULT"))
		coro_cfg.stack_flags |= CORO_F_PREFAULT;
	if (cache && strcmp(cache, "0") == 0)
		coro_cfg.stack_flags |= CORO_F_FRESH_STACK;
	coro_cfg.ring_slots = env_num("CORO_RING_SLOTS", CORO_RING_SLOTS_DEFAULT,
				      CORO_RING_SLOTS_MIN, CORO_RING_SLOTS_MAX);
	if (coro_cfg.ring_slots & (coro_cfg.ring_slots - 1)) {
		fprintf(stderr, "coro: ignoring CORO_RING_SLOTS=%u (not a power of two)\n",
			coro_cfg.ring_slots);
		coro_cfg.ring_slots = CORO_RING_SLOTS_DEFAULT;
	}
	if (getenv("CORO_RING") && strcmp(getenv("CORO_RING"), "0") == 0)
		coro_cfg.ring_slots = 0;
	coro_ring_atfork();
	if (env_on("CORO_SHARED_STACK"))
		coro_cfg.shared_default = 1;
	coro_cfg.shared_stacks = env_num("CORO_SHARED_STACKS", 1, 1, SHSTACK_MAX);
	if (env_on("CORO_TEST_SWITCH_SYSCALL"))
		coro_hooks |= CORO_TEST_SWITCH_SYSCALL;
}

void coro_config_load(void)
{
	pthread_once(&once, load);
}

void coro_set_test_hooks(unsigned int hooks)
{
	coro_config_load();
	coro_hooks = hooks;
}
