/* Unit tests of the export engine: the prev_state encoding Perfetto reads,
 * the Perfetto sink's compact_sched columns, and the state machine run over
 * traces from tests/export/gen_trace.c (counts, slice order, windows, the
 * --pid filter, bounded memory). */
#define SS_TEST_MAIN
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "model.h"
#include "out_perfetto_sched.h"
#include "ss.h"

TEST(prev_state_encoding_matches_the_kernel_tracepoint)
{
	CHECK_EQ(xs_report_state(0x0, 0), 0);		/* R */
	CHECK_EQ(xs_report_state(0x1, 0), 0x1);		/* S */
	CHECK_EQ(xs_report_state(0x2, 0), 0x2);		/* D */
	CHECK_EQ(xs_report_state(0x102, 0), 0x2);	/* TASK_KILLABLE: D */
	CHECK_EQ(xs_report_state(0x2102, 0), 0x2);	/* killable, freezable */
	CHECK_EQ(xs_report_state(0x4, 0), 0x4);		/* T */
	CHECK_EQ(xs_report_state(0x8, 0), 0x8);		/* t */
	CHECK_EQ(xs_report_state(0x40, 0), 0x40);	/* P */
	CHECK_EQ(xs_report_state(0x402, 0), 0x80);	/* TASK_IDLE: I */
	CHECK_EQ(xs_report_state(0x80, 0), 0x10);	/* dying: X */
	CHECK_EQ(xs_report_state(0x1000, 0), 0x2);	/* rtlock wait: D */
	CHECK_EQ(xs_report_state(0x1, 1), 0x100);	/* preempted: R+ */
	CHECK_EQ(xs_report_state(0x0, 1), 0x100);
}

/* compact_sched columns: timestamps as deltas from the first, per kind;
 * comms interned once per bundle, also a comm that fills its field; events
 * taken off again; the bundle full at PFC_COMMS comms; empty again after
 * pfc_clear. */
TEST(compact_sched_columns_delta_and_intern)
{
	struct pf_compact *c = calloc(1, sizeof(*c));
	Perfetto__Protos__FtraceEventBundle__CompactSched cs =
		PERFETTO__PROTOS__FTRACE_EVENT_BUNDLE__COMPACT_SCHED__INIT;
	const char longc[SS_COMM_LEN] = "0123456789abcdef";	/* no NUL */
	char name[SS_COMM_LEN];

	REQUIRE(c);
	CHECK(pfc_empty(c) && pfc_room(c, 1), "a new bundle is empty and has room");
	CHECK_EQ(pfc_switch(c, 1000, 1, 5, 120, "a"), 0);
	CHECK_EQ(pfc_waking(c, 1100, 6, 1, 120, "b"), 0);
	CHECK_EQ(pfc_switch(c, 1250, 256, 6, 120, "b"), 0);
	CHECK_EQ(pfc_switch(c, 1250, 0, 0, 120, longc), 0);
	CHECK_EQ(pfc_waking(c, 1400, 5, 0, 100, longc), 0);
	pfc_message(c, &cs);
	CHECK_EQ(cs.n_switch_timestamp, 3);
	CHECK_EQ(cs.n_switch_next_comm_index, 3);
	CHECK_EQ(cs.switch_timestamp[0], 1000);
	CHECK_EQ(cs.switch_timestamp[1], 250);
	CHECK_EQ(cs.switch_timestamp[2], 0);
	CHECK_EQ(cs.switch_prev_state[1], 256);
	CHECK_EQ(cs.n_waking_timestamp, 2);
	CHECK_EQ(cs.waking_timestamp[0], 1100);
	CHECK_EQ(cs.waking_timestamp[1], 300);
	CHECK_EQ(cs.waking_prio[1], 100);
	CHECK_EQ(cs.n_intern_table, 3);
	CHECK_EQ(cs.switch_next_comm_index[1], cs.waking_comm_index[0]);
	CHECK_EQ(cs.switch_next_comm_index[2], cs.waking_comm_index[1]);
	CHECK(!strcmp(cs.intern_table[cs.switch_next_comm_index[2]], "0123456789abcde"),
	      "a full comm field is cut to the tracepoint's 15 characters");
	/* Taken off again, the next one's delta is to the one before. */
	pfc_unappend(c, 1, 1250);
	pfc_unappend(c, 1, 1000);
	CHECK_EQ(pfc_switch(c, 1300, 1, 6, 120, "b"), 0);
	pfc_unappend(c, 0, 1100);
	CHECK_EQ(pfc_waking(c, 1500, 5, 0, 100, "a"), 0);
	pfc_message(c, &cs);
	CHECK_EQ(cs.n_switch_timestamp, 2);
	CHECK_EQ(cs.switch_timestamp[1], 300);
	CHECK_EQ(cs.n_waking_timestamp, 2);
	CHECK_EQ(cs.waking_timestamp[1], 400);
	pfc_clear(c);
	CHECK(pfc_empty(c), "empty after pfc_clear");
	for (int i = 0; i < PFC_COMMS && pfc_room(c, 1); i++) {
		snprintf(name, sizeof(name), "t%d", i);
		CHECK_EQ(pfc_switch(c, 2000 + i, 1, i, 120, name), 0);
	}
	CHECK_EQ(c->ncomm, PFC_COMMS);
	CHECK(!pfc_room(c, 1), "no room once the intern table is full");
	pfc_message(c, &cs);
	CHECK_EQ(cs.switch_timestamp[0], 2000);
	CHECK_EQ(cs.switch_timestamp[PFC_COMMS - 1], 1);
	pfc_free(c);
	free(c);
}

