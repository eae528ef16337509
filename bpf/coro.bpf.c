// SPDX-License-Identifier: GPL-2.0
/* The coroutine probes (provider "coro", docs/PROBES.md), into the same ring
 * buffer as the scheduler events. Attached per binary for every process;
 * only traced processes get records. Paired probes only: a uretprobe would
 * break on the stack switch. */
#include "common.bpf.h"
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "GPL";

static __always_inline __u64 arg(struct pt_regs *ctx, __u64 n)
{
	long v = 0;

	if (bpf_usdt_arg(ctx, n, &v))
		return 0;
	return v;
}

static __always_inline void *start(struct pt_regs *ctx, __u32 type, __u32 size,
				   __u32 *tid, __u32 *tgid)
{
	__u64 id = bpf_get_current_pid_tgid();

	*tgid = id >> 32;
	*tid = (__u32)id;
	if (!traced(*tgid))
		return NULL;
	return ss_reserve(type, size);
}

SEC("usdt")
int on_coro_create(struct pt_regs *ctx)
{
	struct ss_coro_create *e;
	__u32 tid, tgid;

	e = start(ctx, SS_EV_CORO_CREATE, sizeof(*e), &tid, &tgid);
	if (!e)
		return 0;
	e->tid = tid;
	e->tgid = tgid;
	e->id = arg(ctx, 0);
	e->entry = arg(ctx, 1);
	e->stack_size = arg(ctx, 2);
	ss_submit(e);
	return 0;
}

SEC("usdt")
int on_coro_switch(struct pt_regs *ctx)
{
	struct ss_coro_switch *e;
	__u32 tid, tgid;

	e = start(ctx, SS_EV_CORO_SWITCH, sizeof(*e), &tid, &tgid);
	if (!e)
		return 0;
	e->tid = tid;
	e->tgid = tgid;
	e->from = arg(ctx, 0);
	e->to = arg(ctx, 1);
	e->dur_ns = arg(ctx, 2);
	/* start_ns is optional in the probe ABI */
	e->start_ns = bpf_usdt_arg_cnt(ctx) > 3 ? arg(ctx, 3) : 0;
	ss_submit(e);
	return 0;
}

SEC("usdt")
int on_coro_park(struct pt_regs *ctx)
{
	struct ss_coro_park *e;
	__u32 tid, tgid;

	e = start(ctx, SS_EV_CORO_PARK, sizeof(*e), &tid, &tgid);
	if (!e)
		return 0;
	e->tid = tid;
	e->tgid = tgid;
	e->id = arg(ctx, 0);
	e->reason = arg(ctx, 1);
	e->pad = 0;
	ss_submit(e);
	return 0;
}

SEC("usdt")
int on_coro_ready(struct pt_regs *ctx)
{
	struct ss_coro_ready *e;
	__u32 tid, tgid;

	e = start(ctx, SS_EV_CORO_READY, sizeof(*e), &tid, &tgid);
	if (!e)
		return 0;
	e->tid = tid;
	e->tgid = tgid;
	e->id = arg(ctx, 0);
	e->by = arg(ctx, 1);
	ss_submit(e);
	return 0;
}

SEC("usdt")
int on_coro_exit(struct pt_regs *ctx)
{
	struct ss_coro_exit *e;
	__u32 tid, tgid;

	e = start(ctx, SS_EV_CORO_EXIT, sizeof(*e), &tid, &tgid);
	if (!e)
		return 0;
	e->tid = tid;
	e->tgid = tgid;
	e->id = arg(ctx, 0);
	ss_submit(e);
	return 0;
}

SEC("usdt")
int on_coro_stats(struct pt_regs *ctx)
{
	struct ss_coro_stats *e;
	__u32 tid, tgid;

	e = start(ctx, SS_EV_CORO_STATS, sizeof(*e), &tid, &tgid);
	if (!e)
		return 0;
	e->tid = tid;
	e->tgid = tgid;
	e->switches = arg(ctx, 0);
	e->switch_ns = arg(ctx, 1);
	ss_submit(e);
	return 0;
}

/* Standalone (no BPF scheduler object to share the filter with, e.g. the
 * module backend): follow fork like bpf/sched.bpf.c does. */
SEC("tp_btf/task_newtask")
int BPF_PROG(on_newtask_follow, struct task_struct *task, __u64 clone_flags)
{
	__u32 ptgid = bpf_get_current_pid_tgid() >> 32;
	__u32 child;
	__u8 one = 1;

	if (trace_all || (clone_flags & SS_CLONE_THREAD) || !traced(ptgid))
		return 0;
	child = BPF_CORE_READ(task, tgid);
	bpf_map_update_elem(&tgids, &child, &one, BPF_ANY);
	return 0;
}
