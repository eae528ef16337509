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
	__u64 ip[SS_STACK_MAX_DEPTH + 1];	/* one spare: indexes masked by 127 */
	/* state of the bpf_loop callbacks: in the map, not on the stack, so
	 * that the verifier does not follow its values (it would check the
	 * callback once per value) */
	__u64 h, fp, sp;
	__u32 nr, pad;
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
/* The bottom of t's kernel stack, as a number. */
static __always_inline __u64 ss_task_stack(struct task_struct *t)
{
	__u64 lo = 0;

	bpf_probe_read_kernel(&lo, sizeof(lo), &t->stack);
	return lo;
}

static __always_inline bool ss_in_irq(void *ctx, struct task_struct *t)
{
	__u64 lo = ss_task_stack(t), at = 0;
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

/* v &= m where the verifier sees it (clang drops a C mask it can prove
 * useless, and then loses the bound on a copy). */
#define SS_MASK(v, m) asm volatile("%0 &= " #m : "+r"(v))

static __always_inline __u64 ss_hash_step(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* The id of the stack of nr frames in b (flags SS_STACK_*), its record
 * written first if new. *written: its record is in the ring buffer (now
 * or before). */
struct ss_hash_ctx {
	struct ss_stack_buf *b;
};

/* One address into the hash (bpf_loop: the verifier checks it once, not
 * once per frame of every path that leads here). */
static long ss_hash_ip(__u64 i, void *data)
{
	struct ss_hash_ctx *c = data;

	if (i >= SS_STACK_MAX_DEPTH)
		return 1;
	c->b->h = ss_hash_step(c->b->h, c->b->ip[i]);
	return 0;
}

static __always_inline __u64 ss_stack_commit(struct ss_stack_buf *b, int nr, __u16 flags,
					     __u32 tgid, bool *written)
{
	struct ss_hash_ctx hc;
	struct ss_stack_key key = {};
	__u32 zero = 0, sz;
	__u64 h;

	if (nr >= SS_STACK_MAX_DEPTH)
		flags |= SS_STACK_TRUNCATED;	/* as deep as asked: maybe deeper */
	hc.b = b;
	b->h = ss_hash_step(0xcbf29ce484222325ull, ((__u64)tgid << 16) | flags);
	if (nr > 0 && nr <= SS_STACK_MAX_DEPTH)
		bpf_loop(nr, ss_hash_ip, &hc, 0);
	h = b->h;
	if (!h)
		h = 1;
	key.id = h;
	key.tgid = tgid;
	b->s.id = h;		/* what was walked, for ss_kstack */
	b->s.nr = nr;
	*written = true;
	if (bpf_map_lookup_elem(&stack_seen, &key))
		return h;
	sz = sizeof(struct ss_stack) + ((__u32)nr & 0x7f) * 8;
	if (sz > sizeof(*b))
		return h;
	b->s.hdr.type = SS_EV_STACK;
	b->s.hdr.size = sz;
	b->s.hdr.cpu = bpf_get_smp_processor_id();
	b->s.hdr.ts = bpf_ktime_get_ns();
	b->s.tgid = tgid;
	b->s.flags = flags;
	if (bpf_ringbuf_output(&events, b, sz, BPF_RB_NO_WAKEUP) == 0) {
		__u8 one = 1;

		bpf_map_update_elem(&stack_seen, &key, &one, BPF_ANY);
	} else {
		struct ss_lost_cnt *l = bpf_map_lookup_elem(&lost, &zero);
		__u64 *sl = bpf_map_lookup_elem(&stack_lost, &zero);

		*written = false;
		if (l) {
			l->count++;
			l->last_ts = b->s.hdr.ts;
		}
		if (sl)
			(*sl)++;
	}
	return h;
}

/* The current task's stack through the kernel's walker (user:
 * BPF_F_USER_STACK); 0 when there is none. */
static __always_inline __u64 ss_stack_take(void *ctx, __u32 tgid, bool user,
					   bool *written)
{
	struct ss_stack_buf *b;
	__u16 flags = user ? 0 : SS_STACK_KERNEL;
	__u32 zero = 0;
	long n;

	*written = false;
	b = bpf_map_lookup_elem(&stack_buf, &zero);
	if (!b)
		return 0;
	n = bpf_get_stack(ctx, b->ip, SS_STACK_MAX_DEPTH * 8, user ? BPF_F_USER_STACK : 0);
	if (n == 0)
		return 0;
	if (n < 0) {
		flags |= SS_STACK_FAILED;
		n = 0;
	}
	return ss_stack_commit(b, n / 8, flags, tgid, written);
}

/*
 * User stacks by frame pointers, walked here (x86_64): the kernel's walker
 * reads wherever the frame register points, and in code built without
 * frame pointers that is any number, often unmapped: each such read is a
 * page fault the kernel then fixes up, about a microsecond in a VM. A
 * frame record lies on the thread's stack, above the stack pointer and
 * above the previous record: anything else ends the walk without a read.
 * The frames are what the kernel's walker gives (the user pc, then the
 * return address of each record).
 */
#define SS_USTACK_SPAN	(8ull << 20)	/* frame records within this above sp */

struct ss_uwalk {
	struct ss_stack_buf *b;
};

static long ss_uwalk_step(__u64 idx, void *data)
{
	struct ss_stack_buf *w = ((struct ss_uwalk *)data)->b;
	__u64 fr[2], k = w->nr;

	if (k >= SS_STACK_MAX_DEPTH || w->fp < w->sp || w->fp - w->sp > SS_USTACK_SPAN ||
	    (w->fp & 7) || bpf_probe_read_user(fr, sizeof(fr), (void *)w->fp))
		return 1;
	if (!fr[1])
		return 1;
	SS_MASK(k, 127);
	w->ip[k] = fr[1];
	w->nr++;
	/* the caller's record lies above this one */
	if (fr[0] <= w->fp)
		return 1;
	w->fp = fr[0];
	return 0;
}

/* ip, sp, bp: the task's saved user registers. */
static __always_inline __u64 ss_ustack_walk(__u64 ip, __u64 sp, __u64 bp, __u32 tgid,
					    bool *written)
{
	struct ss_uwalk w;
	__u32 zero = 0;

	*written = false;
	w.b = bpf_map_lookup_elem(&stack_buf, &zero);
	if (!w.b || !ip)
		return 0;
	w.b->ip[0] = ip;
	w.b->fp = bp;
	w.b->sp = sp;
	w.b->nr = 1;
	bpf_loop(SS_STACK_MAX_DEPTH, ss_uwalk_step, &w, 0);
	return ss_stack_commit(w.b, w.b->nr, 0, tgid, written);
}

/* The user stack of current t (at a tracepoint: its saved registers). */
static __always_inline __u64 ss_ustack(void *ctx, struct task_struct *t, bool *written)
{
#if defined(__TARGET_ARCH_x86)
	struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(t);

	/* 64-bit code only (cs 0x33): records of 32-bit code are smaller */
	if (!r || r->cs != 0x33)
		return 0;
	return ss_ustack_walk(r->ip, r->sp, r->bp, t->tgid, written);
#else
	return ss_stack_take(ctx, t->tgid, true, written);
#endif
}

/*
 * Kernel stacks cost most of all: an unwind of some 10-20 frames took about
 * 3.5 us in the development VM, for a task that blocks at the same few
 * places over and over. So a task remembers its last kernel stacks, each
 * with where its return addresses lie on the task's stack: found once,
 * after a walk, by looking up the walk's addresses in the stack's memory
 * (from the outermost frame in, each below the last). The next time, the
 * words at those places are read again: the same return addresses at the
 * same places are the same frames (the unwinder goes from one to the next
 * by the same rules), so the id is reused without a walk. Places count
 * from the tracepoint's arguments (ctx); a frame may also be found where
 * it was counted from the top of the stack instead: a syscall's entry
 * moves the frames below it by a random offset at each call
 * (randomize_kstack_offset), the ones above stay. The innermost frames (the BPF program and the tracepoint
 * code, below the tracepoint's arguments) are not on the part read; they
 * are the same for one program. A stack whose addresses are not all found
 * is not remembered. x86_64 only; elsewhere every stack is walked.
 */
#define SS_KRAW_WORDS	512	/* deeper stacks are walked each time */
#define SS_KCACHE	4	/* stacks remembered per task */
#define SS_KPOS		24	/* frames checked (deeper: not remembered) */
#define SS_KSKIP	4	/* innermost frames that may lie below ctx */

struct ss_kent {
	__u64 id;		/* 0: free */
	__u64 val[SS_KPOS];	/* the return addresses */
	__u16 pos[SS_KPOS];	/* where: word index from ctx */
	__u16 depth;		/* words between ctx and the user registers */
	__u16 npos;
	__u32 pad;
};

struct ss_kcache {
	struct ss_kent e[SS_KCACHE];
	__u32 next;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ss_kcache);
} stack_kcache SEC(".maps");

struct ss_kraw {
	__u64 w[SS_KRAW_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ss_kraw);
} stack_kraw SEC(".maps");

/* The words of t's kernel stack from ctx up to its saved user registers,
 * into raw; their count, or 0 (not on the task stack, too deep, not
 * x86_64). */
static __always_inline int ss_kraw_read(void *ctx, struct task_struct *t,
					struct ss_kraw *raw)
{
#if defined(__TARGET_ARCH_x86)
	__u64 at = 0, top = ss_task_stack(t) + SS_THREAD_SIZE - sizeof(struct pt_regs);
	__u64 sz;

	bpf_probe_read_kernel(&at, sizeof(at), &ctx);
	if (at >= top || top - at > sizeof(raw->w))
		return 0;
	sz = (top - at) & ~7ull;
	if (!sz || sz > sizeof(raw->w) || bpf_probe_read_kernel(raw->w, sz, (void *)at))
		return 0;
	return sz / 8;
#else
	return 0;
#endif
}

/* Are the return addresses of e where they were (from ctx, or from the
 * top of the stack)? */
static __always_inline bool ss_kent_match(const struct ss_kent *e,
					  const struct ss_kraw *raw, int n)
{
	int delta = n - e->depth;

	if (!e->id || !e->npos)
		return false;
	for (int i = 0; i < SS_KPOS; i++) {
		__u64 p, q;
		bool ok = false;

		if (i >= e->npos)
			break;
		p = e->pos[i];
		q = (__u32)(p + delta);
		if (p < (__u64)n) {
			SS_MASK(p, 511);	/* SS_KRAW_WORDS - 1 */
			ok = raw->w[p] == e->val[i];
		}
		if (!ok && q < (__u64)n) {
			SS_MASK(q, 511);
			ok = raw->w[q] == e->val[i];
		}
		if (!ok)
			return false;
	}
	return true;
}

struct ss_fill_ctx {
	struct ss_kent *e;
	const struct ss_kraw *raw;
	const struct ss_stack_buf *b;
	__u32 i;		/* frame looked for; wraps past frame 0 */
	__u32 found;
	int n;
};

/* One word of the stack, from the outermost down (bpf_loop: a loop with a
 * state of its own would make the verifier walk every path of it). */
static long ss_fill_step(__u64 idx, void *data)
{
	struct ss_fill_ctx *f = data;
	__u64 j = f->n - 1 - idx, k = f->i, p = f->found;

	if (j >= SS_KRAW_WORDS || k >= SS_STACK_MAX_DEPTH || p >= SS_KPOS)
		return 1;
	if (f->raw->w[j] == f->b->ip[k]) {
		f->e->pos[p] = j;
		f->e->val[p] = f->b->ip[k];
		f->found++;
		f->i--;
	}
	return 0;
}

/* Where the frames of the stack just walked (in b) lie in raw: into e;
 * false when they are not all there. */
static __always_inline bool ss_kent_fill(struct ss_kent *e, const struct ss_kraw *raw,
					 int n, const struct ss_stack_buf *b)
{
	struct ss_fill_ctx f = { e, raw, b, b->s.nr - 1, 0, n };

	if (b->s.nr > SS_KPOS + SS_KSKIP || b->s.nr < 1 || n < 1 || n > SS_KRAW_WORDS)
		return false;
	bpf_loop(n, ss_fill_step, &f, 0);
	/* the frames not found must be the innermost few only */
	if (f.i + 1 > SS_KSKIP || !f.found)
		return false;
	e->npos = f.found;
	e->depth = n;
	return true;
}

static __always_inline __u64 ss_kstack(void *ctx, struct task_struct *t)
{
	struct ss_kcache *c = NULL;
	struct ss_stack_buf *b;
	struct ss_kraw *raw;
	bool written = false;
	__u32 zero = 0;
	__u64 id;
	int n = 0;

	raw = bpf_map_lookup_elem(&stack_kraw, &zero);
	if (raw)
		n = ss_kraw_read(ctx, t, raw);
	if (n) {
		c = bpf_task_storage_get(&stack_kcache, t, 0,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
		for (int k = 0; c && k < SS_KCACHE; k++) {
			struct ss_kent *e = &c->e[k];

			if (ss_kent_match(e, raw, n))
				return e->id;
		}
	}
	id = ss_stack_take(ctx, 0, false, &written);
	b = bpf_map_lookup_elem(&stack_buf, &zero);
	if (c && raw && b && id && written && b->s.id == id) {
		struct ss_kent *e = &c->e[c->next++ % SS_KCACHE];

		e->id = 0;
		if (ss_kent_fill(e, raw, n, b))
			e->id = id;
	}
	return id;
}

/* Kernel and user stacks of the current task t (user: not for kernel
 * threads, nor in interrupt context). */
static __always_inline void ss_stacks_current(void *ctx, struct task_struct *t,
					      struct ss_stack_ids *ids, bool in_irq)
{
	bool written;

	ids->kstack = ss_kstack(ctx, t);
	ids->ustack = 0;
	if (!(t->flags & 0x00200000 /* PF_KTHREAD */) && !in_irq)
		ids->ustack = ss_ustack(ctx, t, &written);
}

#endif
