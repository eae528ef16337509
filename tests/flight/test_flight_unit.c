/* The flight recorder's window without a kernel: synthetic records in
 * time order, as the sink hands them over. Memory stays within the bound
 * flight.h states, a dump holds the window before its trigger, and the
 * records carried over from before it are those of the living. */
#define SS_TEST_MAIN
#include <unistd.h>

#include "flight.h"
#include "harness.h"
#include "ss.h"
#include "testutil.h"

#define MS	1000000ull
#define T0	(1000 * 1000 * MS)	/* a monotonic time far from 0 */

static struct ss_flight *open_flight(const char *window, const char *out)
{
	struct ss_flight_opts fo = { 0 };
	struct ss_meta m = { .clock_id = SS_CLOCK_MONOTONIC, .ncpu = 2, .start_ns = T0 };
	struct ss_flight *f;

	if (ss_flight_parse_window(window, &fo))
		return NULL;
	snprintf(m.machine, sizeof(m.machine), "x86_64");
	f = ss_flight_new(&fo, out, -1, 1, 2, NULL, NULL);
	if (f)
		ss_flight_header(f, &m, NULL, 0);
	return f;
}

static void sw(struct ss_flight *f, uint64_t ts, uint32_t prev, uint32_t next)
{
	struct ss_switch s = {
		.hdr = { SS_EV_SWITCH, sizeof(s), 0, ts },
		.prev_tid = prev, .prev_tgid = prev, .next_tid = next, .next_tgid = next,
	};

	ss_flight_record(f, &s.hdr);
}

static void trigger(struct ss_flight *f, uint64_t ts)
{
	struct ss_trigger t = {
		.hdr = { SS_EV_TRIGGER, sizeof(t), 1, ts },
		.kind = SS_TRIG_OFFCPU, .tid = 7, .tgid = 7,
		.threshold_ns = MS, .value_ns = 5 * MS, .since_ns = ts - 5 * MS,
	};

	ss_flight_record(f, &t.hdr);
}

struct seen {
	uint64_t start, first_sw, last_sw;
	long switches, triggers, execs[4], comms, stacks, newtasks;
	long cg_names, cg_members[4];	/* carried ones, members by tid % 4 */
};

static void count(const struct ss_hdr *h, void *ctx)
{
	struct seen *s = ctx;

	switch (h->type) {
	case SS_EV_SWITCH:
		if (!s->first_sw)
			s->first_sw = h->ts;
		s->last_sw = h->ts;
		s->switches++;
		break;
	case SS_EV_TRIGGER:
		s->triggers++;
		break;
	case SS_EV_EXEC:
		if (h->ts == s->start)
			s->execs[((const struct ss_exec *)h)->tid % 4]++;
		break;
	case SS_EV_COMM:
		s->comms += h->ts == s->start;
		break;
	case SS_EV_STACK:
		s->stacks += h->ts == s->start;
		break;
	case SS_EV_NEWTASK:
		s->newtasks++;
		break;
	case SS_EV_CGROUP:
		if (h->ts != s->start)
			break;
		if (((const struct ss_cgroup *)h)->tid)
			s->cg_members[((const struct ss_cgroup *)h)->tid % 4]++;
		else
			s->cg_names++;
		break;
	}
}

/* Read the first dump of the series out names (an offcpu one). */
static int read_dump(const char *out, struct seen *s)
{
	char path[256];
	char err[256];
	struct ss_reader *r;
	int code;

	snprintf(path, sizeof(path), "%.*s.1.offcpu.trace", (int)(strlen(out) - 6), out);
	r = ss_reader_open(path, err, sizeof(err), &code);
	if (!r)
		return -1;
	s->start = ss_reader_meta(r)->start_ns;
	if (!ss_reader_trailer(r)) {
		ss_reader_close(r);
		return -2;
	}
	ss_reader_close(r);
	return tu_each(path, count, s) < 0 ? -1 : 0;
}

TEST(size_window_stays_within_its_size_and_one_block)
{
	struct ss_flight *f = open_flight("1M", tu_tmp("s.trace"));
	struct ss_flight_stats st;

	REQUIRE(f);
	/* 8 MB of switches through a 1 MiB window */
	for (uint64_t i = 0; i < 200000; i++)
		sw(f, T0 + i * 1000, 1, 2);
	CHECK_EQ(ss_flight_close(f, &st), SS_OK);
	CHECK_EQ(st.dumps, 0);
	/* measured before the oldest block goes: one record more */
	CHECK(st.peak_bytes >= (1u << 20) && st.peak_bytes <= (1u << 20) + (64u << 10) + 64,
	      "peak %llu bytes", (unsigned long long)st.peak_bytes);
}