/* A sink that checks what the engine hands out. */
struct check_sink {
	struct xsink s;
	struct xmodel *m;
	uint64_t from, to;
	uint64_t run_ends, from_idle, wakeups, coro_starts, marks[16], lost;
	uint64_t bad_order, bad_window, bad_range, unwanted;
	uint64_t *last_end;	/* per thread index, thread lane */
	size_t nth;
	uint32_t only_tgid;
};

static int ck_begin(struct xsink *s, struct xmodel *m)
{
	struct check_sink *c = (struct check_sink *)s;

	c->m = m;
	c->last_end = calloc(1 << 16, sizeof(*c->last_end));
	return c->last_end ? 0 : -1;
}

static void ck_slice(struct xsink *s, const struct xslice *sl)
{
	struct check_sink *c = (struct check_sink *)s;
	uint32_t f = sl->flags;

	if (sl->t0 > sl->t1)
		c->bad_range++;
	if (sl->t0 < c->from || sl->t1 > c->to)
		c->bad_window++;
	if (c->only_tgid && sl->t->tgid != c->only_tgid)
		c->unwanted++;
	if (sl->kind == XK_RUN) {
		unsigned int end = f & XF_END_MASK;

		if (end != XE_OPEN && end != XE_UNSURE && !(f & XF_CLIP_END))
			c->run_ends++;
		if ((f & XF_FROM_IDLE) && !(f & XF_CLIP_START))
			c->from_idle++;
	}
	if (sl->kind == XK_WAIT && (f & XF_BY_WAKING) && !(f & XF_CLIP_START))
		c->wakeups++;
	if (sl->kind == XK_CORO && !(f & XF_CLIP_START))
		c->coro_starts++;
	if (sl->kind != XK_CORO) {
		uint64_t *le = &c->last_end[sl->t->tid & 0xffff];

		/* one thread's slices follow each other in time */
		if (sl->t0 < *le)
			c->bad_order++;
		*le = sl->t1;
	}
}

static void ck_mark(struct xsink *s, const struct xmark *mk)
{
	struct check_sink *c = (struct check_sink *)s;

	if (mk->kind < 16)
		c->marks[mk->kind]++;
	if (mk->kind == XM_WAKE)
		c->wakeups++;
	if (mk->kind == XM_LOST)
		c->lost += mk->a;
	if (mk->ts < c->from || mk->ts > c->to)
		c->bad_window++;
}

static int ck_end(struct xsink *s, struct xmodel *m)
{
	free(((struct check_sink *)s)->last_end);
	return SS_OK;
}

struct expect {
	unsigned long long records, switches, preempted, wakeups, coro, lost, newtasks;
};

static int gen(const char *path, unsigned long n, struct expect *e)
{
	char cmd[512];
	FILE *p;
	int got;

	snprintf(cmd, sizeof(cmd), "%s/export_gen -o %s -n %lu", getenv("SS_TEST_BIN") ?
		 getenv("SS_TEST_BIN") : "build/tests", path, n);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	got = fscanf(p, "{\"records\":%llu,\"switches\":%llu,\"preempted\":%llu,"
		     "\"wakeups\":%llu,\"coro_switches\":%llu,\"lost\":%llu,\"newtasks\":%llu",
		     &e->records, &e->switches, &e->preempted, &e->wakeups, &e->coro,
		     &e->lost, &e->newtasks);
	return pclose(p) == 0 && got == 7 ? 0 : -1;
}

static struct ss_reader *open_trace(const char *path)
{
	char err[256];
	int code;
	struct ss_reader *r = ss_reader_open(path, err, sizeof(err), &code);

	if (!r)
		fprintf(stderr, "  %s\n", err);
	return r;
}

