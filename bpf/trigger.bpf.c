// SPDX-License-Identifier: GPL-2.0
/* Flight recorder triggers evaluated in the kernel (record --trigger
 * runqlat>D, offcpu>D): an ss_trigger into the shared ring buffer when a
 * traced task waited longer than D for a CPU, or was blocked longer than D.
 * Loaded only with --trigger, beside sched.bpf.c, on the same tracepoints:
 * a recording without triggers runs none of this.
 *
 * Latency terms (as runqlat and offcputime):
 *   wait (runqlat)  from a wakeup (sched_wakeup, sched_wakeup_new) or a
 *                   preemption (switch-out while still runnable) to the
 *                   task's next switch-in;
 *   blocked (offcpu) from a switch-out in a sleeping state to the wakeup
 *                   that makes it runnable again (the wait after it is
 *                   runqlat's).
 * One trigger fires, then the programs disarm themselves until the
 * recorder has written its dump and sets armed again: a storm of long
 * waits costs one record. */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set before load: 0 turns a trigger off. */
const volatile __u64 runqlat_ns = 0;
const volatile __u64 offcpu_ns = 0;
/* Only this thread (0: every traced one). */
const volatile __u32 runqlat_tid = 0;
const volatile __u32 offcpu_tid = 0;

/* Written by the recorder (mmap'd .bss), cleared here when one fires. */
__u64 armed = 0;

struct since {
	__u64 wait;	/* ns runnable since (0: not waiting) */
	__u64 blocked;	/* ns blocked since (0: not blocked) */
};

/* Per thread, for traced tasks only; LRU: threads that exit unseen age
 * out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct since);
} since SEC(".maps");

static __always_inline void fire(__u32 kind, struct task_struct *t, __u64 thr,
				 __u64 from, __u64 now)
{
	struct ss_trigger *e;

	/* one CPU wins; the others see it cleared */
	if (!__sync_lock_test_and_set(&armed, 0))
		return;
	e = ss_reserve(SS_EV_TRIGGER, sizeof(*e));
	if (!e) {
		armed = 1;	/* lost (counted): the next one may fire */
		return;
	}
	e->hdr.ts = now;
	e->kind = kind;
	e->tid = t->pid;
	e->tgid = t->tgid;
	e->dump = 0;
	e->threshold_ns = thr;
	e->value_ns = now - from;
	e->since_ns = from;
	e->entry = 0;
	e->nr = 0;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

static __always_inline bool watched(struct task_struct *t)
{
	return t->pid && traced(t->tgid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(trig_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 tid;
	struct since *s, z = { 0 };

	if (watched(prev)) {
		tid = prev->pid;
		/* still runnable (preempted, yielded): waits from now;
		 * else blocked from now */
		if (task_state(prev) == 0)
			z.wait = now;
		else
			z.blocked = now;
		bpf_map_update_elem(&since, &tid, &z, BPF_ANY);
	}
	if (!watched(next))
		return 0;
	tid = next->pid;
	s = bpf_map_lookup_elem(&since, &tid);
	if (!s || !s->wait)
		return 0;
	if (runqlat_ns && armed && now - s->wait > runqlat_ns &&
	    (!runqlat_tid || runqlat_tid == tid))
		fire(SS_TRIG_RUNQLAT, next, runqlat_ns, s->wait, now);
	s->wait = 0;
	return 0;
}

static __always_inline int on_wake(struct task_struct *p)
{
	__u64 now = bpf_ktime_get_ns();
	struct since *s, z = { 0 };
	__u32 tid = p->pid;

	if (!watched(p))
		return 0;
	s = bpf_map_lookup_elem(&since, &tid);
	if (!s) {
		/* first seen: a new task, or one blocked since before we
		 * started (how long is unknown) */
		z.wait = now;
		bpf_map_update_elem(&since, &tid, &z, BPF_ANY);
		return 0;
	}
	if (s->blocked && offcpu_ns && armed && now - s->blocked > offcpu_ns &&
	    (!offcpu_tid || offcpu_tid == tid))
		fire(SS_TRIG_OFFCPU, p, offcpu_ns, s->blocked, now);
	s->blocked = 0;
	/* a wakeup of a task still on its CPU (it has not switched out
	 * yet) starts no wait: its switch-out will reset this */
	s->wait = now;
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(trig_wakeup, struct task_struct *p)
{
	return on_wake(p);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(trig_wakeup_new, struct task_struct *p)
{
	return on_wake(p);
}
