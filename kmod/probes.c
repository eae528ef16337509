// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoint probes. Each writes the record bpf/sched.bpf.c writes for the
 * same tracepoint, field for field, so both backends give the same trace;
 * the one deliberate difference is ss_switch.prev_state, taken from the
 * tracepoint's argument where the kernel has it (see compat.h).
 * The probes run under the scheduler's locks: they never sleep and never
 * wake anyone directly (ss_ring_emit defers that to irq_work).
 */
#include <linux/binfmts.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/mm_types.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <asm/syscall.h>

#include "compat.h"
#include "ss_kmod.h"

static u8 ss_prio8(struct task_struct *t)
{
	int prio = t->prio;

	return prio < 0 || prio > 254 ? 255 : prio;
}

/* Whether the kernel switches address spaces: it does not when prev's
 * active_mm is next's mm (threads of one process). */
static u8 ss_classify(struct task_struct *prev, struct task_struct *next)
{
	if (prev->pid == 0)
		return SS_CLASS_FROM_IDLE;
	if (next->pid == 0)
		return SS_CLASS_TO_IDLE;
	if ((prev->flags | next->flags) & PF_KTHREAD)
		return SS_CLASS_KTHREAD;
	if (prev->active_mm == next->mm)
		return SS_CLASS_THREAD;
	return SS_CLASS_PROCESS;
}

/* Called with interrupts off and the run queue locked. */
static void ss_on_switch(SS_TP_SWITCH_PROTO)
{
	struct ss_cpu *c = this_cpu_ptr(&ss_cpus);
	struct ss_session *s = data;
	bool next_traced = ss_traced(s, next->tgid);
	struct ss_switch e = {};

	c->switch_traced = false;
	c->switch_in_ts = 0;
	if (!next_traced && !ss_traced(s, prev->tgid))
		return;
	e.prev_tid = prev->pid;
	e.prev_tgid = prev->tgid;
	e.next_tid = next->pid;
	e.next_tgid = next->tgid;
	e.prev_state = ss_switch_prev_state(prev);
	e.prev_prio = ss_prio8(prev);
	e.next_prio = ss_prio8(next);
	e.cls = ss_classify(prev, next);
	e.flags = preempt ? SS_SW_PREEMPT : 0;
	c->switches[e.cls]++;
	if (!ss_ring_emit_irqoff(s, &e, SS_EV_SWITCH, sizeof(e)))
		return;
	c->switch_traced = true;
	if ((s->flags & SS_KMOD_RETUSER) && next_traced && e.next_tid)
		c->switch_in_ts = e.hdr.ts;
}

static void ss_on_wake(struct ss_session *s, struct task_struct *p, u16 type)
{
	struct ss_wakeup e = {};

	if (!ss_traced(s, p->tgid))
		return;
	e.tid = p->pid;
	e.tgid = p->tgid;
	e.waker_tid = current->pid;
	e.waker_tgid = current->tgid;
	e.target_cpu = task_cpu(p);
	e.prio = ss_prio8(p);
	ss_ring_emit(s, &e, type, sizeof(e));
}

static void ss_on_waking(void *data, struct task_struct *p)
{
	ss_on_wake(data, p, SS_EV_WAKING);
}

static void ss_on_wakeup(void *data, struct task_struct *p)
{
	ss_on_wake(data, p, SS_EV_WAKEUP);
}

static void ss_on_wakeup_new(void *data, struct task_struct *p)
{
	ss_on_wake(data, p, SS_EV_WAKEUP_NEW);
}

/* The new task cannot run before this returns, so a traced parent's child
 * is in the filter before its first switch. */
static void ss_on_newtask(void *data, struct task_struct *task,
			  ss_clone_flags_t clone_flags)
{
	struct ss_session *s = data;
	struct ss_newtask e = {};

	if (!ss_traced(s, current->tgid))
		return;
	if (!READ_ONCE(s->all) && !(clone_flags & CLONE_THREAD))
		ss_filter_add(s, task->tgid);
	e.parent_tid = current->pid;
	e.parent_tgid = current->tgid;
	e.tid = task->pid;
	e.tgid = task->tgid;
	e.clone_flags = clone_flags;
	strscpy_pad(e.comm, task->comm, sizeof(e.comm));
	ss_ring_emit(s, &e, SS_EV_NEWTASK, sizeof(e));
}

/* Is this the first exec of the file by a traced process? Linear probing
 * over a bounded stretch: when the set is too full to say, the answer is
 * no (the process is not stopped; its coroutine probes may come late). */