static int run(const char *path, struct ss_export_opts *o, struct check_sink *c,
	       struct ss_export_stats *st)
{
	struct ss_reader *r = open_trace(path);
	int code;

	if (!r)
		return -1;
	c->s.begin = ck_begin;
	c->s.slice = ck_slice;
	c->s.mark = ck_mark;
	c->s.end = ck_end;
	c->from = o->from_ns;
	c->to = o->to_ns;
	code = xmodel_run(r, o, &c->s, st);
	ss_reader_close(r);
	return code;
}

TEST(engine_counts_match_what_the_trace_holds)
{
	char path[] = "/tmp/ss-export-test-XXXXXX";
	int fd = mkstemp(path);
	struct ss_export_opts o = { .to_ns = UINT64_MAX };
	struct check_sink c = { 0 };
	struct ss_export_stats st;
	struct expect e;

	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE(gen(path, 50000, &e) == 0, "gen_trace failed");
	REQUIRE(run(path, &o, &c, &st) == SS_OK);
	CHECK_EQ(st.records, e.records);
	/* every switch ends a running slice or starts one from idle */
	CHECK_EQ(c.run_ends + c.from_idle, e.switches);
	CHECK_EQ(c.wakeups, e.wakeups);
	CHECK_EQ(c.coro_starts, e.coro);
	CHECK_EQ(c.lost, e.lost);
	CHECK_EQ(st.lost, e.lost);
	CHECK_EQ(c.marks[XM_NEWTASK], e.newtasks);
	CHECK_EQ(c.marks[XM_EXIT], 1);
	CHECK_EQ(c.bad_range, 0);
	CHECK_EQ(c.bad_order, 0);
	CHECK_EQ(c.bad_window, 0);
	unlink(path);
}

TEST(window_clips_slices_and_drops_marks_outside)
{
	char path[] = "/tmp/ss-export-test-XXXXXX";
	int fd = mkstemp(path);
	struct ss_export_opts o = { .from_ns = 2000000, .to_ns = 6000000 };
	struct check_sink c = { 0 }, all = { 0 };
	struct ss_export_opts oall = { .to_ns = UINT64_MAX };
	struct ss_export_stats st;
	struct expect e;

	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE(gen(path, 20000, &e) == 0);
	REQUIRE(run(path, &o, &c, &st) == SS_OK);
	REQUIRE(run(path, &oall, &all, &st) == SS_OK);
	CHECK_EQ(c.bad_window, 0);
	CHECK_EQ(c.bad_range, 0);
	CHECK_GT(c.run_ends, 0);
	CHECK_LT(c.run_ends, all.run_ends);
	unlink(path);
}

TEST(pid_filter_keeps_only_that_process)
{
	char path[] = "/tmp/ss-export-test-XXXXXX";
	int fd = mkstemp(path);
	uint32_t pid = 3000;
	struct ss_export_opts o = { .to_ns = UINT64_MAX, .pids = &pid, .npids = 1 };
	struct check_sink c = { .only_tgid = 3000 };
	struct ss_export_stats st;
	struct expect e;

	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE(gen(path, 20000, &e) == 0);
	REQUIRE(run(path, &o, &c, &st) == SS_OK);
	CHECK_EQ(c.unwanted, 0);
	CHECK_EQ(c.coro_starts, e.coro);
	CHECK_GT(c.run_ends, 0);
	unlink(path);
}

/* Peak memory of exporting n records as JSON to /dev/null, in KiB. */
static long export_rss(const char *path, int format)
{
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct ss_export_opts o = { .format = format, .to_ns = UINT64_MAX };
		struct ss_reader *r = open_trace(path);
		FILE *f = fopen("/dev/null", "w");

		_exit(r && f && ss_export(r, &o, f, NULL) == SS_OK ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status)
		return -1;
	getrusage(RUSAGE_CHILDREN, &ru);
	return ru.ru_maxrss;
}

TEST(memory_stays_bounded_whatever_the_trace_size)
{
	char big[] = "/tmp/ss-export-test-XXXXXX";
	int fd = mkstemp(big);
	struct expect e;
	long rss;

	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE(gen(big, 1000000, &e) == 0);
	rss = export_rss(big, SS_EXPORT_JSON);
	REQUIRE(rss > 0);
	/* 1M records (about 45 MB of trace) must not need more than the
	 * reader's chunk buffer and the thread table. */
	CHECK_LT(rss, 40 * 1024);
	/* The Perfetto sink adds its per-CPU bundles (full events and
	 * compact_sched columns), bounded by the CPUs. */
	rss = export_rss(big, SS_EXPORT_PERFETTO);
	REQUIRE(rss > 0);
	CHECK_LT(rss, 40 * 1024);
	unlink(big);
}
