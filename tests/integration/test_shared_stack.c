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

struct saved {
	long stats;
	uint64_t bytes;
};

static void on_stats(const struct ss_hdr *h, void *ctx)
{
	struct saved *s = ctx;

	if (h->type != SS_EV_CORO_STATS || h->size < sizeof(struct ss_coro_stats))
		return;
	s->stats++;
	s->bytes += ((const struct ss_coro_stats *)h)->shared_saved;
}

/* The runtime's count of bytes copied off shared stacks reaches the trace
 * (coro:stats' third argument). */
TEST(saved_bytes_of_shared_stacks_are_in_the_trace)
{
	const char *trace = tu_tmp("shared.trace");
	struct saved s = { 0 }, p = { 0 };
	char *err = NULL;
	int rc;

	setenv("CORO_SHARED_STACK", "1", 1);
	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "-o", (char *)trace, "--",
		    coro_pp(), "--switches", "20000");
	unsetenv("CORO_SHARED_STACK");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	tu_each(trace, on_stats, &s);
	CHECK_GT(s.stats, 0);
	CHECK_GT(s.bytes, 20000);	/* frames of every side switched out */
	free(err);
	err = NULL;
	rc = TU_RUN(NULL, &err, "switchscope", "record", "-q", "-o", (char *)trace, "--",
		    coro_pp(), "--switches", "20000");
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	tu_each(trace, on_stats, &p);
	CHECK_GT(p.stats, 0);
	CHECK_EQ(p.bytes, 0);		/* private stacks copy nothing */
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