static bool ss_first_exec(struct ss_session *s, struct inode *ino)
{
	u64 dev = ino->i_sb->s_dev, nr = ino->i_ino;
	u32 mask = (1u << SS_EXE_BITS) - 1;
	u32 h = hash_64(dev ^ (nr * GOLDEN_RATIO_64), SS_EXE_BITS);
	bool first = false;
	unsigned long flags;
	int i;

	if (!nr)
		return false;
	spin_lock_irqsave(&s->exe_lock, flags);
	for (i = 0; i < 64; i++, h = (h + 1) & mask) {
		struct ss_exe *x = &s->exe_seen[h];

		if (!x->ino) {
			x->dev = dev;
			x->ino = nr;
			first = true;
			break;
		}
		if (x->dev == dev && x->ino == nr)
			break;
	}
	spin_unlock_irqrestore(&s->exe_lock, flags);
	return first;
}

static void ss_on_exec(void *data, struct task_struct *p, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	struct ss_session *s = data;
	struct ss_exec e = {};

	if (!ss_traced(s, p->tgid))
		return;
	e.tid = p->pid;
	e.tgid = p->tgid;
	e.old_tid = old_pid;
	strscpy_pad(e.comm, p->comm, sizeof(e.comm));
	strscpy_pad(e.filename, bprm->filename, sizeof(e.filename));
	/*
	 * The stop is sent before the record can be read, so the reader's
	 * SIGCONT always comes after it; if the record is dropped, SIGCONT
	 * cancels the stop still pending (the process is in execve).
	 */
	if ((s->flags & SS_KMOD_STOP_NEW_EXE) &&
	    ss_first_exec(s, file_inode(bprm->file)) &&
	    !send_sig(SIGSTOP, p, 1))
		e.flags = SS_EXEC_STOPPED;
	if (!ss_ring_emit(s, &e, SS_EV_EXEC, sizeof(e)) &&
	    (e.flags & SS_EXEC_STOPPED))
		send_sig(SIGCONT, p, 1);
	/* The reader attaches coroutine probes to the new program: now,
	 * while it is still in its dynamic loader. */
	ss_ring_wake(s);
}

static void ss_on_exit(SS_TP_EXIT_PROTO)
{
	struct ss_session *s = data;
	struct ss_exit e = {};

	if (!ss_traced(s, p->tgid))
		return;
	e.tid = p->pid;
	e.tgid = p->tgid;
	e.exit_code = p->exit_code;
	e.flags = atomic_read(&p->signal->live) == 0 ? SS_EXIT_GROUP_DEAD : 0;
	ss_ring_emit(s, &e, SS_EV_EXIT, sizeof(e));
}

static void ss_on_rename(void *data, struct task_struct *task,
			 const char *comm)
{
	struct ss_session *s = data;
	struct ss_comm e = {};

	if (!ss_traced(s, task->tgid))
		return;
	e.tid = task->pid;
	e.tgid = task->tgid;
	strscpy_pad(e.comm, comm, sizeof(e.comm));
	ss_ring_emit(s, &e, SS_EV_COMM, sizeof(e));
}

static void ss_on_migrate(void *data, struct task_struct *p, int dest_cpu)
{
	struct ss_session *s = data;
	struct ss_migrate e = {};

	if (!ss_traced(s, p->tgid))
		return;
	e.tid = p->pid;
	e.tgid = p->tgid;
	e.orig_cpu = task_cpu(p);
	e.dest_cpu = dest_cpu;
	ss_ring_emit(s, &e, SS_EV_MIGRATE, sizeof(e));
}

/* Ends the switch-in path of the task the last switch here brought in.
 * Runs at every syscall exit on the system: the common case is one
 * per-CPU load. */
static void ss_on_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	struct ss_session *s = data;
	struct ss_retuser e = {};
	unsigned long flags;
	struct ss_cpu *c;

	if (!this_cpu_read(ss_cpus.switch_in_ts))
		return;
	local_irq_save(flags);
	c = this_cpu_ptr(&ss_cpus);
	e.switch_ts = c->switch_in_ts;
	c->switch_in_ts = 0;
	if (e.switch_ts) {
		e.tid = current->pid;
		e.tgid = current->tgid;
		e.nr = syscall_get_nr(current, regs);
		ss_ring_emit_irqoff(s, &e, SS_EV_RETUSER, sizeof(e));
	}
	local_irq_restore(flags);
}

