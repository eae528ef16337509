// SPDX-License-Identifier: GPL-2.0
/* Scheduler events: switches, wakeups, task life cycle, and the kernel
 * entries verify needs. tp_btf only (no kprobes, no fentry). */
#include "common.bpf.h"
#include "stacks.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_KTHREAD	0x00200000
#define TLB_FLUSH_ON_TASK_SWITCH 0

/* The sys_exit that ends a switch-in path is recorded when set. */
const volatile bool want_retuser = false;
/* on_tlb_flush is loaded: remember per CPU whether a switch was traced. */
const volatile bool want_tlb = false;
/* Stop a traced process at its first exec of each file (coroutine probes
 * are attached before it runs). */
const volatile bool stop_new_exe = false;

#define SIGSTOP 19

struct exe_key {
	__u64 dev;
	__u64 ino;
};

/* Files already exec'd by traced processes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct exe_key);
	__type(value, __u8);
} exe_seen SEC(".maps");

/* Switch-in time of a traced task until its next sys_exit (0: none). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} switched_in SEC(".maps");

/* Per CPU: was the switch under way recorded (for its tlb_flush)? */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cpu_switch_traced SEC(".maps");

/* Where the task's CPU lives moved between task_struct::cpu and
 * thread_info::cpu over the years (THREAD_INFO_IN_TASK, bcc5a0a8b4b0, and
 * back); whichever this kernel has is used. */
struct task_struct___cpu {
	unsigned int cpu;
} __attribute__((preserve_access_index));

struct thread_info___cpu {
	__u32 cpu;
} __attribute__((preserve_access_index));

struct task_struct___ti {
	struct thread_info___cpu thread_info;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_cpu(struct task_struct *t)
{
	struct task_struct___cpu *tc = (void *)t;

	if (bpf_core_field_exists(tc->cpu))
		return tc->cpu;
	return ((struct task_struct___ti *)t)->thread_info.cpu;
}

static __always_inline bool is_kthread(struct task_struct *t)
{
	return t->flags & PF_KTHREAD;
}

static __always_inline __u8 prio8(struct task_struct *t)
{
	int prio = t->prio;

	return prio < 0 || prio > 254 ? 255 : prio;
}

/* Whether the kernel will switch address spaces: it skips switch_mm when
 * prev's active_mm is next's mm (threads of one process). */
static __always_inline __u8 classify(struct task_struct *prev,
				     struct task_struct *next)
{
	if (prev->pid == 0)
		return SS_CLASS_FROM_IDLE;
	if (next->pid == 0)
		return SS_CLASS_TO_IDLE;
	if (is_kthread(prev) || is_kthread(next))
		return SS_CLASS_KTHREAD;
	if (prev->active_mm == next->mm)
		return SS_CLASS_THREAD;
	return SS_CLASS_PROCESS;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	__u32 prev_tgid = prev->tgid;
	__u32 next_tgid = next->tgid;
	bool next_traced = traced_task(next, next_tgid);
	struct ss_stack_ids ids = {};
	__u32 zero = 0, *cst = NULL;
	bool prev_traced;
	struct ss_switch *e;

	if (want_tlb) {
		cst = bpf_map_lookup_elem(&cpu_switch_traced, &zero);
		if (cst)
			*cst = 0;
	}
	prev_traced = traced_task(prev, prev_tgid);
	if (!next_traced && !prev_traced)
		return 0;
	/* current is prev here: its stacks at switch-out, written first */
	if (want_stacks && prev_traced && prev->pid)
		ss_stacks_current(ctx, prev, &ids, false);
	e = ss_reserve(SS_EV_SWITCH, sizeof(*e) + (want_stacks ? sizeof(ids) : 0));
	if (!e)
		return 0;
	if (want_stacks)
		*(struct ss_stack_ids *)(e + 1) = ids;
	e->prev_tid = prev->pid;
	e->prev_tgid = prev_tgid;
	e->next_tid = next->pid;
	e->next_tgid = next_tgid;
	e->prev_state = task_state(prev);
	e->prev_prio = prio8(prev);
	e->next_prio = prio8(next);
	e->cls = classify(prev, next);
	e->flags = preempt ? SS_SW_PREEMPT : 0;
	if (cst)
		*cst = 1;
	if (want_retuser && next_traced && e->next_tid) {
		__u64 *in = bpf_task_storage_get(&switched_in, next, 0,
						 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (in)
			*in = e->hdr.ts;
	}
	ss_submit(e);
	return 0;
}

static __always_inline int on_wake(void *ctx, struct task_struct *p, __u32 type)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	bool stacks = want_stacks && type == SS_EV_WAKING;
	struct ss_stack_ids ids = {};
	__u32 tgid = p->tgid;
	struct ss_wakeup *e;

