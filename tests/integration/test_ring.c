/* The coroutine trace ring on the running kernel (root, BPF): what our
 * runtime did, as it reports it, is exactly what the trace holds, whether
 * the switches went through the ring or (before the ring was mapped, or
 * with the ring off) through the USDT probes. */
#define SS_TEST_MAIN
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "idmap.h"
#include "testutil.h"

static char *tbin(const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	/* $SS_TEST_PROGS: when SS_BIN names another build of switchscope */
	if (getenv("SS_TEST_PROGS"))
		snprintf(p[i], sizeof(p[i]), "%s/%s", getenv("SS_TEST_PROGS"), name);
	else
		snprintf(p[i], sizeof(p[i]), "%s/../tests/%s", tu_bin(), name);
	return p[i];
}

#define MAXT 16

/* What a thread of the workload said it did, and what the trace says. */
struct thr {
	uint32_t tid, pid;
	long said;		/* switches, from the workload's own count */
	long seen;		/* coro_switch records of that tid */
	long from_ring;		/* of which hdr.ts == start + dur: ring-made */
	long broken_chain;	/* a switch whose from is not the last one's to */
	uint64_t last_to;
	uint64_t first_ring_ts, last_ring_ts;	/* the steady state */
	uint64_t uprobe_ts[64];	/* uprobe syscalls (336) of the thread */
	int nuprobe;
	long outside_cpu;	/* ring timestamps outside the thread's on-CPU time */
	int on;			/* on CPU now (from sched_switch) */
	uint64_t on_since;
	uint64_t past[8][2];	/* its last on-CPU intervals, newest first */
};

struct seen {
	struct thr t[MAXT];
	int n;
	long lost_ring;
	long other_switches;
	uint64_t worst_outside_ns;
};

static struct thr *thr_of(struct seen *s, uint32_t tid)
{
	for (int i = 0; i < s->n; i++)
		if (s->t[i].tid == tid)
			return &s->t[i];
	return NULL;
}

static int parse_said(const char *out, struct seen *s)
{
	for (const char *p = out; p && (p = strstr(p, "tid=")); p++) {
		struct thr *t = &s->t[s->n];

		if (s->n == MAXT)
			return -1;
		if (sscanf(p, "tid=%u pid=%u switches=%ld", &t->tid, &t->pid, &t->said) == 3)
			s->n++;
	}
	return s->n;
}

static int on_cpu(const struct thr *t, uint64_t ts)
{
	if (t->on && ts >= t->on_since)
		return 1;
	for (int i = 0; i < 8; i++)
		if (ts >= t->past[i][0] && ts <= t->past[i][1])
			return 1;
	return 0;
}

static void on_rec(const struct ss_hdr *h, void *ctx)
{
	struct seen *s = ctx;
	const struct ss_coro_switch *c = (const void *)h;
	const struct ss_switch *sw = (const void *)h;
	struct thr *t;

	if (h->type == SS_EV_SWITCH) {
		if ((t = thr_of(s, sw->prev_tid))) {
			memmove(t->past[1], t->past[0], sizeof(t->past) - sizeof(t->past[0]));
			t->past[0][0] = t->on_since;
			t->past[0][1] = h->ts;
			t->on = 0;
		}
		if ((t = thr_of(s, sw->next_tid))) {
			t->on = 1;
			t->on_since = h->ts;
		}
		return;
	}
	if (h->type == SS_EV_LOST && ((const struct ss_lost *)h)->source == SS_LOST_CORO_RING)
		s->lost_ring += ((const struct ss_lost *)h)->count;
	if (h->type == SS_EV_SYSCALL) {
		const struct ss_syscall *y = (const void *)h;

		t = thr_of(s, y->tid);
		if (t && y->nr == 336 && t->nuprobe < 64)
			t->uprobe_ts[t->nuprobe++] = h->ts;
		return;
	}
	if (h->type != SS_EV_CORO_SWITCH)
		return;
	t = thr_of(s, c->tid);
	if (!t) {
		s->other_switches++;
		return;
	}
	if (t->seen && c->from != t->last_to)
		t->broken_chain++;
	t->last_to = c->to;
	t->seen++;
	if (c->start_ns && h->ts == c->start_ns + c->dur_ns) {
		t->from_ring++;
		if (!t->first_ring_ts)
			t->first_ring_ts = h->ts;
		t->last_ring_ts = h->ts;
		/* its end in the current on-CPU interval; its start there too,
		 * or in an earlier one (preempted during the switch) */
		if (!t->on || !on_cpu(t, c->start_ns)) {
			uint64_t off = t->on ? t->on_since - c->start_ns : 0;

			t->outside_cpu++;
			if (off > s->worst_outside_ns)
				s->worst_outside_ns = off;
		}
	}
}

