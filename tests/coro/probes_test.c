/*
 * The USDT probe ABI seen from a real consumer: a libbpf program attached
 * to every coro:* probe of a test program must see exactly the hits the
 * program's behaviour implies, with the right ids and arguments; the
 * semaphores must be set while (and only while) someone is attached; and
 * a traced hit of a 5-byte-nop probe must not clobber locals.
 */
#define SS_TEST_MAIN
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coro.h"
#include "harness.h"
#include "switchscope.h"
#include "usdt_attach.h"

static char dir[PATH_MAX];

/* Test programs live next to this one. */
static const char *prog(const char *name)
{
	static char path[PATH_MAX + 64];

	if (!dir[0]) {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		self[n > 0 ? n : 0] = 0;
		snprintf(dir, sizeof(dir), "%s", dirname(self));
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

struct events {
	struct usdt_event *v;
	size_t n, cap;
};

static void collect(void *ctx, const struct usdt_event *e)
{
	struct events *ev = ctx;

	if (ev->n == ev->cap) {
		ev->cap = ev->cap ? 2 * ev->cap : 1024;
		ev->v = realloc(ev->v, ev->cap * sizeof(*ev->v));
		if (!ev->v)
			abort();
	}
	ev->v[ev->n++] = *e;
}

static const struct {
	const char *name;
	unsigned int type;
} probes[] = {
	{ "create", SS_EV_CORO_CREATE }, { "switch", SS_EV_CORO_SWITCH },
	{ "park", SS_EV_CORO_PARK },	 { "ready", SS_EV_CORO_READY },
	{ "exit", SS_EV_CORO_EXIT },	 { "stats", SS_EV_CORO_STATS },
};

struct target_run {
	struct events ev;
	unsigned long long m, a, b;
	long passes;
	unsigned int sem_switch, sem_create, sem_stats;
	char out[4096];
};

/* Trace a target program with every coro:* probe of the file that holds
 * them (the program itself, or libcoro.so) attached. */
static int trace_in(struct target_run *t, long passes, const char *target, const char *lib)
{
	char err[256], arg[32], path[PATH_MAX + 64];
	char *argv[] = { path, arg, NULL };
	struct usdt_session *u = usdt_open(err, sizeof(err));
	const char *holder;
	int st;

	snprintf(path, sizeof(path), "%s", prog(target));
	holder = lib ? prog(lib) : path;

	if (!u) {
		ss_test_fail(__FILE__, __LINE__, "%s", err);
		return -1;
	}
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		if (usdt_attach(u, 0, holder, "coro", probes[i].name, probes[i].type,
				err, sizeof(err))) {
			ss_test_fail(__FILE__, __LINE__, "%s", err);
			usdt_close(u);
			return -1;
		}
	}
	snprintf(arg, sizeof(arg), "%ld", passes);
	st = usdt_run(u, argv, collect, &t->ev, t->out, sizeof(t->out));
	if (usdt_lost(u))
		ss_test_fail(__FILE__, __LINE__, "%llu events lost",
			     (unsigned long long)usdt_lost(u));
	usdt_close(u);
	if (st != 0 || sscanf(t->out, "probe-target m=%llu a=%llu b=%llu passes=%ld "
			      "sem_switch=%u sem_create=%u sem_stats=%u",
			      &t->m, &t->a, &t->b, &t->passes, &t->sem_switch,
			      &t->sem_create, &t->sem_stats) != 7) {
		ss_test_fail(__FILE__, __LINE__, "target failed (status %#x): %s", st, t->out);
		return -1;
	}
	return 0;
}

static int trace_target(struct target_run *t, long passes)
{
	return trace_in(t, passes, "coro-probe-target", NULL);
}

static size_t count(const struct events *ev, unsigned int type)
{
	size_t n = 0;

	for (size_t i = 0; i < ev->n; i++)
		n += ev->v[i].cookie == type;
	return n;
}

/*
 * Every switch of the target, in order (see probe_target.c):
 *   0->M, M->A, then (A->B, B->A) x passes, A->0 (A finished),
 *   0->B, B->0 (B finished), 0->M, M->0 (M finished).
 */
TEST(switch_hits_are_every_switch_in_order_with_ids)
{
	struct target_run t = { .ev = { 0 } };
	size_t k = 0;

	if (trace_target(&t, 1000))
		return;
	for (size_t i = 0; i < t.ev.n; i++) {
		const struct usdt_event *e = &t.ev.v[i];
		unsigned long long from, to;
		long p;

		if (e->cookie != SS_EV_CORO_SWITCH)
			continue;
		/* the expected (from, to) of switch number k */
		if (k == 0) {
			from = 0, to = t.m;
		} else if (k == 1) {
			from = t.m, to = t.a;
		} else if (k < 2 + 2 * (size_t)t.passes) {
			p = (long)(k - 2);
			from = p % 2 ? t.b : t.a;
			to = p % 2 ? t.a : t.b;
		} else {
			static const int tail[][2] = { { 'a', 0 }, { 0, 'b' }, { 'b', 0 },
						       { 0, 'm' }, { 'm', 0 } };
			size_t j = k - 2 - 2 * (size_t)t.passes;
			unsigned long long *id[128] = { 0 };

			id['a'] = &t.a, id['b'] = &t.b, id['m'] = &t.m;
			if (j >= 5) {
				CHECK(0, "more switches than expected");
				break;
			}
			from = tail[j][0] ? *id[tail[j][0]] : 0;
			to = tail[j][1] ? *id[tail[j][1]] : 0;
		}
		if (e->arg[0] != from || e->arg[1] != to) {
			CHECK(0, "switch %zu: expected %llu->%llu, got %llu->%llu", k, from, to,
			      (unsigned long long)e->arg[0], (unsigned long long)e->arg[1]);
			break;
		}
		CHECK_EQ(e->nargs, 4);
		k++;
	}
	CHECK_EQ(k, 2 * 1000 + 7);
	free(t.ev.v);
}

/* The same probes in libcoro.so, attached in the library file: the
 * program's switches all arrive (the kernel sets the library's
 * semaphores in every process that maps it). */
TEST(probes_in_the_shared_library_see_every_switch)
{
	struct target_run t = { .ev = { 0 } };
	size_t chained = 0, nsw = 0;
	uint64_t prev_to = 0;

	if (trace_in(&t, 1000, "coro-probe-target-so", "../../lib/libcoro.so"))
		return;
	for (size_t i = 0; i < t.ev.n; i++) {
		const struct usdt_event *e = &t.ev.v[i];

		if (e->cookie != SS_EV_CORO_SWITCH)
			continue;
		chained += e->arg[0] == prev_to;
		prev_to = e->arg[1];
		nsw++;
	}
	CHECK_EQ(nsw, 2 * 1000 + 7);
	CHECK_EQ(chained, nsw);
	CHECK_EQ(count(&t.ev, SS_EV_CORO_CREATE), 3);
	free(t.ev.v);
}

/* start_ns increases, dur_ns is positive and small, and the runtime's
 * own coro:stats totals equal what the switch probe reported. */
TEST(switch_durations_and_stats_totals_agree)
{
	struct target_run t = { .ev = { 0 } };
	uint64_t prev_start = 0, sum = 0, nsw = 0, last_sw = 0, last_ns = 0;
	size_t nstats = 0;

	if (trace_target(&t, 3000))
		return;
	for (size_t i = 0; i < t.ev.n; i++) {
		const struct usdt_event *e = &t.ev.v[i];

		if (e->cookie == SS_EV_CORO_SWITCH) {
			CHECK_GT(e->arg[3], prev_start);
			CHECK_GT(e->arg[2], 0);
			CHECK_LT(e->arg[2], 10000000);	/* 10 ms */
			CHECK_LE(e->arg[3], e->ts);	/* user clock before the hit */
			prev_start = e->arg[3];
			sum += e->arg[2];
			nsw++;
		} else if (e->cookie == SS_EV_CORO_STATS) {
			/* switches, switch_ns, shared_saved (private stacks: 0) */
			CHECK_EQ(e->nargs, 3);
			CHECK_EQ(e->arg[2], 0);
			last_sw = e->arg[0];
			last_ns = e->arg[1];
			nstats++;
		}
	}
	/* every 4096 switches, and once at the end */
	CHECK_EQ(nstats, (2 * 3000 + 7) / CORO_STATS_EVERY_DEFAULT + 1);
	CHECK_EQ(last_sw, nsw);
	CHECK_EQ(last_ns, sum);
	free(t.ev.v);
}

/* create: M, A, B with their stack size; park: M once (join A, B already
 * finished when joined), none for the yields; ready: the three creations
 * and M by A's exit, none for the yields; exit: all three. */
TEST(create_park_ready_exit_hits_match_the_program)
{
	struct target_run t = { .ev = { 0 } };
	size_t parks_join = 0, parks_yield = 0, ready_by_self = 0, ready_m_by_a = 0;
	int created[3] = { 0 }, exited[3] = { 0 };

	if (trace_target(&t, 500))
		return;
	for (size_t i = 0; i < t.ev.n; i++) {
		const struct usdt_event *e = &t.ev.v[i];
		unsigned long long id = e->arg[0];
		int w = id == t.m ? 0 : id == t.a ? 1 : id == t.b ? 2 : -1;

		switch (e->cookie) {
		case SS_EV_CORO_CREATE:
			CHECK(w >= 0, "create of unknown id %llu", id);
			CHECK_EQ(e->arg[2], CORO_STACK_DEFAULT);
			CHECK_NE(e->arg[1], 0);
			if (w >= 0)
				created[w]++;
			break;
		case SS_EV_CORO_EXIT:
			if (w >= 0)
				exited[w]++;
			break;
		case SS_EV_CORO_PARK:
			parks_join += e->arg[1] == SS_PARK_JOIN && id == t.m;
			parks_yield += e->arg[1] == SS_PARK_YIELD && (w == 1 || w == 2);
			break;
		case SS_EV_CORO_READY:
			ready_by_self += e->arg[1] == id;
			ready_m_by_a += id == t.m && e->arg[1] == t.a;
			break;
		}
	}
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(created[i], 1);
		CHECK_EQ(exited[i], 1);
	}
	CHECK_EQ(count(&t.ev, SS_EV_CORO_CREATE), 3);
	CHECK_EQ(count(&t.ev, SS_EV_CORO_EXIT), 3);
	CHECK_EQ(parks_join, 1);
	CHECK_EQ(parks_yield, 0);
	CHECK_EQ(count(&t.ev, SS_EV_CORO_PARK), 1);
	CHECK_EQ(ready_by_self, 0);
	CHECK_EQ(ready_m_by_a, 1);
	CHECK_EQ(count(&t.ev, SS_EV_CORO_READY), 3 + 1);
	free(t.ev.v);
}