	if (!traced_task(p, tgid))
		return 0;
	/* the waker's stacks: current's (in an interrupt, the kernel's only) */
	if (stacks)
		ss_stacks_current(ctx, cur, &ids, ss_in_irq(ctx, cur));
	e = ss_reserve(type, sizeof(*e) + (stacks ? sizeof(ids) : 0));
	if (!e)
		return 0;
	if (stacks)
		*(struct ss_stack_ids *)(e + 1) = ids;
	e->tid = p->pid;
	e->tgid = tgid;
	e->waker_tid = cur->pid;
	e->waker_tgid = cur->tgid;
	e->target_cpu = task_cpu(p);
	e->prio = prio8(p);
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	ss_submit(e);
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(on_waking, struct task_struct *p)
{
	return on_wake(ctx, p, SS_EV_WAKING);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_wakeup, struct task_struct *p)
{
	return on_wake(ctx, p, SS_EV_WAKEUP);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(on_wakeup_new, struct task_struct *p)
{
	return on_wake(ctx, p, SS_EV_WAKEUP_NEW);
}

/* The new task cannot run before this returns, so a traced parent's child
 * is in the filter before its first switch. */
SEC("tp_btf/task_newtask")
int BPF_PROG(on_newtask, struct task_struct *task, __u64 clone_flags)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	__u32 ptgid = cur->tgid;
	struct ss_newtask *e;
	__u8 one = 1;

	if (!traced(ptgid))
		return 0;
	if (!trace_all && !(clone_flags & SS_CLONE_THREAD)) {
		__u32 child = task->tgid;

		bpf_map_update_elem(&tgids, &child, &one, BPF_ANY);
	}
	/* --cgroup: the child's cgroup is set by now (cgroup_post_fork) and
	 * may differ from the parent's (clone3 CLONE_INTO_CGROUP). */
	if (cg_count) {
		struct cgroup *cg = cg_of(task);

		if (cg_chosen(cg))
			cg_emit(task, cg, SS_CGROUP_FORK | SS_CGROUP_IN, NULL);
		if (!cg_match(cur))
			return 0;
	}
	e = ss_reserve(SS_EV_NEWTASK, sizeof(*e));
	if (!e)
		return 0;
	e->parent_tid = cur->pid;
	e->parent_tgid = ptgid;
	e->tid = task->pid;
	e->tgid = task->tgid;
	e->clone_flags = clone_flags;
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	ss_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid;
	struct ss_exec *e;

	if (!traced_task(p, tgid))
		return 0;
	e = ss_reserve(SS_EV_EXEC, sizeof(*e));
	if (!e)
		return 0;
	e->tid = p->pid;
	e->tgid = tgid;
	e->old_tid = old_pid;
	e->flags = 0;
	if (stop_new_exe) {
		struct inode *ino = bprm->file->f_inode;
		struct exe_key k = { ino->i_sb->s_dev, ino->i_ino };
		__u8 one = 1;

		if (!bpf_map_lookup_elem(&exe_seen, &k) &&
		    bpf_map_update_elem(&exe_seen, &k, &one, BPF_NOEXIST) == 0 &&
		    bpf_send_signal(SIGSTOP) == 0)
			e->flags = SS_EXEC_STOPPED;
	}
	BPF_CORE_READ_STR_INTO(&e->comm, p, comm);
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
				  bprm->filename);
	/* The reader attaches coroutine probes to what was just exec'd: wake
	 * it now, while the new program is still in its dynamic loader. */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid;
	struct ss_exit *e;

