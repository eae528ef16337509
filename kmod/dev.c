// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/switchscope, one recording session at a time, and /proc/switchscope,
 * the counters of the current (or last) session for anyone to read.
 */
#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "ss_kmod.h"

static atomic_t ss_busy = ATOMIC_INIT(0);	/* a session is open */
static DEFINE_MUTEX(ss_active_lock);		/* ss_active, for /proc */
static struct ss_session *ss_active;

static void ss_wake(struct irq_work *w)
{
	struct ss_session *s = container_of(w, struct ss_session, wake_work);

	wake_up_interruptible(&s->wq);
}

static int ss_open(struct inode *inode, struct file *file)
{
	struct ss_session *s;

	/* current is the opener: its credentials decide. */
	if (!perfmon_capable())
		return -EPERM;
	if (atomic_cmpxchg(&ss_busy, 0, 1))
		return -EBUSY;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		goto fail;
	s->tgids = vzalloc(BITS_TO_LONGS(PID_MAX_LIMIT) * sizeof(long));
	if (!s->tgids)
		goto fail_session;
	s->next_ts = kcalloc(nr_cpu_ids, sizeof(*s->next_ts), GFP_KERNEL);
	if (!s->next_ts)
		goto fail_tgids;
	mutex_init(&s->lock);
	spin_lock_init(&s->exe_lock);
	init_waitqueue_head(&s->wq);
	init_irq_work(&s->wake_work, ss_wake);
	ss_counters_reset();
	mutex_lock(&ss_active_lock);
	ss_active = s;
	mutex_unlock(&ss_active_lock);
	file->private_data = s;
	return nonseekable_open(inode, file);

fail_tgids:
	vfree(s->tgids);
fail_session:
	kfree(s);
fail:
	atomic_set_release(&ss_busy, 0);
	return -ENOMEM;
}

static int ss_release(struct inode *inode, struct file *file)
{
	struct ss_session *s = file->private_data;

	if (s->state == SS_KMOD_RECORDING)
		ss_probes_stop(s);
	irq_work_sync(&s->wake_work);
	mutex_lock(&ss_active_lock);
	ss_active = NULL;
	mutex_unlock(&ss_active_lock);
	ss_ring_free(s);
	kvfree(s->exe_seen);
	kfree(s->next_ts);
	vfree(s->tgids);
	kfree(s);
	atomic_set_release(&ss_busy, 0);
	return 0;
}

/*
 * A reader is about to sleep: say so, then look again. Pairs with the
 * barrier in ss_ring_emit_irqoff(): a producer that crosses wake_bytes
 * after this either is seen here or sees the reader waiting.
 */
static bool ss_reader_should_wake(struct ss_session *s)
{
	WRITE_ONCE(s->waiting, 1);
	smp_mb();
	return ss_ring_has_data() ||
	       READ_ONCE(s->state) == SS_KMOD_STOPPED;
}

/* Whole records only; 0 once the recording is stopped and drained. A
 * blocking read sleeps while every buffer is empty, before the start
 * too. */
static ssize_t ss_read(struct file *file, char __user *buf, size_t len,
		       loff_t *ppos)
{
	struct ss_session *s = file->private_data;
	ssize_t n;
	u32 state;

	if (!len)
		return 0;
	for (;;) {
		if (mutex_lock_interruptible(&s->lock))
			return -ERESTARTSYS;
		n = ss_ring_read(s, buf, len);
		state = s->state;
		mutex_unlock(&s->lock);
		if (n || state == SS_KMOD_STOPPED)
			return n;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(s->wq, ss_reader_should_wake(s)))
			return -ERESTARTSYS;
	}
}

static __poll_t ss_poll(struct file *file, poll_table *wait)
{
	struct ss_session *s = file->private_data;

	poll_wait(file, &s->wq, wait);
	if (!ss_reader_should_wake(s))
		return 0;
	if (ss_ring_has_data())
		return EPOLLIN | EPOLLRDNORM;
	return READ_ONCE(s->state) == SS_KMOD_STOPPED ? EPOLLHUP : 0;
}