static long uprobes_in_steady_state(const struct thr *t)
{
	long n = 0;

	for (int i = 0; i < t->nuprobe; i++)
		if (t->uprobe_ts[i] > t->first_ring_ts && t->uprobe_ts[i] < t->last_ring_ts)
			n++;
	return n;
}

static int record(const char *trace, char **out, char **err, const char *ring,
		  int syscalls, char *const *cmd)
{
	char *argv[24] = { "switchscope", "record", "-q", "-o", (char *)trace };
	int n = 5;

	if (ring)
		argv[n++] = (char *)ring;
	if (syscalls)
		argv[n++] = "--syscalls";
	argv[n++] = "--";
	while (*cmd && n < 23)
		argv[n++] = *cmd++;
	argv[n] = NULL;
	return tu_run(argv, out, err);
}

/* Record cmd; every thread's count said == seen, chains whole. */
static void exact(const char *ring, char *const *cmd, int threads, int want_ring,
		  struct seen *s)
{
	const char *trace = tu_tmp("ring.trace");
	char *out = NULL, *err = NULL;
	int rc = record(trace, &out, &err, ring, 0, cmd);

	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	REQUIRE(parse_said(out, s) == threads, "threads said: %s", out);
	REQUIRE(tu_each(trace, on_rec, s) > 0);
	CHECK_EQ(s->lost_ring, 0);
	for (int i = 0; i < s->n; i++) {
		struct thr *t = &s->t[i];

		CHECK_EQ(t->seen, t->said);
		CHECK_EQ(t->broken_chain, 0);
		/* how many came through the ring depends on how soon the
		 * recorder mapped it (30% of them under ASan in one CI run) */
		if (want_ring)
			CHECK_GT(t->from_ring, 0);
		else
			CHECK_EQ(t->from_ring, 0);
	}
	free(out);
	free(err);
}

TEST(four_threads_switches_are_in_the_trace_exactly_with_whole_chains)
{
	struct seen s = { 0 };

	exact(NULL, (char *const[]){ tbin("ring-target"), "threads", "4", "100000", NULL },
	      4, 1, &s);
}

TEST(ring_records_fall_inside_the_on_cpu_time_of_their_thread)
{
	struct seen s = { 0 };
	long ring = 0, outside = 0;

	exact(NULL, (char *const[]){ tbin("ring-target"), "threads", "2", "200000", NULL },
	      2, 1, &s);
	for (int i = 0; i < s.n; i++) {
		ring += s.t[i].from_ring;
		outside += s.t[i].outside_cpu;
	}
	CHECK_GT(ring, 200000);
	CHECK_EQ(outside, 0);
	if (outside)
		fprintf(stderr, "  worst: %llu ns before the switch-in\n",
			(unsigned long long)s.worst_outside_ns);
}

TEST(channel_switches_with_park_and_ready_go_through_the_ring)
{
	const char *trace = tu_tmp("chan.trace");
	char *out = NULL, *err = NULL;
	struct ss_analysis a;
	struct seen s = { 0 };
	int rc;

	exact(NULL, (char *const[]){ tbin("ring-target"), "chan", "50000", NULL }, 1, 1, &s);
	rc = record(trace, &out, &err, NULL, 0,
		    (char *const[]){ tbin("ring-target"), "chan", "50000", NULL });
	REQUIRE(rc == 0);
	REQUIRE(tu_analyse(trace, &a) == 0);
	/* every round trip parks and readies each side once */
	CHECK_GE(a.count[SS_EV_CORO_PARK], 100000);
	CHECK_GE(a.count[SS_EV_CORO_READY], 100000);
	CHECK_EQ(a.lost, 0);
	ss_analysis_free(&a);
	free(out);
	free(err);
}

