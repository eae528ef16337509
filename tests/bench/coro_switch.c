/*
 * Switch cost, ping-pong between two coroutines on one thread, all from
 * one run so that the ratios compare like with like:
 *
 *   asm        this runtime's switch primitive (coro_ctx_switch)
 *   fcontext   Boost.Context's jump_fcontext (libboost-context-dev)
 *   yield      this runtime's coro_yield: scheduler, run queue, probe
 *              semaphore checks and all
 *   ucontext   coro_yield on the ucontext backend (glibc swapcontext:
 *              a system call per switch)
 *
 * Both primitives run the same two harnesses: each of two contexts loops
 * and either calls the primitive right in the loop ("direct": the best
 * case for any switch) or calls a small yield function that switches
 * ("call": how coroutine code calls a yield; a switch that leaves the
 * return stack buffer unbalanced pays a mispredicted return for every
 * switch here). Rounds alternate between variants; each figure is the
 * fastest round, the least disturbed by other load on the machine.
 *
 * Then the cost of live stack: coro_yield between two coroutines that each
 * hold LIVE bytes of locals (256 B, 1 KiB, 4 KiB) on private stacks, on
 * one shared stack (every switch saves the leaving frames and restores the
 * entering ones, through the copier context), and Boost.Context's
 * jump_fcontext with the same locals (a bare primitive: no scheduler, and
 * it never copies). Each shared figure also gives the bytes copied per
 * switch, from the runtime's counters (struct coro_stats).
 *
 * Then the untraced probe overhead: coro-pingpong built with the probes
 * against the same program with the probes compiled out
 * (coro-pingpong-noprobes), alternating runs, thread CPU time per switch.
 * The difference is at the level of the noise of a shared machine: a
 * small negative value means "not measurable".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "coro.h"
#include "coro_bench.h"
#include "internal.h"

#define ROUNDS 9
#define PP_ROUNDS 21		/* probes in vs out: short runs, many of them */
#define PASSES 1000000		/* per side and round: 2M switches */
#define STACK (64 << 10)

/* ---- this runtime's primitive --------------------------------------- */

struct raw_side {
	void *sp;
	struct raw_side *peer;
	void **main_sp;
};

static __attribute__((noinline)) void raw_yield(struct raw_side *me)
{
	coro_ctx_switch(&me->sp, me->peer->sp);
}

static int direct;	/* harness: primitive in the loop, or in a function */
static unsigned int fc_live;	/* bytes of locals each fcontext side holds */

static void raw_entry(struct coro *arg)
{
	struct raw_side *me = (struct raw_side *)arg;

	for (long i = 0; i < PASSES; i++) {
		if (direct)
			coro_ctx_switch(&me->sp, me->peer->sp);
		else
			raw_yield(me);
	}
	coro_ctx_switch(&me->sp, *me->main_sp);
}

static double bench_raw(char *stk_a, char *stk_b)
{
	void *main_sp;
	struct raw_side a = { .main_sp = &main_sp }, b = { .main_sp = &main_sp };
	static struct coro_frame fa, fb;
	uint64_t t0;

	a.peer = &b;
	b.peer = &a;
	a.sp = coro_ctx_make(&fa, stk_a + STACK, raw_entry, (struct coro *)&a);
	b.sp = coro_ctx_make(&fb, stk_b + STACK, raw_entry, (struct coro *)&b);
	t0 = bench_now_ns();
	coro_ctx_switch(&main_sp, a.sp);
	/* main -> A, 2 x PASSES between A and B, A -> main */
	return (double)(bench_now_ns() - t0) / (2.0 * PASSES + 2);
}

/* ---- Boost.Context ------------------------------------------------------ */

typedef void *fcontext_t;
typedef struct {
	fcontext_t fctx;
	void *data;
} transfer_t;
transfer_t jump_fcontext(fcontext_t const to, void *vp);
fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(transfer_t));

struct fc_start {
	fcontext_t peer;	/* A's first partner: B, not started yet */
	fcontext_t main;
	int is_a;
};

static __attribute__((noinline)) fcontext_t fc_yield(fcontext_t to, void *data)
{
	return jump_fcontext(to, data).fctx;
}