static const struct file_operations ss_fops = {
	.owner = THIS_MODULE,
	.open = ss_open,
	.release = ss_release,
	.read = ss_read,
	.poll = ss_poll,
	.unlocked_ioctl = ss_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* 0644: anyone reaches open(), which then checks the capabilities, so an
 * unprivileged opener learns EPERM rather than EACCES. */
static struct miscdevice ss_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "switchscope",
	.fops = &ss_fops,
	.mode = 0644,
};

static const char *const ss_state_names[] = {
	[SS_KMOD_IDLE] = "idle",
	[SS_KMOD_RECORDING] = "recording",
	[SS_KMOD_STOPPED] = "stopped",
};

static const char *const ss_class_names[SS_CLASS_MAX] = {
	[SS_CLASS_THREAD] = "thread",
	[SS_CLASS_PROCESS] = "process",
	[SS_CLASS_TO_IDLE] = "to_idle",
	[SS_CLASS_FROM_IDLE] = "from_idle",
	[SS_CLASS_KTHREAD] = "kthread",
};

/* One "key value..." line each; counters are the current session's, or
 * the last one's once it is closed. */
static int ss_proc_show(struct seq_file *m, void *v)
{
	u64 sw[SS_CLASS_MAX] = {};
	int cpu, i;

	seq_printf(m, "abi %u.%u\n", SS_KMOD_ABI_MAJOR, SS_KMOD_ABI_MINOR);
	mutex_lock(&ss_active_lock);
	if (ss_active) {
		struct ss_session *s = ss_active;
		u32 state = READ_ONCE(s->state);

		seq_printf(m, "session %s\n", ss_state_names[state]);
		if (READ_ONCE(s->all))
			seq_puts(m, "filter all\n");
		else
			seq_printf(m, "filter tgids %d\n",
				   atomic_read(&s->ntgids));
		seq_printf(m, "buffer_bytes %u\n", s->buffer_bytes);
		seq_printf(m, "wake_bytes %u\n", s->wake_bytes);
		seq_printf(m, "flags%s%s%s%s\n",
			   s->flags & SS_KMOD_RETUSER ? " retuser" : "",
			   s->flags & SS_KMOD_SYSCALLS ? " syscalls" : "",
			   s->flags & SS_KMOD_WAKEUP ? " wakeup" : "",
			   s->flags & SS_KMOD_STOP_NEW_EXE ? " stop_new_exe" : "");
	} else {
		seq_puts(m, "session none\n");
	}
	mutex_unlock(&ss_active_lock);
	for_each_possible_cpu(cpu)
		for (i = 0; i < SS_CLASS_MAX; i++)
			sw[i] += READ_ONCE(per_cpu_ptr(&ss_cpus, cpu)->switches[i]);
	for (i = 0; i < SS_CLASS_MAX; i++)
		seq_printf(m, "switches_%s %llu\n", ss_class_names[i], sw[i]);
	for_each_possible_cpu(cpu) {
		struct ss_cpu *c = per_cpu_ptr(&ss_cpus, cpu);

		seq_printf(m, "cpu %d written %llu dropped %llu last_drop_ns %llu\n",
			   cpu, READ_ONCE(c->written), READ_ONCE(c->dropped),
			   READ_ONCE(c->last_drop_ns));
	}
	return 0;
}

static struct proc_dir_entry *ss_proc;

int ss_dev_init(void)
{
	int err;

	ss_proc = proc_create_single("switchscope", 0444, NULL, ss_proc_show);
	if (!ss_proc)
		return -ENOMEM;
	err = misc_register(&ss_misc);
	if (err) {
		proc_remove(ss_proc);
		return err;
	}
	return 0;
}

/* No session can be open: it holds a reference on the module. */
void ss_dev_exit(void)
{
	misc_deregister(&ss_misc);
	proc_remove(ss_proc);
}
