/* Per-cgroup tables of a trace recorded with --cgroup: each switch is
 * counted in the cgroup its task was in at that moment (the ss_cgroup
 * membership records say which, and when that changes). */
#ifndef SS_CGROUPS_H
#define SS_CGROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "switchscope.h"

struct ss_switch_info;

struct ss_cgstat {
	uint64_t id;		/* cgroup id */
	char *path;		/* from the cgroup2 root; NULL: never named */
	uint32_t level;		/* depth (root: 0) */
	int chosen;		/* a --cgroup PATH itself */
	int in;			/* in a chosen subtree */
	uint64_t threads;	/* threads that switched while in it */
	uint64_t switches;	/* switches out of its threads */
	uint64_t vol, invol;	/* of which voluntary / involuntary */
	uint64_t run_ns;	/* on-CPU time ending in those switches */
	struct ss_hist wait;	/* run-queue latency of its threads */
};

struct ss_cgroups;

/* An ss_cgroup record with room for its path. */
struct ss_cgroup_buf {
	struct ss_cgroup c;
	char path[SS_CGROUP_PATH_MAX];
};

/* Fill b as a whole record (path NULL: none; cut at 255 bytes). */
void ss_cgroup_fill(struct ss_cgroup_buf *b, uint64_t ts, uint32_t cpu, uint64_t id,
		    uint32_t tid, uint32_t tgid, uint16_t flags, uint32_t level,
		    const char *path);

struct ss_cgroups *ss_cgroups_new(void);
void ss_cgroups_free(struct ss_cgroups *c);
/* Feed an SS_EV_CGROUP record (hdr.size checked). 0, or -1 out of memory. */
int ss_cgroups_record(struct ss_cgroups *c, const struct ss_hdr *h);
/* Count a switch (info as ss_analysis_add filled it). */
void ss_cgroups_switch(struct ss_cgroups *c, const struct ss_switch *e,
		       const struct ss_switch_info *info);
/* Was a thread of tgid ever in a chosen cgroup? (c may be NULL: no.) */
int ss_cgroups_tgid_in(const struct ss_cgroups *c, uint32_t tgid);
/* Cgroups with switches, by path; *n set; malloc'd (NULL: none or no
 * memory). The pointers live as long as c. */
struct ss_cgstat **ss_cgroups_list(const struct ss_cgroups *c, size_t *n);
/* "/a/b", or "cgroup id N" in buf when the trace never named it. */
const char *ss_cgroup_name(const struct ss_cgstat *s, char *buf, size_t len);

#endif
