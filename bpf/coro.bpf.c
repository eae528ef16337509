// SPDX-License-Identifier: GPL-2.0
/* The coroutine probes (provider "coro", docs/PROBES.md), into the same ring
 * buffer as the scheduler events. Attached per binary for every process;
 * only traced processes get records. Paired probes only: a uretprobe would
 * break on the stack switch. */
#include "common.bpf.h"
#include "stacks.bpf.h"
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "GPL";

#define NREGS	(sizeof(struct pt_regs) / 8)

/* Register slot i of the probe's registers. A context load needs a
 * constant offset, and clang would fold loads from constant offsets back
 * into one load from a computed address: each slot is its own asm load.
 * One branch per slot costs less than copying the registers out with a
 * helper. The slots cover every register an operand can name: x86_64 has
 * 21, arm64 puts x0-x30, sp, pc and pstate first. */
static __always_inline __u64 reg_at(struct pt_regs *ctx, __u32 i)
{
	__u64 x = 0;

	if (i >= NREGS)
		return 0;
	switch (i) {
#define SLOT(n, off)							\
	case n:								\
		asm volatile("%0 = *(u64 *)(%1 + " #off ")"		\
			     : "=r"(x) : "r"(ctx));			\
		break;
	SLOT(0, 0) SLOT(1, 8) SLOT(2, 16) SLOT(3, 24) SLOT(4, 32)
	SLOT(5, 40) SLOT(6, 48) SLOT(7, 56) SLOT(8, 64) SLOT(9, 72)
	SLOT(10, 80) SLOT(11, 88) SLOT(12, 96) SLOT(13, 104) SLOT(14, 112)
	SLOT(15, 120) SLOT(16, 128) SLOT(17, 136) SLOT(18, 144)
	SLOT(19, 152) SLOT(20, 160) SLOT(21, 168) SLOT(22, 176)
	SLOT(23, 184) SLOT(24, 192) SLOT(25, 200) SLOT(26, 208)
	SLOT(27, 216) SLOT(28, 224) SLOT(29, 232) SLOT(30, 240)
	SLOT(31, 248) SLOT(32, 256) SLOT(33, 264)
#undef SLOT
	}
	return x;
}

/*
 * The first n arguments of the probe that fired, into v (0 past its
 * count). One spec lookup for all of them, registers read in place:
 * bpf_usdt_arg() looks the spec up and copies a register out with a
 * helper per argument, which made it most of the cost of a traced
 * coroutine switch. The spec is libbpf's, filled at attach: a constant,
 * a register, or a register plus offset to read from.
 */
static __always_inline int usdt_args(struct pt_regs *ctx, __u64 *v, int n)
{
	struct __bpf_usdt_spec *spec;
	int id = __bpf_usdt_spec_id(ctx), cnt;

	for (int i = 0; i < n; i++)
		v[i] = 0;
	if (id < 0)
		return -1;
	spec = bpf_map_lookup_elem(&__bpf_usdt_specs, &id);
	if (!spec)
		return -1;
	cnt = spec->arg_cnt;
	for (int i = 0; i < n && i < cnt; i++) {
		const struct __bpf_usdt_arg_spec *a = &spec->args[i];
		__u32 shift = a->arg_bitshift & 63;
		__u64 x = 0;

		if (a->arg_type == BPF_USDT_ARG_CONST)
			x = a->val_off;
		else if (a->arg_type == BPF_USDT_ARG_REG)
			x = reg_at(ctx, (__u16)a->reg_off / 8);
		else if (a->arg_type == BPF_USDT_ARG_REG_DEREF)
			bpf_probe_read_user(&x, sizeof(x),
					    (void *)(reg_at(ctx, (__u16)a->reg_off / 8) +
						     a->val_off));
		/* narrower than 8 bytes: drop the garbage above, sign-extend */
		x <<= shift;
		v[i] = a->arg_signed ? (__u64)((__s64)x >> shift) : x >> shift;
	}
	return cnt;
}

/* What every coroutine record begins with. */
struct coro_head {
	struct ss_hdr hdr;
	__u32 tid;
	__u32 tgid;
};

