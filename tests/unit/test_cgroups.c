/* Per-cgroup attribution in the analysis (user/analysis/cgroups.c), from
 * records made here: which cgroup a switch counts in as tasks move. */
#include <string.h>

#include "analysis.h"
#include "cgroups.h"
#include "harness.h"

static void cg_rec(struct ss_analysis *a, uint64_t ts, uint64_t id, uint32_t tid,
		   uint32_t tgid, uint16_t flags, const char *path)
{
	struct ss_cgroup_buf r;

	ss_cgroup_fill(&r, ts, 0, id, tid, tgid, flags, 1, path);
	ss_analysis_add(a, &r.c.hdr, NULL);
}

/* prev blocks, next (woken at ts - wait) comes in */
static void sw(struct ss_analysis *a, uint64_t ts, uint32_t prev, uint32_t next,
	       uint64_t wait)
{
	struct ss_wakeup w = { .hdr = { SS_EV_WAKING, sizeof(w), 0, ts - wait },
			       .tid = next, .tgid = next };
	struct ss_switch s = { .hdr = { SS_EV_SWITCH, sizeof(s), 0, ts },
			       .prev_tid = prev, .prev_tgid = prev, .next_tid = next,
			       .next_tgid = next, .prev_state = SS_TASK_INTERRUPTIBLE };

	ss_analysis_add(a, &w.hdr, NULL);
	ss_analysis_add(a, &s.hdr, NULL);
}

static struct ss_cgstat *find(struct ss_cgstat **v, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (v[i]->path && !strcmp(v[i]->path, path))
			return v[i];
	return NULL;
}

TEST(switches_count_in_the_cgroup_the_task_is_in_at_that_moment)
{
	struct ss_meta m = { .ncpu = 1, .flags = SS_META_SYSTEM_WIDE | SS_META_CGROUP };
	struct ss_analysis a;
	struct ss_cgstat **v, *x, *y;
	size_t n;

	REQUIRE(ss_analysis_init(&a, &m, NULL, 0) == 0);
	cg_rec(&a, 1, 10, 0, 0, SS_CGROUP_CHOSEN | SS_CGROUP_IN, "/x");
	cg_rec(&a, 1, 20, 0, 0, SS_CGROUP_CHOSEN | SS_CGROUP_IN, "/y");
	cg_rec(&a, 1, 10, 100, 100, SS_CGROUP_START | SS_CGROUP_IN, NULL);
	cg_rec(&a, 1, 20, 200, 200, SS_CGROUP_START | SS_CGROUP_IN, NULL);
	/* 100 and 200 hand over: 3 switches out of each, waits 1000 ns */
	for (int i = 0; i < 3; i++) {
		sw(&a, 10000 + 4000 * i, 100, 200, 1000);
		sw(&a, 12000 + 4000 * i, 200, 100, 1000);
	}
	/* the whole process 200 moves to /x: its later switches are /x's */
	cg_rec(&a, 30000, 10, 200, 200, SS_CGROUP_MOVE | SS_CGROUP_PROCESS | SS_CGROUP_IN,
	       "/x");
	sw(&a, 40000, 100, 200, 5000);
	sw(&a, 42000, 200, 100, 5000);
	/* a task never in a chosen cgroup is counted nowhere, traced nowhere */
	sw(&a, 50000, 300, 100, 2000);
	ss_analysis_finish(&a, 60000);
	CHECK(!ss_analysis_traced(&a, 300));
	CHECK(ss_analysis_traced(&a, 200));
	v = ss_cgroups_list(a.cgroups, &n);
	REQUIRE(v && n == 2);
	x = find(v, n, "/x");
	y = find(v, n, "/y");
	REQUIRE(x && y);
	CHECK_EQ(y->switches, 3);
	CHECK_EQ(x->switches, 5);	/* 100's four, 200's one after the move */
	CHECK_EQ(x->threads, 2);
	CHECK_EQ(y->threads, 1);
	CHECK_EQ(y->wait.count, 3);
	/* 100 waited 3 times (its later wakeups came while it ran), 200 once
	 * after the move */
	CHECK_EQ(x->wait.count, 4);
	CHECK_EQ(x->wait.max, 5000);
	CHECK(x->chosen && y->chosen);
	free(v);
	ss_analysis_free(&a);
}

TEST(a_cgroup_never_named_has_its_id_for_a_name_and_short_records_are_ignored)
{
	struct ss_meta m = { .ncpu = 1, .flags = SS_META_CGROUP };
	struct ss_cgroup bad = { .hdr = { SS_EV_CGROUP, sizeof(bad), 0, 1 }, .id = 7,
				 .tid = 5, .tgid = 5, .path_len = 200 };
	struct ss_analysis a;
	struct ss_cgstat **v;
	char buf[48];
	size_t n;

	REQUIRE(ss_analysis_init(&a, &m, NULL, 0) == 0);
	ss_analysis_add(&a, &bad.hdr, NULL);	/* path_len past the record */
	cg_rec(&a, 2, 44, 5, 5, SS_CGROUP_FORK | SS_CGROUP_IN, NULL);
	sw(&a, 1000, 5, 6, 100);
	v = ss_cgroups_list(a.cgroups, &n);
	REQUIRE(v && n == 1);
	CHECK_EQ(v[0]->id, 44);
	CHECK(!strcmp(ss_cgroup_name(v[0], buf, sizeof(buf)), "cgroup id 44"));
	free(v);
	ss_analysis_free(&a);
}