static void fc_entry(transfer_t t)
{
	struct fc_start *st = t.data;
	fcontext_t peer, main_ctx = NULL;
	int is_a = st->is_a;

	if (is_a) {
		main_ctx = t.fctx;	/* A was started by main */
		peer = st->peer;
		st->is_a = 0;		/* B reads this on its first entry */
	} else {
		peer = t.fctx;		/* B was started by A */
	}
	if (fc_live) {
		volatile char *buf = __builtin_alloca(fc_live);

		for (unsigned int i = 0; i < fc_live; i += 64)
			buf[i] = (char)i;
	}
	for (long i = 0; i < PASSES; i++) {
		if (direct)
			peer = jump_fcontext(peer, st).fctx;
		else
			peer = fc_yield(peer, st);
	}
	if (is_a)
		jump_fcontext(main_ctx, NULL);
	/* B is never resumed after its last pass */
	for (;;)
		jump_fcontext(peer, NULL);
}

static double bench_fcontext(char *stk_a, char *stk_b)
{
	struct fc_start st = { .is_a = 1 };
	fcontext_t a = make_fcontext(stk_a + STACK, STACK, fc_entry);
	uint64_t t0;

	st.peer = make_fcontext(stk_b + STACK, STACK, fc_entry);
	t0 = bench_now_ns();
	jump_fcontext(a, &st);
	return (double)(bench_now_ns() - t0) / (2.0 * PASSES + 2);
}

/* ---- the runtime: coro_yield --------------------------------------------- */

static void *yielder(void *arg)
{
	long n = (long)(intptr_t)arg;

	for (long i = 0; i < n; i++)
		coro_yield();
	return NULL;
}

struct yield_run {
	long passes;
	double ns;
};

static void *yield_main(void *arg)
{
	struct yield_run *y = arg;
	void *n = (void *)(intptr_t)y->passes;
	struct coro_stats s0, s1;
	struct coro *a, *b;
	uint64_t t0;

	coro_get_stats(&s0);
	t0 = bench_now_ns();
	a = coro_create(yielder, n, NULL);
	b = coro_create(yielder, n, NULL);
	coro_join(a, NULL);
	coro_join(b, NULL);
	t0 = bench_now_ns() - t0;
	coro_get_stats(&s1);
	y->ns = (double)t0 / (double)(s1.switches - s0.switches);
	return NULL;
}

static double bench_yield(enum coro_backend b, long passes)
{
	struct yield_run y = { .passes = passes };

	if (coro_set_backend(b) || coro_run(yield_main, &y, NULL)) {
		fprintf(stderr, "coro_switch: coro_run failed\n");
		exit(1);
	}
	return y.ns;
}

/* ---- live stack: private vs shared vs fcontext ---------------------------- */

#define LIVE_PASSES 200000
static const unsigned int live_sizes[] = { 256, 1024, 4096 };

struct live_arg {
	unsigned int bytes;
	long passes;
};

static void *live_yielder(void *arg)
{
	struct live_arg *a = arg;
	volatile char *buf = __builtin_alloca(a->bytes);
	long sum = 0;

	for (unsigned int i = 0; i < a->bytes; i += 64)
		buf[i] = (char)i;
	for (long i = 0; i < a->passes; i++)
		coro_yield();
	for (unsigned int i = 0; i < a->bytes; i += 64)
		sum += buf[i];
	return (void *)(intptr_t)sum;
}

struct live_run {
	struct live_arg arg;
	unsigned int flags;
	double ns;
	double copied;		/* bytes saved + restored per switch */
};

static void *live_main(void *arg)
{
	struct live_run *y = arg;
	struct coro_attr at = { .flags = y->flags };
	struct coro_stats s0, s1;
	struct coro *a, *b;
	uint64_t t0;

	coro_get_stats(&s0);
	t0 = bench_now_ns();
	a = coro_create(live_yielder, &y->arg, &at);
	b = coro_create(live_yielder, &y->arg, &at);
	coro_join(a, NULL);
	coro_join(b, NULL);
	t0 = bench_now_ns() - t0;
	coro_get_stats(&s1);
	y->ns = (double)t0 / (double)(s1.switches - s0.switches);
	y->copied = (double)(s1.shared_saved - s0.shared_saved +
			     s1.shared_restored - s0.shared_restored) /
		    (double)(s1.switches - s0.switches);
	return NULL;
}

static double bench_live(unsigned int bytes, unsigned int flags, double *copied)
{
	static struct live_run y;

	y = (struct live_run){ .arg = { bytes, LIVE_PASSES }, .flags = flags };
	if (coro_set_backend(CORO_BACKEND_ASM) || coro_run(live_main, &y, NULL)) {
		fprintf(stderr, "coro_switch: coro_run failed\n");
		exit(1);
	}
	if (copied)
		*copied = y.copied;
	return y.ns;
}

