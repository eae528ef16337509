/* Maps and helpers shared by every switchscope BPF object. The user side
 * creates them once (with sched.bpf.c) and hands the same fds to the other
 * objects, so all records land in one ring buffer, in one order. */
#ifndef SS_COMMON_BPF_H
#define SS_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "switchscope.h"

#define SS_MAX_TGIDS	65536

/* Set before load by the recorder. */
const volatile bool trace_all = false;		/* -a: no tgid filter */
const volatile __u64 wake_bytes = 4 << 20;	/* wake the reader past this */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* Traced processes; grows with fork (task_newtask). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SS_MAX_TGIDS);
	__type(key, __u32);
	__type(value, __u8);
} tgids SEC(".maps");

/* Failed reservations per CPU: the ring buffer keeps no count itself. */
struct ss_lost_cnt {
	__u64 count;	/* records lost on this CPU since start */
	__u64 last_ts;	/* ns of the most recent loss */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ss_lost_cnt);
} lost SEC(".maps");

/* Linux 5.14 renamed task_struct::state to __state (2f064a59a11f). */
struct task_struct___o {
	volatile long state;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return t->__state;
	return ((struct task_struct___o *)t)->state;
}

static __always_inline bool traced(__u32 tgid)
{
	if (trace_all)
		return true;
	return bpf_map_lookup_elem(&tgids, &tgid) != NULL;
}

static __always_inline void *ss_reserve(__u32 type, __u32 size)
{
	struct ss_hdr *h = bpf_ringbuf_reserve(&events, size, 0);
	__u32 zero = 0;

	if (!h) {
		struct ss_lost_cnt *l = bpf_map_lookup_elem(&lost, &zero);

		if (l) {
			l->count++;
			l->last_ts = bpf_ktime_get_ns();
		}
		return NULL;
	}
	h->type = type;
	h->size = size;
	h->cpu = bpf_get_smp_processor_id();
	h->ts = bpf_ktime_get_ns();
	return h;
}

/* Wake the reader only when a batch is waiting: a wakeup per record costs
 * more than the record (the reader also polls every few ms). */
static __always_inline void ss_submit(void *rec)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(rec, avail >= wake_bytes ? BPF_RB_FORCE_WAKEUP :
						       BPF_RB_NO_WAKEUP);
}

#include "cgroup.bpf.h"

/* The process filter, then --cgroup's on the task itself. */
static __always_inline bool traced_task(struct task_struct *t, __u32 tgid)
{
	return traced(tgid) && cg_match(t);
}

#endif