TEST(time_window_holds_window_plus_margin_and_dumps_the_window)
{
	const char *out = tu_tmp("t.trace");
	struct ss_flight *f = open_flight("100ms", out);
	struct ss_flight_stats st;
	struct seen s = { 0 };
	uint64_t bound;

	REQUIRE(f);
	/* one switch every 10 us for 1 s: 4 MB */
	for (uint64_t i = 0; i < 100000; i++)
		sw(f, T0 + i * 10000, 1, 2);
	trigger(f, T0 + 1000 * MS);
	sw(f, T0 + 1000 * MS + 1, 2, 1);
	CHECK_EQ(ss_flight_close(f, &st), SS_OK);
	CHECK_EQ(st.dumps, 1);
	/* window + post (0) + the 250 ms margin of a dump forced by the
	 * clock, at 40 bytes per 10 us, one 1 MiB block, and the records at
	 * the edges */
	bound = (100 + 250) * 100 * 40 + (1u << 20) + 2 * 40;
	CHECK(st.peak_bytes <= bound, "peak %llu bytes, bound %llu",
	      (unsigned long long)st.peak_bytes, (unsigned long long)bound);
	REQUIRE(read_dump(out, &s) == 0, "%s", out);
	CHECK_EQ(s.start, T0 + 900 * MS);
	CHECK(s.first_sw >= T0 + 900 * MS && s.first_sw < T0 + 900 * MS + 10000,
	      "first switch %llu ns after the window's start",
	      (unsigned long long)(s.first_sw - (T0 + 900 * MS)));
	/* the window ends at the trigger (no --post): the switch after it is
	 * not in */
	CHECK_EQ(s.last_sw, T0 + 1000 * MS - 10000);
	CHECK_EQ(s.switches, 10000);
	CHECK_EQ(s.triggers, 1);
}

static void task(struct ss_flight *f, uint16_t type, uint64_t ts, uint32_t tid)
{
	union {
		struct ss_hdr h;
		struct ss_exec e;
		struct ss_comm c;
		struct ss_exit x;
		struct ss_newtask n;
		struct ss_stack k;
		struct ss_cgroup g;
	} u;

	memset(&u, 0, sizeof(u));
	u.h.type = type;
	u.h.ts = ts;
	switch (type) {
	case SS_EV_EXEC: u.h.size = sizeof(u.e); u.e.tid = u.e.tgid = tid; break;
	case SS_EV_COMM: u.h.size = sizeof(u.c); u.c.tid = u.c.tgid = tid; break;
	case SS_EV_EXIT: u.h.size = sizeof(u.x); u.x.tid = u.x.tgid = tid; break;
	case SS_EV_NEWTASK: u.h.size = sizeof(u.n); u.n.tid = u.n.tgid = tid; break;
	case SS_EV_STACK: u.h.size = sizeof(u.k); u.k.id = tid; break;
	case SS_EV_CGROUP:	/* tid 0: the cgroup's name record */
		u.h.size = sizeof(u.g);
		u.g.id = 77;
		u.g.tid = u.g.tgid = tid;
		u.g.flags = SS_CGROUP_IN | (tid ? SS_CGROUP_FORK : SS_CGROUP_CHOSEN);
		break;
	}
	ss_flight_record(f, &u.h);
}

