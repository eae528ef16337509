// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel floor of a context switch: two kernel threads bound to one
 * CPU hand a token back and forth. Each round trip is two switches with no
 * user/kernel transition and no address-space switch (kernel threads
 * borrow the active mm): only wakeup, schedule and the register switch.
 */
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/timekeeping.h>

#include "ss_kmod.h"

struct ss_floor {
	struct completion ping, pong, done;
	u32 n;
	u64 elapsed_ns;
};

static int ss_floor_pong(void *arg)
{
	struct ss_floor *f = arg;
	u32 i;

	for (i = 0; i < f->n; i++) {
		wait_for_completion(&f->ping);
		complete(&f->pong);
	}
	return 0;
}

static int ss_floor_ping(void *arg)
{
	struct ss_floor *f = arg;
	u64 t0 = ktime_get_ns();
	u32 i;

	for (i = 0; i < f->n; i++) {
		complete(&f->ping);
		wait_for_completion(&f->pong);
	}
	f->elapsed_ns = ktime_get_ns() - t0;
	complete(&f->done);
	return 0;
}

/* Bounded by SS_KMOD_FLOOR_MAX round trips: waits uninterruptibly. */
int ss_floor_run(u32 cpu, u32 n, u64 *elapsed_ns)
{
	struct task_struct *ping, *pong;
	struct ss_floor f = { .n = n };

	int err = 0;

	/* The CPU stays online until both threads are gone. */
	cpus_read_lock();
	if (cpu >= nr_cpu_ids || !cpu_online(cpu)) {
		err = -EINVAL;
		goto out;
	}
	init_completion(&f.ping);
	init_completion(&f.pong);
	init_completion(&f.done);
	pong = kthread_create(ss_floor_pong, &f, "ss_floor_pong/%u", cpu);
	if (IS_ERR(pong)) {
		err = PTR_ERR(pong);
		goto out;
	}
	ping = kthread_create(ss_floor_ping, &f, "ss_floor_ping/%u", cpu);
	if (IS_ERR(ping)) {
		kthread_stop(pong);
		err = PTR_ERR(ping);
		goto out;
	}
	/* Both threads return on their own: keep them for kthread_stop(). */
	get_task_struct(ping);
	get_task_struct(pong);
	kthread_bind(ping, cpu);
	kthread_bind(pong, cpu);
	wake_up_process(pong);
	wake_up_process(ping);
	wait_for_completion(&f.done);
	kthread_stop(ping);
	kthread_stop(pong);
	put_task_struct(ping);
	put_task_struct(pong);
	*elapsed_ns = f.elapsed_ns;
out:
	cpus_read_unlock();
	return err;
}
