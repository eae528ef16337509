/* Stacks: the guard page, pre-faulting, fresh vs cached stacks. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "harness.h"
#include "helpers.h"
#include "internal.h"

static void *overflow_main(void *arg)
{
	struct coro_attr at = { .stack_size = 64 << 10, .name = "deep-recursion" };
	struct coro *c = coro_create(overflow_stack, NULL, &at);

	coro_join(c, NULL);
	return NULL;
}

static void overflow_child(void *arg)
{
	run_coro(overflow_main, NULL);
}

/* Sanitizer builds report the overflow themselves after our message and
 * exit with an error status instead of dying by the signal. */
TEST(stack_overflow_hits_the_guard_and_names_the_coroutine)
{
	char msg[8192];
	int st = run_child(overflow_child, NULL, msg, sizeof(msg));

	check_overflow_death(st, msg, "deep-recursion");
}

TEST(guard_mode_is_known)
{
	const char *m = coro_guard_mode();

	CHECK(strcmp(m, "madvise") == 0 || strcmp(m, "mprotect") == 0, "%s", m);
	printf("  guard mode: %s\n", m);
}

struct stk {
	char *lo[4];
	uint64_t rss_plain, rss_prefault;
};

static void *note_stack(void *arg)
{
	char **lo = arg;

	*lo = coro_self()->stack.lo;
	return NULL;
}

static void *idle(void *arg)
{
	coro_yield();
	return NULL;
}

static void *stacks_main(void *arg)
{
	struct stk *s = arg;
	struct coro_attr fresh = { .flags = CORO_F_FRESH_STACK };
	struct coro_attr big = { .stack_size = 8 << 20 };
	struct coro_attr bigpf = { .stack_size = 8 << 20, .flags = CORO_F_PREFAULT };
	struct coro *c;
	uint64_t r0;

	coro_join(coro_create(note_stack, &s->lo[0], NULL), NULL);
	coro_join(coro_create(note_stack, &s->lo[1], NULL), NULL);	/* cached */
	coro_join(coro_create(note_stack, &s->lo[2], &fresh), NULL);	/* fresh */

	r0 = rss_bytes();
	c = coro_create(idle, NULL, &big);
	coro_yield();
	s->rss_plain = rss_bytes() - r0;
	coro_join(c, NULL);
	r0 = rss_bytes();
	c = coro_create(idle, NULL, &bigpf);
	s->rss_prefault = rss_bytes() - r0;
	coro_join(c, NULL);
	return NULL;
}

/* A finished coroutine's stack goes to the cache and the next coroutine
 * gets it; CORO_F_FRESH_STACK gets a new mapping; CORO_F_PREFAULT makes
 * the whole stack resident at creation, while a plain stack only costs
 * the pages it touched. */
TEST(stacks_are_cached_fresh_or_prefaulted_on_request)
{
	struct stk s = { .rss_plain = 0 };

	REQUIRE(run_coro(stacks_main, &s) == 0);
	CHECK(s.lo[0] && s.lo[0] == s.lo[1], "second stack not from the cache");
	CHECK(s.lo[2] && s.lo[2] != s.lo[0], "fresh stack came from the cache");
	CHECK_LT(s.rss_plain, 1 << 20);
	CHECK_GE(s.rss_prefault, 8 << 20);
}

static void *touch_deep(void *arg)
{
	volatile char buf[32 << 10];

	for (size_t i = 0; i < sizeof(buf); i += 512)
		buf[i] = 1;
	return NULL;
}

/* Resident pages of the running coroutine's stack. */
static void *count_resident(void *arg)
{
	struct coro *self = coro_self();
	size_t len = (size_t)(self->stack.hi - self->stack.lo), pg = coro_page_size();
	unsigned char vec[1024];
	int n = 0;

	if (len / pg > sizeof(vec) || mincore(self->stack.lo, len, vec) < 0)
		return (void *)-1;
	for (size_t i = 0; i < len / pg; i++)
		n += vec[i] & 1;
	return (void *)(intptr_t)n;
}

static void *deep_then_count(void *arg)
{
	void *n;

	coro_join(coro_create(touch_deep, NULL, NULL), NULL);
	coro_join(coro_create(count_resident, NULL, NULL), &n);
	*(intptr_t *)arg = (intptr_t)n;
	return NULL;
}

/* A cached stack comes with the pages its last owner touched. */
TEST(a_cached_stack_keeps_its_touched_pages)
{
	intptr_t cached = -1;

	REQUIRE(run_coro(deep_then_count, &cached) == 0);
	CHECK_GE(cached, 8);
}

/* With CORO_STACK_CACHE=0 (read when the first scheduler starts) every
 * coroutine starts on an untouched mapping: only its first frame is
 * resident. */
TEST(env_stack_cache_0_gives_every_coroutine_an_untouched_stack)
{
	intptr_t fresh = -1;

	setenv("CORO_STACK_CACHE", "0", 1);
	setenv("CORO_SHARED_STACK", "0", 1);	/* private stacks are the subject */
	REQUIRE(run_coro(deep_then_count, &fresh) == 0);
	CHECK_GE(fresh, 1);
	CHECK_LE(fresh, 2);
}

/* CORO_PREFAULT=1: every new stack is resident before it runs. */
TEST(env_prefault_1_makes_new_stacks_resident)
{
	void *n = NULL;

	setenv("CORO_PREFAULT", "1", 1);
	setenv("CORO_SHARED_STACK", "0", 1);	/* private stacks are the subject */
	REQUIRE(coro_run(count_resident, NULL, &n) == 0);
	CHECK_EQ((intptr_t)n, (intptr_t)(CORO_STACK_DEFAULT / coro_page_size()));
}