TEST(a_thread_started_after_recording_began_is_traced_exactly)
{
	struct seen s = { 0 };

	setenv("RING_DELAY_MS", "300", 1);
	exact(NULL, (char *const[]){ tbin("ring-target"), "threads", "2", "50000", NULL },
	      2, 1, &s);
	unsetenv("RING_DELAY_MS");
}

TEST(fork_child_writes_its_own_ring_never_its_parents)
{
	struct seen s = { 0 };

	exact(NULL, (char *const[]){ tbin("ring-target"), "fork", "20000", NULL }, 2, 1, &s);
	CHECK_NE(s.t[0].pid, s.t[1].pid);
	CHECK_EQ(s.other_switches, 0);
}

TEST(usdt_path_with_the_ring_off_is_exact_too)
{
	struct seen s = { 0 };

	exact("--coro-ring=off", (char *const[]){ tbin("ring-target"), "threads", "2", "20000",
						  NULL }, 2, 0, &s);
}

TEST(runtime_told_not_to_write_a_ring_stays_on_usdt)
{
	struct seen s = { 0 };

	setenv("CORO_RING", "0", 1);
	exact(NULL, (char *const[]){ tbin("ring-target"), "threads", "1", "20000", NULL },
	      1, 0, &s);
	unsetenv("CORO_RING");
}

TEST(sigkill_keeps_every_switch_reported_before_the_kill)
{
	const char *trace = tu_tmp("kill.trace");
	char *out = NULL, *err = NULL;
	struct seen s = { 0 };
	unsigned long long reported = 0;
	long all = 0;
	int rc;

	rc = record(trace, &out, &err, NULL, 0,
		    (char *const[]){ tbin("ring-target"), "kill", NULL });
	CHECK_EQ(rc, 128 + SIGKILL);
	if (out)
		sscanf(out, "reported=%llu", &reported);
	REQUIRE(reported > 0, "out: %s", out);
	REQUIRE(reported > 10000, "only %llu switches before the kill", reported);
	tu_each(trace, on_rec, &s);
	all = s.other_switches;
	/* each counted switch is one of the endless pair's, plus their
	 * switches to and from the thread's main coroutine */
	CHECK_GE(all, (long)reported);
	CHECK_EQ(s.lost_ring, 0);
	free(out);
	free(err);
}

TEST(steady_state_has_no_uprobe_entries_and_no_kernel_entry_inside_a_switch)
{
	const char *trace = tu_tmp("sys.trace");
	char *out = NULL, *err = NULL;
	struct seen s = { 0 };
	int rc;

	rc = record(trace, &out, &err, NULL, 1,
		    (char *const[]){ tbin("ring-target"), "threads", "2", "250000", NULL });
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	REQUIRE(parse_said(out, &s) == 2);
	tu_each(trace, on_rec, &s);
	for (int i = 0; i < s.n; i++) {
		CHECK_EQ(s.t[i].seen, s.t[i].said);
		CHECK_GT(s.t[i].from_ring, s.t[i].said / 2);
		CHECK_EQ(uprobes_in_steady_state(&s.t[i]), 0);
	}
	free(out);
	free(err);
	rc = TU_RUN(&out, &err, "switchscope", "verify", "--trace", (char *)trace);
	CHECK_EQ(rc, 0);
	CHECK(out && strstr(out, "VERDICT: PASS"), "out: %s err: %s", out, err);
	free(out);
	free(err);
}

TEST(verify_through_the_ring_still_catches_a_syscall_inside_switches)
{
	char *out = NULL, *err = NULL;
	int rc;

	setenv("CORO_TEST_SWITCH_SYSCALL", "1", 1);
	rc = TU_RUN(&out, &err, "switchscope", "verify", "--", tbin("ring-target"), "threads",
		    "1", "20000");
	unsetenv("CORO_TEST_SWITCH_SYSCALL");
	CHECK_EQ(rc, 1);
	CHECK(out && strstr(out, "getppid"), "out: %s", out);
	free(out);
	free(err);
}