	if (!traced_task(p, tgid))
		return 0;
	e = ss_reserve(SS_EV_EXIT, sizeof(*e));
	if (!e)
		return 0;
	e->tid = p->pid;
	e->tgid = tgid;
	e->exit_code = p->exit_code;
	e->flags = p->signal->live.counter == 0 ?
		   SS_EXIT_GROUP_DEAD : 0;
	ss_submit(e);
	return 0;
}

SEC("tp_btf/task_rename")
int BPF_PROG(on_rename, struct task_struct *task, const char *comm)
{
	__u32 tgid = task->tgid;
	struct ss_comm *e;

	if (!traced_task(task, tgid))
		return 0;
	e = ss_reserve(SS_EV_COMM, sizeof(*e));
	if (!e)
		return 0;
	e->tid = task->pid;
	e->tgid = tgid;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm);
	ss_submit(e);
	return 0;
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(on_migrate, struct task_struct *p, int dest_cpu)
{
	__u32 tgid = p->tgid;
	struct ss_migrate *e;

	if (!traced_task(p, tgid))
		return 0;
	e = ss_reserve(SS_EV_MIGRATE, sizeof(*e));
	if (!e)
		return 0;
	e->tid = p->pid;
	e->tgid = tgid;
	e->orig_cpu = task_cpu(p);
	e->dest_cpu = dest_cpu;
	ss_submit(e);
	return 0;
}

static __always_inline __u32 syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	return regs->syscallno;
#else
#error "syscall number register unknown for this architecture"
#endif
}

/* Ends the switch-in path of a task switched in while in a syscall. */
SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct ss_retuser *e;
	__u64 *in, ts;

	in = bpf_task_storage_get(&switched_in, cur, 0, 0);
	if (!in || !*in)
		return 0;
	ts = *in;
	*in = 0;
	e = ss_reserve(SS_EV_RETUSER, sizeof(*e));
	if (!e)
		return 0;
	e->tid = cur->pid;
	e->tgid = cur->tgid;
	e->switch_ts = ts;
	e->nr = syscall_nr(regs);
	e->pad = 0;
	ss_submit(e);
	return 0;
}

/* verify mode: every kernel entry of a traced thread. */
SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	__u32 tgid = cur->tgid;
	struct ss_syscall *e;

	if (!traced_task(cur, tgid))
		return 0;
	e = ss_reserve(SS_EV_SYSCALL, sizeof(*e));
	if (!e)
		return 0;
	e->tid = cur->pid;
	e->tgid = tgid;
	e->nr = id;
	e->pad = 0;
	e->ip = PT_REGS_IP(regs);
	ss_submit(e);
	return 0;
}

/* --cgroup only: a task moved on the unified hierarchy (a write to
 * cgroup.procs or cgroup.threads; the tracepoint fires once the move is
 * done). Moves out of the chosen cgroups are recorded as well as moves in:
 * report must stop counting the task in its old cgroup, and the task may
 * still show up as the other side of a traced switch. */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(on_cgroup_attach, struct cgroup *dst, const char *path,
	     struct task_struct *task, bool threadgroup)
{
	/* a v1 hierarchy's move says nothing of the v2 cgroup */
	if (dst->root != task->cgroups->dfl_cgrp->root)
		return 0;
	if (!traced(task->tgid))
		return 0;
	cg_emit(task, dst, SS_CGROUP_MOVE | (threadgroup ? SS_CGROUP_PROCESS : 0) |
		(cg_chosen(dst) ? SS_CGROUP_IN : 0), path);
	return 0;
}

/* x86 only (exceptions:page_fault_user); left unloaded where absent. */
SEC("tp_btf/page_fault_user")
int BPF_PROG(on_fault, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	__u32 tgid = cur->tgid;
	struct ss_fault *e;

	if (!traced_task(cur, tgid))
		return 0;
	e = ss_reserve(SS_EV_FAULT, sizeof(*e));
	if (!e)
		return 0;
	e->tid = cur->pid;
	e->tgid = tgid;
	e->addr = address;
	e->ip = PT_REGS_IP(regs);
	e->error_code = error_code;
	ss_submit(e);
	return 0;
}

/* x86 only: switch_mm reports every address-space switch here, with
 * pages = 0 when PCID spared the flush and -1 for a full flush. */
SEC("tp_btf/tlb_flush")
int BPF_PROG(on_tlb_flush, int reason, unsigned long pages)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	__u32 zero = 0, *cst;
	struct ss_tlb *e;

	if (reason != TLB_FLUSH_ON_TASK_SWITCH)
		return 0;
	cst = bpf_map_lookup_elem(&cpu_switch_traced, &zero);
	if (!cst || !*cst)
		return 0;
	e = ss_reserve(SS_EV_TLB, sizeof(*e));
	if (!e)
		return 0;
	e->tid = cur->pid;
	e->reason = reason;
	e->pages = pages;
	ss_submit(e);
	return 0;
}
