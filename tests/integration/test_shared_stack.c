/* Shared-stack coroutines under `switchscope verify` (needs root): the
 * copy of the frames on and off a shared stack happens inside the switch
 * window the runtime times, and must enter the kernel no more than a
 * private-stack switch does (no system call; with warmed save buffers,
 * no page fault). */
#define SS_TEST_MAIN
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "testutil.h"

static char *coro_pp(void)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/coro-pingpong", tu_bin());
	return p;
}

/* Run verify over coro-pingpong with every coroutine on a shared stack;
 * extra: more arguments for coro-pingpong. */
static void verify_shared(const char *stacks, const char *threads, const char *pairs)
{
	char *out = NULL, *err = NULL;
	int rc;

	setenv("CORO_SHARED_STACK", "1", 1);
	setenv("CORO_SHARED_STACKS", stacks, 1);
	rc = TU_RUN(&out, &err, "switchscope", "verify", "--json", "--min-switches", "100000",
		    "--", coro_pp(), "--backend", "asm", "--threads", (char *)threads, "--pairs",
		    (char *)pairs, "--switches", "100000");
	unsetenv("CORO_SHARED_STACK");
	unsetenv("CORO_SHARED_STACKS");
	CHECK_EQ(rc, 0);
	CHECK(out && strstr(out, "\"verdict\":\"PASS\"") && strstr(out, "\"violations\":[]"),
	      "out: %s err: %s", out, err);
	free(out);
	free(err);
}

/* One shared stack: every switch between the two sides of a pair saves
 * one side's frames and restores the other's (through the copier). */
TEST(verify_passes_shared_stack_switches_that_copy_every_time)
{
	verify_shared("1", "1", "1");
}

/* Two threads, four pairs each, on one shared stack per thread. */
TEST(verify_passes_shared_stack_switches_on_two_threads_with_four_pairs)
{
	verify_shared("1", "2", "4");
}

/* Two shared stacks per thread: coroutines take turns on either. */
TEST(verify_passes_shared_stack_switches_on_two_stacks)
{
	verify_shared("2", "1", "3");
}