struct plain {
	long n, bad;
	uint64_t next;
	int64_t worst_err, worst_width;
};

static void on_plain(const struct ss_hdr *h, void *ctx)
{
	const struct ss_coro_switch *c = (const void *)h;
	struct plain *p = ctx;

	if (h->type != SS_EV_CORO_SWITCH)
		return;
	p->n++;
	if (p->next && c->from != p->next)
		p->bad++;
	p->next = c->from + 1;
}

TEST(another_runtime_with_the_header_writer_exits_while_its_ring_is_read)
{
	const char *trace = tu_tmp("plain.trace");
	char *out = NULL, *err = NULL;
	struct plain p = { 0 };
	int rc;

	rc = record(trace, &out, &err, NULL, 0,
		    (char *const[]){ tbin("ring-writer"), "plain", "4000", NULL });
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	REQUIRE(out && strstr(out, "ring=on"), "out: %s", out);
	tu_each(trace, on_plain, &p);
	CHECK_EQ(p.n, 4000);	/* fits the ring: read after the writer is gone */
	CHECK_EQ(p.bad, 0);
	free(out);
	free(err);
}

TEST(hostile_writer_is_reported_and_its_trace_stays_readable)
{
	const char *trace = tu_tmp("hostile.trace");
	char *out = NULL, *err = NULL;
	struct plain p = { 0 };
	struct ss_analysis a;
	int rc;

	rc = record(trace, &out, &err, NULL, 0,
		    (char *const[]){ tbin("ring-writer"), "hostile", NULL });
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	REQUIRE(out && strstr(out, "ring=on"), "out: %s", out);
	CHECK(err && strstr(err, "garbage") && strstr(err, "pid "), "stderr: %s", err);
	CHECK(err && strstr(err, "corrupt"), "stderr: %s", err);
	tu_each(trace, on_plain, &p);
	CHECK_EQ(p.n, 1000);
	CHECK_EQ(p.bad, 0);
	REQUIRE(tu_analyse(trace, &a) == 0);
	CHECK_GE(a.lost, 1);	/* the garbage counts as lost */
	ss_analysis_free(&a);
	free(out);
	free(err);
	CHECK_EQ(TU_RUN(NULL, NULL, "switchscope", "report", (char *)trace), 0);
}

static void on_clock(const struct ss_hdr *h, void *ctx)
{
	const struct ss_coro_switch *c = (const void *)h;
	struct plain *p = ctx;
	int64_t mid, err;

	if (h->type != SS_EV_CORO_SWITCH || c->to - c->from > 300)
		return;	/* a pair of readings the writer was preempted between */
	mid = (int64_t)(c->from + (c->to - c->from) / 2);
	err = (int64_t)c->start_ns - mid;
	err = (err < 0 ? -err : err) - (int64_t)(c->to - c->from) / 2;
	if (err > p->worst_err)
		p->worst_err = err;
	p->n++;
}

TEST(ring_timestamps_are_within_100ns_of_clock_gettime)
{
	const char *trace = tu_tmp("clock.trace");
	char *out = NULL, *err = NULL;
	struct plain p = { 0 };
	int rc;

	/* make bench runs this for 60 s (RING_CLOCK_SEC) */
	const char *sec = getenv("RING_CLOCK_SEC") ? getenv("RING_CLOCK_SEC") : "3";

	rc = record(trace, &out, &err, NULL, 0,
		    (char *const[]){ tbin("ring-writer"), "clock", (char *)sec, NULL });
	REQUIRE(rc == 0, "record exited %d: %s", rc, err);
	tu_each(trace, on_clock, &p);
	CHECK_GT(p.n, 1000);
	CHECK_LE(p.worst_err, 100);
	fprintf(stderr, "  %ld points, worst error %lld ns beyond the reading pair\n", p.n,
		(long long)p.worst_err);
	free(out);
	free(err);
}