/* ---- probes compiled in vs out (separate programs) ----------------------- */

static double pingpong_cpu_ns(const char *rel)
{
	char out[512];
	char *argv[] = { (char *)bench_path(rel), "--switches", "2000000", NULL };
	double v;

	if (bench_run(argv, out, sizeof(out)) != 0 ||
	    bench_kv(out, "cpu_ns_per_switch", &v)) {
		fprintf(stderr, "coro_switch: %s failed: %s\n", argv[0], out);
		exit(1);
	}
	return v;
}

int main(void)
{
	double raw[2][ROUNDS], fc[2][ROUNDS], yl[ROUNDS], uc[ROUNDS], pr[PP_ROUNDS], np[PP_ROUNDS];
	char *stk = mmap(NULL, 2 * STACK, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double r[2], f[2], y, u, p, n;

	if (stk == MAP_FAILED)
		return 1;
	/* the same two stacks for both primitives */
	for (int i = 0; i < ROUNDS; i++) {
		for (direct = 0; direct < 2; direct++) {
			raw[direct][i] = bench_raw(stk, stk + STACK);
			fc[direct][i] = bench_fcontext(stk, stk + STACK);
		}
		yl[i] = bench_yield(CORO_BACKEND_ASM, PASSES);
		uc[i] = bench_yield(CORO_BACKEND_UCONTEXT, PASSES / 10);
	}
	for (int d = 0; d < 2; d++) {
		r[d] = bench_min(raw[d], ROUNDS);
		f[d] = bench_min(fc[d], ROUNDS);
	}
	y = bench_min(yl, ROUNDS);
	u = bench_min(uc, ROUNDS);
	bench_print("coro_switch_asm", r[1], "ns");
	bench_print("coro_switch_fcontext", f[1], "ns");
	bench_print("coro_switch_vs_fcontext", r[1] / f[1], "ratio");
	bench_print("coro_switch_asm_call", r[0], "ns");
	bench_print("coro_switch_fcontext_call", f[0], "ns");
	bench_print("coro_switch_vs_fcontext_call", r[0] / f[0], "ratio");
	bench_print("coro_switch_yield", y, "ns");
	bench_print("coro_yield_vs_fcontext", y / f[1], "ratio");
	bench_print("coro_switch_ucontext", u, "ns");
	bench_print("coro_ucontext_vs_yield", u / y, "ratio");

	for (unsigned int k = 0; k < sizeof(live_sizes) / sizeof(live_sizes[0]); k++) {
		unsigned int sz = live_sizes[k];
		double lp[ROUNDS], ls[ROUNDS], lf[ROUNDS], copied = 0, vp, vs, vf;
		char name[64];

		for (int i = 0; i < ROUNDS; i++) {
			lp[i] = bench_live(sz, 0, NULL);
			ls[i] = bench_live(sz, CORO_F_SHARED_STACK, &copied);
			direct = 1;
			fc_live = sz;
			lf[i] = bench_fcontext(stk, stk + STACK);
			fc_live = 0;
		}
		vp = bench_min(lp, ROUNDS);
		vs = bench_min(ls, ROUNDS);
		vf = bench_min(lf, ROUNDS);
		snprintf(name, sizeof(name), "coro_switch_live%u_private", sz);
		bench_print(name, vp, "ns");
		snprintf(name, sizeof(name), "coro_switch_live%u_shared", sz);
		bench_print(name, vs, "ns");
		snprintf(name, sizeof(name), "coro_switch_live%u_fcontext", sz);
		bench_print(name, vf, "ns");
		snprintf(name, sizeof(name), "coro_switch_live%u_shared_vs_private", sz);
		bench_print(name, vs / vp, "ratio");
		snprintf(name, sizeof(name), "coro_switch_live%u_shared_copied", sz);
		bench_print(name, copied, "bytes");
	}

	for (int i = 0; i < PP_ROUNDS; i++) {
		pr[i] = pingpong_cpu_ns("bin/coro-pingpong");
		np[i] = pingpong_cpu_ns("tests/coro/coro-pingpong-noprobes");
	}
	p = bench_min(pr, PP_ROUNDS);
	n = bench_min(np, PP_ROUNDS);
	bench_print("coro_switch_probes_untraced", p, "ns");
	bench_print("coro_switch_no_probes", n, "ns");
	bench_print("coro_probe_untraced_overhead", p - n, "ns");
	munmap(stk, 2 * STACK);
	return 0;
}