#define SAME_HEAD(t)							\
	_Static_assert(__builtin_offsetof(struct t, tid) == 16 &&	\
		       __builtin_offsetof(struct t, tgid) == 20, #t " head")
SAME_HEAD(ss_coro_create);
SAME_HEAD(ss_coro_switch);
SAME_HEAD(ss_coro_park);
SAME_HEAD(ss_coro_ready);
SAME_HEAD(ss_coro_exit);
SAME_HEAD(ss_coro_stats);
SAME_HEAD(ss_coro_ring);

/* A record of type for a traced process, its head filled, and the probe's
 * first n arguments in a; NULL when the process is not traced or the ring
 * is full. */
static __always_inline void *start(struct pt_regs *ctx, __u32 type, __u32 size,
				   __u64 *a, int n)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct coro_head *e;

	if (!traced(id >> 32) || !cg_match(bpf_get_current_task_btf()))
		return NULL;
	e = ss_reserve(type, size);
	if (!e)
		return NULL;
	e->tid = (__u32)id;
	e->tgid = id >> 32;
	usdt_args(ctx, a, n);
	return e;
}

SEC("usdt")
int on_coro_create(struct pt_regs *ctx)
{
	struct ss_coro_create *e;
	__u64 a[3];

	e = start(ctx, SS_EV_CORO_CREATE, sizeof(*e), a, 3);
	if (!e)
		return 0;
	e->id = a[0];
	e->entry = a[1];
	e->stack_size = a[2];
	ss_submit(e);
	return 0;
}

SEC("usdt")
int on_coro_switch(struct pt_regs *ctx)
{
	struct ss_coro_switch *e;
	__u64 a[4];

	/* start_ns, the fourth, is optional in the probe ABI: 0 if absent */
	e = start(ctx, SS_EV_CORO_SWITCH, sizeof(*e), a, 4);
	if (!e)
		return 0;
	e->from = a[0];
	e->to = a[1];
	e->dur_ns = a[2];
	e->start_ns = a[3];
	ss_submit(e);
	return 0;
}

SEC("usdt")
int on_coro_park(struct pt_regs *ctx)
{
	struct ss_stack_ids ids = {};
	struct ss_coro_park *e;
	__u64 a[2];

	/* the parking coroutine's user stack, written before the record */
	bool written;

	if (want_stacks && traced(bpf_get_current_pid_tgid() >> 32)) {
#if defined(__TARGET_ARCH_x86)
		/* the probe's registers are the coroutine's own */
		ids.ustack = ss_ustack_walk(PT_REGS_IP(ctx), PT_REGS_SP(ctx), PT_REGS_FP(ctx),
					    bpf_get_current_pid_tgid() >> 32, &written);
#else
		ids.ustack = ss_stack_take(ctx, bpf_get_current_pid_tgid() >> 32, true,
					   &written);
#endif
	}
	e = start(ctx, SS_EV_CORO_PARK, sizeof(*e) + (want_stacks ? sizeof(ids) : 0), a, 2);
	if (!e)
		return 0;
	e->id = a[0];
	e->reason = a[1];
	e->pad = 0;
	if (want_stacks)
		*(struct ss_stack_ids *)(e + 1) = ids;
	ss_submit(e);
	return 0;
}

SEC("usdt")
int on_coro_ready(struct pt_regs *ctx)
{
	struct ss_coro_ready *e;
	__u64 a[2];

	e = start(ctx, SS_EV_CORO_READY, sizeof(*e), a, 2);
	if (!e)
		return 0;
	e->id = a[0];
	e->by = a[1];
	ss_submit(e);
	return 0;
}

SEC("usdt")
int on_coro_exit(struct pt_regs *ctx)
{
	struct ss_coro_exit *e;
	__u64 a[1];

	e = start(ctx, SS_EV_CORO_EXIT, sizeof(*e), a, 1);
	if (!e)
		return 0;
	e->id = a[0];
	ss_submit(e);
	return 0;
}

SEC("usdt")
int on_coro_stats(struct pt_regs *ctx)
{
	struct ss_coro_stats *e;
	__u64 a[3];

	/* the third, shared_saved, is optional: 0 if absent */
	e = start(ctx, SS_EV_CORO_STATS, sizeof(*e), a, 3);
	if (!e)
		return 0;
	e->switches = a[0];
	e->switch_ns = a[1];
	e->shared_saved = a[2];
	ss_submit(e);
	return 0;
}

