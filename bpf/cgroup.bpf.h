/* record --cgroup: is a task in one of the chosen cgroup v2 subtrees?
 *
 * Checked per event on the task the record is about (prev and next of a
 * switch, the woken task, ...), not cached: a task moved in or out of a
 * chosen cgroup is traced, or not, from its next event on, whatever moved
 * it (cgroup.procs, cgroup.threads, clone3 CLONE_INTO_CGROUP).
 *
 * A cgroup C at depth L is in the subtree of a chosen cgroup S at depth
 * Ls when L >= Ls and C's ancestor at depth Ls is S; struct cgroup keeps
 * its ancestors in an array indexed by depth, so that is two reads per
 * chosen cgroup, no walk up the tree. */
#ifndef SS_CGROUP_BPF_H
#define SS_CGROUP_BPF_H

#define SS_CG_MAX	16	/* --cgroup options at most */

/* Set before load by the recorder (user/record/cgroup.c); 0: no filter. */
const volatile __u32 cg_count = 0;
const volatile __u64 cg_ids[SS_CG_MAX];
const volatile __u32 cg_levels[SS_CG_MAX];

/* Before 6.0 (7f203bc89eb6) struct cgroup kept the ids of its ancestors;
 * since then pointers to them. Whichever this kernel has is read. */
struct cgroup___ids {
	__u64 ancestor_ids[0];
} __attribute__((preserve_access_index));

static __always_inline __u64 cg_ancestor_id(struct cgroup *cg, __u32 level)
{
	__u64 base = (__u64)cg, id = 0;
	struct cgroup *anc = NULL;

	if (bpf_core_field_exists(cg->ancestors)) {
		base += bpf_core_field_offset(struct cgroup, ancestors);
		if (bpf_probe_read_kernel(&anc, sizeof(anc), (void *)(base + level * 8)) ||
		    !anc)
			return 0;
		return BPF_CORE_READ(anc, kn, id);
	}
	base += bpf_core_field_offset(struct cgroup___ids, ancestor_ids);
	bpf_probe_read_kernel(&id, sizeof(id), (void *)(base + level * 8));
	return id;
}

/* The task's cgroup on the unified (v2) hierarchy. */
static __always_inline struct cgroup *cg_of(struct task_struct *t)
{
	return BPF_CORE_READ(t, cgroups, dfl_cgrp);
}

static __always_inline bool cg_chosen(struct cgroup *cg)
{
	__u32 level;

	if (!cg)
		return false;
	level = BPF_CORE_READ(cg, level);
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
	e->id = BPF_CORE_READ(cg, kn, id);
	e->tid = BPF_CORE_READ(t, pid);
	e->tgid = BPF_CORE_READ(t, tgid);
	e->flags = flags;
	e->level = BPF_CORE_READ(cg, level);
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