/* The kernel raises the semaphores while a consumer is attached; without
 * one they stay 0, which is what keeps untraced probes free. */
TEST(semaphores_are_set_only_while_traced)
{
	struct target_run t = { .ev = { 0 } };
	char cmd[PATH_MAX + 32], line[512] = "";
	unsigned int sw = 99, cr = 99, stt = 99;
	FILE *f;
	int ok;

	if (trace_target(&t, 10))
		return;
	CHECK_GE(t.sem_switch, 1);
	CHECK_GE(t.sem_create, 1);
	CHECK_GE(t.sem_stats, 1);
	free(t.ev.v);

	snprintf(cmd, sizeof(cmd), "%s 10", prog("coro-probe-target"));
	f = popen(cmd, "r");
	REQUIRE(f != NULL);
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	pclose(f);
	ok = sscanf(line, "%*s %*s %*s %*s %*s sem_switch=%u sem_create=%u sem_stats=%u",
		    &sw, &cr, &stt) == 3;
	REQUIRE(ok, "%s", line);
	CHECK_EQ(sw, 0);
	CHECK_EQ(cr, 0);
	CHECK_EQ(stt, 0);
}

/*
 * A traced hit of a 5-byte-nop probe may run as a call into a kernel
 * trampoline, which pushes below the stack pointer. The function built
 * with -mno-red-zone keeps its locals above it: none may change. The same
 * function built with a red zone is the control: on kernels that optimize
 * the probe its locals do change, which shows the check can see it.
 */
