/* The context switch: registers, FP control state, stack alignment. */
#include <fenv.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "helpers.h"
#include "regs.h"

/* Two FP control settings, each different from the default and from the
 * other: rounding mode (and on x86_64 the x87 precision control). */
#if defined(__x86_64__)
#define FPCTL(mxcsr, cw)	((uint64_t)(mxcsr) | ((uint64_t)(cw) << 32))
#define FPCTL_A		FPCTL(0x7f80, 0x027f)	/* round to zero; x87 double precision */
#define FPCTL_B		FPCTL(0x5f80, 0x0e7f)	/* round up; x87 truncate */
#else
#define FPCTL_A		(3u << 22)		/* round to zero */
#define FPCTL_B		((1u << 22) | (1u << 24)) /* round up, flush to zero */
#endif

struct holder {
	uint64_t seed;
	uint64_t fpctl;
	int yields;
	uint64_t mask;
};

static void yield_n(void *arg)
{
	int n = *(int *)arg;

	for (int i = 0; i < n; i++)
		coro_yield();
}

static void *hold(void *arg)
{
	struct holder *h = arg;

	h->mask = regs_hold_across(yield_n, &h->yields, h->seed, h->fpctl);
	return NULL;
}

/* Two coroutines hold different values in every callee-saved register
 * and different FP control states while they switch back and forth. */
static void *two_holders(void *arg)
{
	struct holder *h = arg;
	struct coro *a = coro_create(hold, &h[0], NULL);
	struct coro *b = coro_create(hold, &h[1], NULL);

	coro_join(a, NULL);
	coro_join(b, NULL);
	return NULL;
}

static void check_holders(enum coro_backend backend)
{
	struct holder h[2] = {
		{ .seed = 0x0123456789abcdefull, .fpctl = FPCTL_A, .yields = 5 },
		{ .seed = 0xfedcba9876543210ull, .fpctl = FPCTL_B, .yields = 7 },
	};

	REQUIRE(coro_set_backend(backend) == 0);
	REQUIRE(run_coro(two_holders, h) == 0);
	CHECK(h[0].mask == 0, "coroutine A: registers changed, mask %#llx",
	      (unsigned long long)h[0].mask);
	CHECK(h[1].mask == 0, "coroutine B: registers changed, mask %#llx",
	      (unsigned long long)h[1].mask);
}

TEST(switch_preserves_callee_saved_registers_and_fp_control)
{
	check_holders(CORO_BACKEND_ASM);
}

TEST(ucontext_switch_preserves_callee_saved_registers_and_fp_control)
{
	check_holders(CORO_BACKEND_UCONTEXT);
}

/* The check itself can fail: a function that clobbers one callee-saved
 * register is caught, and only that register. */
TEST(register_check_catches_a_clobbered_register)
{
	uint64_t mask = regs_hold_across(regs_break_one, NULL, 42, FPCTL_A);

	CHECK_EQ(mask, 1u << 2);
}

struct fmt {
	char buf[64];
	char ebuf[64];
	uint64_t misalign;
};

static void *format_fp(void *arg)
{
	struct fmt *f = arg;
	volatile double third = 1.0 / 3.0;
	volatile long double big = 1e300L * 1e10L;

	f->misalign = regs_entry_misalign();
	snprintf(f->buf, sizeof(f->buf), "%.6f %g", third, 2.5e-7);
	snprintf(f->ebuf, sizeof(f->ebuf), "%.3Le", big);
	return NULL;
}

/* libc formatting of doubles uses SSE instructions that fault on a
 * misaligned stack; also measure the alignment directly. */
TEST(coroutine_stack_is_aligned_for_libc_fp_formatting)
{
	struct fmt f = { .misalign = 99 };

	REQUIRE(run_coro(format_fp, &f) == 0);
	CHECK_EQ(f.misalign, 0);
	CHECK_STR(f.buf, "0.333333 2.5e-07");
	CHECK_STR(f.ebuf, "1.000e+310");
}

struct rounding {
	int child_mode;
	int parent_mode_after;
	int sibling_mode;
};

static void *report_rounding(void *arg)
{
	*(int *)arg = fegetround();
	return NULL;
}

static void *sibling(void *arg)
{
	struct rounding *r = arg;

	coro_yield();
	r->sibling_mode = fegetround();
	return NULL;
}

static void *set_rounding(void *arg)
{
	struct rounding *r = arg;
	struct coro *s = coro_create(sibling, r, NULL), *c;

	fesetround(FE_UPWARD);
	c = coro_create(report_rounding, &r->child_mode, NULL);
	coro_join(c, NULL);
	coro_join(s, NULL);
	r->parent_mode_after = fegetround();
	return NULL;
}

/* A new coroutine starts with its creator's rounding mode; a coroutine
 * that did not change it keeps its own across switches. */
TEST(fp_rounding_mode_is_per_coroutine_and_inherited)
{
	struct rounding r = { -1, -1, -1 };

	REQUIRE(run_coro(set_rounding, &r) == 0);
	CHECK_EQ(r.child_mode, FE_UPWARD);
	CHECK_EQ(r.parent_mode_after, FE_UPWARD);
	CHECK_EQ(r.sibling_mode, FE_TONEAREST);
}
