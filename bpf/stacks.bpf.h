/* record --stacks: the current task's kernel and user stacks as ids into
 * the records (struct ss_stack_ids), each distinct stack written once as an
 * ss_stack record ahead of the first record that names it.
 *
 * The id is a hash of the addresses (and of the tgid for user stacks: the
 * same addresses mean other code in another process). A LRU hash remembers
 * the ids already written; an id is remembered only once its ss_stack
 * record is in the ring buffer, so a stack lost to a full ring is written
 * again at its next use (the losses are counted in stack_lost, and in the
 * ring's own loss counter). */
#ifndef SS_STACKS_BPF_H
#define SS_STACKS_BPF_H

#include "common.bpf.h"

/* Set before load by the recorder (record --stacks). */
const volatile bool want_stacks = false;

struct ss_stack_key {
	__u64 id;
	__u32 tgid;	/* 0: kernel */
	__u32 pad;
};

/* Ids whose ss_stack record was written. Shared by the BPF objects. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ss_stack_key);
	__type(value, __u8);
} stack_seen SEC(".maps");

/* ss_stack records the ring buffer refused, per CPU. Shared. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} stack_lost SEC(".maps");

/* The record being built: too large for the BPF stack. Per object (the
 * programs of one object do not nest on a CPU: the switch and wakeup
 * tracepoints run with interrupts off, a program does not recurse). */
struct ss_stack_buf {
	struct ss_stack s;
	__u64 ip[SS_STACK_MAX_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ss_stack_buf);
} stack_buf SEC(".maps");

/* Below the top of every task's kernel stack (THREAD_SIZE of x86_64 and
 * arm64 without KASAN). */
#define SS_THREAD_SIZE	16384

/*
 * In interrupt context current is whatever task was interrupted: its user
 * stack is not the waker's. Two cases:
 * - the interrupt came while current was in the kernel: it runs on the
 *   CPU's irq stack (x86_64, arm64; softirqs too, unless in ksoftirqd, a
 *   kernel thread). A tp_btf program's ctx is the tracepoint's argument
 *   array, on the stack the tracepoint fired on: outside current's task
 *   stack. (The program's own frame can be a private per-CPU stack since
 *   6.13.)
 * - it came from user mode: it runs on the (empty) task stack, but then
 *   current's saved user registers are no syscall's: orig_ax (x86) or
 *   syscallno (arm64) is -1. So it is for an exception (a page fault that
 *   wakes someone): its user stack is skipped too, never a wrong one.
 * The preempt count would say it directly, but it is a per-CPU variable
 * that only CONFIG_KALLSYMS_ALL kernels let BPF find.
 */
static __always_inline bool ss_in_irq(void *ctx, struct task_struct *t)
{
	__u64 lo = (__u64)t->stack, at = 0;
	struct pt_regs *regs;
	long nr;

	/* the address as a number (a helper copy: no pointer) */
	bpf_probe_read_kernel(&at, sizeof(at), &ctx);
	if (at - lo >= SS_THREAD_SIZE)
		return true;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs)
		return true;
#if defined(__TARGET_ARCH_x86)
	nr = regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	nr = regs->syscallno;
#else
#error "syscall number register unknown for this architecture"
#endif
	return nr < 0;
}

static __always_inline __u64 ss_hash_step(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* The id of the current task's stack (user: BPF_F_USER_STACK), its record
 * written first if new; 0 when there is none (a kernel thread's user
 * stack). */
static __always_inline __u64 ss_stack_take(void *ctx, __u32 tgid, bool user)
{
	struct ss_stack_key key = {};
	struct ss_stack_buf *b;
	__u32 zero = 0, sz;
	__u16 flags = user ? 0 : SS_STACK_KERNEL;
	__u64 h;
	long n;
	int nr;

	b = bpf_map_lookup_elem(&stack_buf, &zero);
	if (!b)
		return 0;
	n = bpf_get_stack(ctx, b->ip, sizeof(b->ip), user ? BPF_F_USER_STACK : 0);
	if (n == 0)
		return 0;
	if (n < 0) {
		flags |= SS_STACK_FAILED;
		n = 0;
	}
	nr = n / 8;
	if (nr >= SS_STACK_MAX_DEPTH)
		flags |= SS_STACK_TRUNCATED;	/* as deep as asked: maybe deeper */
	h = ss_hash_step(0xcbf29ce484222325ull, ((__u64)tgid << 16) | flags);
	for (int i = 0; i < SS_STACK_MAX_DEPTH; i++) {
		if (i >= nr)
			break;
		h = ss_hash_step(h, b->ip[i]);
	}
	if (!h)
		h = 1;
	key.id = h;
	key.tgid = tgid;
	if (bpf_map_lookup_elem(&stack_seen, &key))
		return h;
	sz = sizeof(struct ss_stack) + ((__u32)nr & 0x7f) * 8;
	if (sz > sizeof(*b))
		return h;
	b->s.hdr.type = SS_EV_STACK;
	b->s.hdr.size = sz;
	b->s.hdr.cpu = bpf_get_smp_processor_id();
	b->s.hdr.ts = bpf_ktime_get_ns();
	b->s.id = h;
	b->s.tgid = tgid;
	b->s.nr = nr;
	b->s.flags = flags;
	if (bpf_ringbuf_output(&events, b, sz, BPF_RB_NO_WAKEUP) == 0) {
		__u8 one = 1;

		bpf_map_update_elem(&stack_seen, &key, &one, BPF_ANY);
	} else {
		struct ss_lost_cnt *l = bpf_map_lookup_elem(&lost, &zero);
		__u64 *sl = bpf_map_lookup_elem(&stack_lost, &zero);

		if (l) {
			l->count++;
			l->last_ts = b->s.hdr.ts;
		}
		if (sl)
			(*sl)++;
	}
	return h;
}

/* Kernel and user stacks of the current task t (user: not for kernel
 * threads, nor in interrupt context). */
static __always_inline void ss_stacks_current(void *ctx, struct task_struct *t,
					      struct ss_stack_ids *ids, bool in_irq)
{
	ids->kstack = ss_stack_take(ctx, 0, false);
	ids->ustack = 0;
	if (!(t->flags & 0x00200000 /* PF_KTHREAD */) && !in_irq)
		ids->ustack = ss_stack_take(ctx, t->tgid, true);
}

#endif