/* The thread announces its trace ring: the recorder maps it (user/record/ring_read.c). */
SEC("usdt")
int on_coro_ring(struct pt_regs *ctx)
{
	struct ss_coro_ring *e;
	__u64 a[2];

	e = start(ctx, SS_EV_CORO_RING, sizeof(*e), a, 2);
	if (!e)
		return 0;
	e->fd = a[0];
	e->bytes = a[1];
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

/*
 * Libraries loaded later (dlopen). The dynamic loader calls
 * _dl_debug_state() after each change of its link map, _r_debug.r_state
 * saying which (<link.h>, the protocol debuggers use): RT_ADD before it
 * maps new objects, RT_CONSISTENT once they are mapped, before they are
 * relocated and before any of their code runs. At the RT_CONSISTENT of a
 * dlopen, a traced process is stopped (SIGSTOP, as at exec) and the
 * recorder told; it attaches the probes of what is mapped now, then sends
 * SIGCONT. The loader's start after an exec is the exec path's: its
 * RT_CONSISTENT only tells (a static program has none, and its first
 * dlopen is then told, not stopped). The cookie of the uprobe is the
 * distance from _dl_debug_state to _r_debug in the loader's file.
 */
/* Off with -a: there the recorder is told only (stopping any job of any
 * shell would break its job control). */
const volatile bool stop_on_dlopen = false;

#define DL_SIGSTOP	19
#define RT_CONSISTENT	0
#define RT_ADD		1
/* struct r_debug: int r_version, (pad), r_map, r_brk, then r_state */
#define R_STATE_OFF	24

enum dl_phase { DL_STARTUP = 1, DL_ADDING = 2 };

/* Traced processes in their loader's start (after exec) or in a dlopen
 * (RT_ADD seen); no entry: neither. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} dl_phase SEC(".maps");

/* To the recorder, one __u64 per event: the tgid, | 1ull << 32 when the
 * process was stopped and waits for SIGCONT (user/record/coro_probes.c). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} dl_events SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec_dl, struct task_struct *p)
{
	__u32 tgid = p->tgid;
	__u8 v = DL_STARTUP;

	if (traced(tgid))
		bpf_map_update_elem(&dl_phase, &tgid, &v, BPF_ANY);
	return 0;
}

SEC("uprobe")
int on_dl_debug_state(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, state = 0;
	__u64 r_debug = PT_REGS_IP(ctx) + bpf_get_attach_cookie(ctx);
	bool stop;
	__u8 *ph, v = DL_ADDING;
	__u64 *n;

	if (!traced(tgid) ||
	    bpf_probe_read_user(&state, sizeof(state), (void *)(r_debug + R_STATE_OFF)))
		return 0;
	ph = bpf_map_lookup_elem(&dl_phase, &tgid);
	if (state == RT_ADD) {
		if (!ph)
			bpf_map_update_elem(&dl_phase, &tgid, &v, BPF_ANY);
		return 0;
	}
	if (state != RT_CONSISTENT || !ph)
		return 0;	/* a dlclose (RT_DELETE) maps nothing */
	stop = *ph == DL_ADDING && stop_on_dlopen;
	bpf_map_delete_elem(&dl_phase, &tgid);
	n = bpf_ringbuf_reserve(&dl_events, sizeof(*n), 0);
	if (!n)
		return 0;	/* nobody would continue it: do not stop */
	if (stop && bpf_send_signal(DL_SIGSTOP))
		stop = false;
	*n = tgid | (__u64)stop << 32;
	bpf_ringbuf_submit(n, BPF_RB_FORCE_WAKEUP);
	/* The recorder sleeps on the events ring: a discarded sample wakes
	 * it and is no record (readers skip it), so the hold is short. */
	n = bpf_ringbuf_reserve(&events, sizeof(*n), 0);
	if (n)
		bpf_ringbuf_discard(n, BPF_RB_FORCE_WAKEUP);
	return 0;
}
