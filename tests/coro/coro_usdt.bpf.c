// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A small USDT consumer for the coroutine runtime's tests and benchmarks.
 * on_event copies each hit (probe cookie, thread, arguments) into a ring
 * buffer; on_count only counts hits, the cheapest thing a consumer can do,
 * for measuring what a traced probe costs. Both keep to one process.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "usdt_event.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20);
} events SEC(".maps");

__u32 target_tgid;	/* set by user space once the target is forked */
__u64 hits;		/* on_count */
__u64 lost;		/* on_event: ring buffer full */

SEC("usdt")
int on_event(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct usdt_event *e;
	int n;

	if ((__u32)(id >> 32) != target_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	e->cookie = bpf_usdt_cookie(ctx);
	e->ts = bpf_ktime_get_ns();
	e->tid = (__u32)id;
	e->tgid = (__u32)(id >> 32);
	n = bpf_usdt_arg_cnt(ctx);
	e->nargs = n < 0 ? 0 : n;
	e->pad = 0;
	for (int i = 0; i < USDT_MAX_ARGS; i++) {
		long v = 0;

		if (i < n)
			bpf_usdt_arg(ctx, i, &v);
		e->arg[i] = v;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("usdt")
int on_count(struct pt_regs *ctx)
{
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) == target_tgid)
		__sync_fetch_and_add(&hits, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