TEST(records_from_before_the_window_come_along_while_their_task_lives)
{
	const char *out = tu_tmp("c.trace");
	struct ss_flight *f = open_flight("100ms", out);
	struct ss_flight_stats st;
	struct seen s = { 0 };

	REQUIRE(f);
	task(f, SS_EV_EXEC, T0 + 1, 101);	/* lives */
	task(f, SS_EV_EXEC, T0 + 2, 102);	/* exits before the window */
	task(f, SS_EV_COMM, T0 + 3, 101);
	task(f, SS_EV_STACK, T0 + 4, 5);
	task(f, SS_EV_CGROUP, T0 + 4, 0);
	task(f, SS_EV_CGROUP, T0 + 4, 101);
	task(f, SS_EV_CGROUP, T0 + 4, 102);
	task(f, SS_EV_EXIT, T0 + 5 * MS, 102);
	/* thousands of short-lived tasks: the carried store must not keep them */
	for (uint32_t i = 0; i < 50000; i++) {
		task(f, SS_EV_NEWTASK, T0 + 10 * MS + i * 20000ull, 1000 + i);
		task(f, SS_EV_CGROUP, T0 + 10 * MS + i * 20000ull, 1000 + i);
		task(f, SS_EV_EXIT, T0 + 10 * MS + i * 20000ull + 10000, 1000 + i);
	}
	for (uint64_t i = 0; i < 100000; i++)
		sw(f, T0 + 1000 * MS + i * 10000, 1, 2);
	trigger(f, T0 + 2000 * MS);
	sw(f, T0 + 2000 * MS + 1, 2, 1);
	CHECK_EQ(ss_flight_close(f, &st), SS_OK);
	CHECK_EQ(st.dumps, 1);
	/* compaction keeps the living only (2 execs, a comm, a stack and
	 * two cgroup records here, not 50,000 newtasks and their cgroups); at
	 * most a block's worth of the dead waits for it */
	CHECK(st.carried < 1024, "carried %llu bytes at the end",
	      (unsigned long long)st.carried);
	CHECK(st.peak_carried < (2u << 20), "carried peak %llu bytes",
	      (unsigned long long)st.peak_carried);
	REQUIRE(read_dump(out, &s) == 0, "%s", out);
	CHECK_EQ(s.execs[101 % 4], 1);
	CHECK_EQ(s.execs[102 % 4], 0);
	CHECK_EQ(s.comms, 1);
	CHECK_EQ(s.stacks, 1);
	CHECK_EQ(s.newtasks, 0);
	CHECK_EQ(s.cg_names, 1);
	CHECK_EQ(s.cg_members[101 % 4], 1);
	CHECK_EQ(s.cg_members[102 % 4] + s.cg_members[1000 % 4], 0);
}

TEST(a_second_trigger_within_the_window_starts_no_dump)
{
	const char *out = tu_tmp("h.trace");
	struct ss_flight *f = open_flight("100ms", out);
	struct ss_flight_stats st;

	REQUIRE(f);
	for (uint64_t i = 0; i < 1000; i++) {
		sw(f, T0 + i * MS, 1, 2);
		/* every 30 ms: only those 100 ms apart may dump */
		if (i % 30 == 0 && i)
			trigger(f, T0 + i * MS + 1);
	}
	CHECK_EQ(ss_flight_close(f, &st), SS_OK);
	/* triggers at 30, 60, ... 990 ms: dumps at 30, 150, 270, ... 990 */
	CHECK_EQ(st.dumps, 9);
}

TEST(window_parsing)
{
	struct ss_flight_opts fo = { 0 };
	char err[128];

	CHECK_EQ(ss_flight_parse_window("10s", &fo), 0);
	CHECK_EQ(fo.window_ns, 10000 * MS);
	CHECK_EQ(ss_flight_parse_window("256M", &fo), 0);
	CHECK_EQ(fo.window_ns, 0);
	CHECK_EQ(fo.window_bytes, 256ull << 20);
	CHECK_EQ(ss_flight_parse_window("2", &fo), 0);	/* seconds */
	CHECK_EQ(fo.window_ns, 2000 * MS);
	CHECK(ss_flight_parse_window("0", &fo) != 0);
	CHECK(ss_flight_parse_window("64K", &fo) != 0);	/* below 128K */
	CHECK(ss_flight_parse_window("10x", &fo) != 0);
	CHECK_EQ(ss_flight_parse_trigger("runqlat>5ms,tid=42", &fo, err, sizeof(err)), 0);
	CHECK_EQ(fo.runqlat_ns, 5 * MS);
	CHECK_EQ(fo.runqlat_tid, 42);
	CHECK_EQ(ss_flight_parse_trigger("offcpu>1.5s", &fo, err, sizeof(err)), 0);
	CHECK_EQ(fo.offcpu_ns, 1500 * MS);
	CHECK(ss_flight_parse_trigger("offcpu>5ms,pid=3", &fo, err, sizeof(err)) != 0);
	CHECK(ss_flight_parse_trigger("offcpu>", &fo, err, sizeof(err)) != 0);
	CHECK(ss_flight_parse_trigger("stall>5ms", &fo, err, sizeof(err)) != 0);
}
