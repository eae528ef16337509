/* record --cgroup: the chosen cgroup v2 directories, their ids for the
 * kernel filter (bpf/cgroup.bpf.h), and the membership records written
 * when recording starts. */
#ifndef SS_CGROUP_H
#define SS_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "switchscope.h"

#define SS_CG_MAX	16	/* as in bpf/cgroup.bpf.h */

struct ss_cg_sel {
	unsigned int n;
	uint64_t id[SS_CG_MAX];		/* cgroup ids (kernfs node ids) */
	uint32_t level[SS_CG_MAX];	/* depth below the root cgroup */
	char *dir[SS_CG_MAX];		/* directory, in the file system */
	char *path[SS_CG_MAX];		/* path from the cgroup2 root: "/a/b" */
};

/* Resolve each PATH (absolute, or relative to the cgroup2 mount). On a
 * bad one prints why and returns SS_EXIT_USAGE (no such cgroup, not a
 * cgroup v2 directory, too many) or SS_EXIT_UNSUPPORTED (no cgroup2
 * hierarchy mounted); else SS_OK. */
int ss_cg_resolve(struct ss_cg_sel *s, const char *const *paths, size_t n);
void ss_cg_free(struct ss_cg_sel *s);

/* The selection the BPF objects load with (NULL: no --cgroup). */
void ss_cg_set_active(const struct ss_cg_sel *s);
const struct ss_cg_sel *ss_cg_active(void);

/* Copy the active selection into a skeleton's read-only data (cg_count,
 * cg_ids[], cg_levels[] of bpf/cgroup.bpf.h). */
#define SS_CG_RODATA(ro) do {						\
	const struct ss_cg_sel *s_ = ss_cg_active();			\
									\
	(ro)->cg_count = s_ ? s_->n : 0;				\
	for (unsigned int i_ = 0; s_ && i_ < s_->n; i_++) {		\
		(ro)->cg_ids[i_] = s_->id[i_];				\
		(ro)->cg_levels[i_] = s_->level[i_];			\
	}								\
} while (0)

typedef void (*ss_cg_emit_cb)(void *ctx, const struct ss_hdr *rec);

/* Write, stamped ts, a name record for every cgroup in the chosen
 * subtrees and a membership record (SS_CGROUP_START) for each of their
 * threads. Returns the number of threads, or -errno. */
int ss_cg_snapshot(const struct ss_cg_sel *s, uint64_t ts, ss_cg_emit_cb emit,
		   void *ctx);

/* Which cgroups the trace names so far. Every cgroup record written goes
 * through ss_cg_names_note() first: one that names a cgroup nothing has
 * named yet (no path) gets a name record before it, through emit (NULL:
 * only note the record). */
struct ss_cg_names;
struct ss_cg_names *ss_cg_names_new(const struct ss_cg_sel *s);
void ss_cg_names_free(struct ss_cg_names *n);
void ss_cg_names_note(struct ss_cg_names *n, const struct ss_hdr *h,
		      ss_cg_emit_cb emit, void *ctx);

#endif
