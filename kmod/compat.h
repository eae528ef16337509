/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference the module depends on, and nothing else.
 * Tracepoint probes are called through a pointer of the tracepoint's own
 * type (checked by kCFI where it is enabled), so each prototype follows the
 * kernel it is built for.
 */
#ifndef SS_KMOD_COMPAT_H
#define SS_KMOD_COMPAT_H

#include <linux/sched.h>
#include <linux/version.h>

/* task_struct::state became __state in 5.14 ("sched: Change
 * task_struct::state"); older kernels are not supported. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 14, 0)
#error "switchscope.ko needs Linux 5.14 or later"
#endif

static inline unsigned int ss_task_state(struct task_struct *t)
{
	return READ_ONCE(t->__state);
}

/* 5.18 appended prev_state to sched_switch ("sched/tracing: Append
 * prev_state to tp args instead"): the state the scheduler acted on. The
 * task's own field may already say TASK_WAKING or TASK_RUNNING by the time
 * a probe reads it, when another CPU wakes the task as it leaves. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 18, 0)
#define SS_TP_SWITCH_PROTO	void *data, bool preempt,		\
				struct task_struct *prev,		\
				struct task_struct *next,		\
				unsigned int prev_state
#define ss_switch_prev_state(prev)	(prev_state)
#else
#define SS_TP_SWITCH_PROTO	void *data, bool preempt,		\
				struct task_struct *prev,		\
				struct task_struct *next
#define ss_switch_prev_state(prev)	ss_task_state(prev)
#endif

/* 6.16 moved sched_process_exit before exit_mm() and gave it group_dead
 * ("exit: move and extend sched_process_exit() tracepoint"). The signal's
 * live count says the same on every version, so that is what is read. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define SS_TP_EXIT_PROTO	void *data, struct task_struct *p,	\
				bool group_dead
#else
#define SS_TP_EXIT_PROTO	void *data, struct task_struct *p
#endif

/* task_newtask's clone_flags is u64 from 6.18 on (seen in 6.18's BTF),
 * unsigned long before: the same width on 64-bit, another type for kCFI. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
typedef u64 ss_clone_flags_t;
#else
typedef unsigned long ss_clone_flags_t;
#endif

#endif /* SS_KMOD_COMPAT_H */