TEST(locals_survive_traced_probe_hits_without_red_zone)
{
	char err[256], out[512];
	char *argv[] = { (char *)prog("coro-redzone-target"), "2000", NULL };
	struct usdt_session *u = usdt_open(err, sizeof(err));
	long loops = 0, safe = -1, unsafe = -1;
	uint64_t hits;
	int st, ok;

	REQUIRE(u != NULL, "%s", err);
	ok = usdt_attach(u, 1, argv[0], "coro_test", "redzone_safe", 1, err, sizeof(err)) == 0 &&
	     usdt_attach(u, 1, argv[0], "coro_test", "redzone_unsafe", 2, err, sizeof(err)) == 0;
	REQUIRE(ok, "%s", err);
	st = usdt_run(u, argv, NULL, NULL, out, sizeof(out));
	hits = usdt_hits(u);
	usdt_close(u);
	ok = st == 0 && sscanf(out, "redzone loops=%ld safe_changed=%ld unsafe_changed=%ld",
			       &loops, &safe, &unsafe) == 3;
	REQUIRE(ok, "status %#x: %s", st, out);
	CHECK_EQ(hits, 2 * 2000);
	CHECK_EQ(safe, 0);
	printf("  red-zone control: %ld of %ld locals changed across traced hits%s\n",
	       unsafe, 8 * loops, unsafe ? " (the hazard is real here)" :
	       " (this kernel does not optimize uprobes on 5-byte nops)");
}