static void ss_on_sys_enter(void *data, struct pt_regs *regs, long id)
{
	struct ss_session *s = data;
	struct ss_syscall e = {};

	if (!ss_traced(s, current->tgid))
		return;
	e.tid = current->pid;
	e.tgid = current->tgid;
	e.nr = id;
	e.ip = instruction_pointer(regs);
	ss_ring_emit(s, &e, SS_EV_SYSCALL, sizeof(e));
}

static void ss_on_fault(void *data, unsigned long address,
			struct pt_regs *regs, unsigned long error_code)
{
	struct ss_session *s = data;
	struct ss_fault e = {};

	if (!ss_traced(s, current->tgid))
		return;
	e.tid = current->pid;
	e.tgid = current->tgid;
	e.addr = address;
	e.ip = instruction_pointer(regs);
	e.error_code = error_code;
	ss_ring_emit(s, &e, SS_EV_FAULT, sizeof(e));
}

/* switch_mm reports each address-space switch here (x86), right after the
 * sched_switch of the same CPU. */
static void ss_on_tlb_flush(void *data, int reason, unsigned long pages)
{
	struct ss_session *s = data;
	struct ss_tlb e = {};

	if (reason != TLB_FLUSH_ON_TASK_SWITCH ||
	    !this_cpu_read(ss_cpus.switch_traced))
		return;
	e.tid = current->pid;
	e.reason = reason;
	e.pages = pages;
	ss_ring_emit(s, &e, SS_EV_TLB, sizeof(e));
}

struct ss_tp {
	const char *name;
	void *probe;
	u32 needs;		/* SS_KMOD_* flag that enables it (0: always) */
	bool optional;		/* some kernels or architectures lack it */
	struct tracepoint *tp;	/* found at load */
	bool on;		/* registered */
};

static struct ss_tp ss_tps[] = {
	{ "sched_switch", ss_on_switch },
	{ "sched_waking", ss_on_waking },
	{ "sched_wakeup", ss_on_wakeup, SS_KMOD_WAKEUP },
	{ "sched_wakeup_new", ss_on_wakeup_new },
	{ "task_newtask", ss_on_newtask },
	{ "sched_process_exec", ss_on_exec },
	{ "sched_process_exit", ss_on_exit },
	{ "task_rename", ss_on_rename, 0, true },
	{ "sched_migrate_task", ss_on_migrate, 0, true },
	{ "tlb_flush", ss_on_tlb_flush, 0, true },
	{ "sys_exit", ss_on_sys_exit, SS_KMOD_RETUSER, true },
	{ "sys_enter", ss_on_sys_enter, SS_KMOD_SYSCALLS, true },
	{ "page_fault_user", ss_on_fault, SS_KMOD_SYSCALLS, true },
};

static void ss_tp_lookup(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ss_tps); i++)
		if (!strcmp(tp->name, ss_tps[i].name))
			ss_tps[i].tp = tp;
}

int ss_probes_init(void)
{
	int i;

	for_each_kernel_tracepoint(ss_tp_lookup, NULL);
	for (i = 0; i < ARRAY_SIZE(ss_tps); i++) {
		if (!ss_tps[i].tp && !ss_tps[i].optional) {
			pr_err("switchscope: this kernel has no tracepoint %s\n",
			       ss_tps[i].name);
			return -ENOENT;
		}
	}
	return 0;
}

int ss_probes_start(struct ss_session *s)
{
	int cpu, i, err;

	for_each_possible_cpu(cpu) {
		per_cpu_ptr(&ss_cpus, cpu)->switch_traced = false;
		per_cpu_ptr(&ss_cpus, cpu)->switch_in_ts = 0;
	}
	for (i = 0; i < ARRAY_SIZE(ss_tps); i++) {
		struct ss_tp *t = &ss_tps[i];

		if (!t->tp || (t->needs & ~s->flags))
			continue;
		err = tracepoint_probe_register(t->tp, t->probe, s);
		if (err) {
			pr_err("switchscope: cannot attach to %s: %d\n",
			       t->name, err);
			ss_probes_stop(s);
			return err;
		}
		t->on = true;
	}
	return 0;
}

/* After this returns no probe runs or will run, and no wakeup is queued. */
void ss_probes_stop(struct ss_session *s)
{
	int i;

	for (i = ARRAY_SIZE(ss_tps) - 1; i >= 0; i--) {
		struct ss_tp *t = &ss_tps[i];

		if (!t->on)
			continue;
		WARN_ON_ONCE(tracepoint_probe_unregister(t->tp, t->probe, s));
		t->on = false;
	}
	tracepoint_synchronize_unregister();
	irq_work_sync(&s->wake_work);
}
