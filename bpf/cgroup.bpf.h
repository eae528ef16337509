/* record --cgroup: is a task in one of the chosen cgroup v2 subtrees?
 *
 * Checked per event on the task the record is about (prev and next of a
 * switch, the woken task, ...), not cached: a task moved in or out of a
 * chosen cgroup is traced, or not, from its next event on, whatever moved
 * it (cgroup.procs, cgroup.threads, clone3 CLONE_INTO_CGROUP).
 *
 * A cgroup C at depth L is in the subtree of a chosen cgroup S at depth
 * Ls when L >= Ls and C's ancestor at depth Ls is S: L - Ls steps up the
 * parents, then the id. */
#ifndef SS_CGROUP_BPF_H
#define SS_CGROUP_BPF_H

#define SS_CG_MAX	16	/* --cgroup options at most */

/* Set before load by the recorder (user/record/cgroup.c); 0: no filter. */
const volatile __u32 cg_count = 0;
const volatile __u64 cg_ids[SS_CG_MAX];
const volatile __u32 cg_levels[SS_CG_MAX];

#define SS_CG_MAX_UP	64	/* levels walked up at most */

/* The id of cg's ancestor at depth level (level <= cg->level), walking up
 * the parents: plain loads through BTF pointers (cg comes from a tp_btf
 * argument or the current task), no helper calls, and nothing that
 * changed between kernels. struct cgroup's array of ancestors would save
 * the walk, but the verifier refuses a load past the struct (a flexible
 * array), it changed in 6.0 (ancestor_ids[] to ancestors[]), and read
 * with bpf_probe_read_kernel() it costs three helper calls per task:
 * more than the one or two steps up of a usual cgroup tree. Past
 * SS_CG_MAX_UP steps the cgroup reached is at another depth than the
 * chosen one, so its id cannot match: no false positive. */
static __always_inline __u64 cg_ancestor_id(struct cgroup *cg, __u32 level)
{
	__u32 up = cg->level - level;

	for (__u32 k = 0; k < SS_CG_MAX_UP && k < up; k++) {
		struct cgroup_subsys_state *parent = cg->self.parent;

		if (!parent)
			return 0;
		cg = parent->cgroup;
		if (!cg)
			return 0;
	}
	return cg->kn->id;
}

/* The task's cgroup on the unified (v2) hierarchy. */
static __always_inline struct cgroup *cg_of(struct task_struct *t)
{
	return t->cgroups->dfl_cgrp;
}

static __always_inline bool cg_chosen(struct cgroup *cg)
{
	__u32 level;

	if (!cg)
		return false;
	level = cg->level;
	for (__u32 i = 0; i < SS_CG_MAX; i++) {
		if (i >= cg_count)
			break;
		if (level >= cg_levels[i] &&
		    cg_ancestor_id(cg, cg_levels[i]) == cg_ids[i])
			return true;
	}
	return false;
}

/* A membership record: from now on t is in cg (path: the cgroup's, as
 * the tracepoint gives it, or NULL). Included after ss_reserve(). */
static __always_inline void cg_emit(struct task_struct *t, struct cgroup *cg,
				    __u16 flags, const char *path)
{
	struct ss_cgroup *e;
	__u32 len = 0, size;
	char *p;
	long n;

	e = ss_reserve(SS_EV_CGROUP, sizeof(*e) + SS_CGROUP_PATH_MAX);
	if (!e)
		return;
	e->id = cg->kn->id;
	e->tid = t->pid;
	e->tgid = t->tgid;
	e->flags = flags;
	e->level = cg->level;
	p = (char *)(e + 1);
	if (path) {
		n = bpf_probe_read_kernel_str(p, SS_CGROUP_PATH_MAX, path);
		if (n > 1)
			len = (n - 1) & (SS_CGROUP_PATH_MAX - 1);
	}
	/* the record ends at the next 8 bytes; zero what the path leaves */
	size = (len + 7) & ~7u;
	for (__u32 k = 0; k < 8; k++)
		if (len + k < size)
			p[(len + k) & (SS_CGROUP_PATH_MAX - 1)] = 0;
	e->path_len = len;
	e->hdr.size = sizeof(*e) + size;
	ss_submit(e);
}

/* True without --cgroup. */
static __always_inline bool cg_match(struct task_struct *t)
{
	if (!cg_count)
		return true;
	return cg_chosen(cg_of(t));
}

#endif
