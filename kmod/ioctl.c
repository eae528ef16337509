// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls of /dev/switchscope (include/switchscope.h, module ioctl
 * ABI). Every input is validated: unknown commands and known numbers with
 * another size are ENOTTY, nonzero reserved fields EINVAL, bad pointers
 * EFAULT; outputs are built zeroed.
 */
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ss_kmod.h"

static int ss_ioc_version(void __user *uarg)
{
	struct ss_kmod_version v = {
		.major = SS_KMOD_ABI_MAJOR,
		.minor = SS_KMOD_ABI_MINOR,
		.ncpu = nr_cpu_ids,
	};

	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

static int ss_ioc_config(struct ss_session *s, void __user *uarg)
{
	struct ss_kmod_config c;
	u32 bytes;
	int err;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.pad || c.reserved[0] || c.reserved[1] ||
	    (c.flags & ~SS_KMOD_FLAGS))
		return -EINVAL;
	bytes = c.buffer_bytes ? c.buffer_bytes : SS_KMOD_BUF_DEFAULT;
	if (bytes < SS_KMOD_BUF_MIN || bytes > SS_KMOD_BUF_MAX)
		return -EINVAL;
	bytes = roundup_pow_of_two(bytes);
	if (c.wake_bytes > bytes)
		return -EINVAL;
	if (s->state != SS_KMOD_IDLE || s->buffer_bytes)
		return -EBUSY;
	if (c.flags & SS_KMOD_STOP_NEW_EXE) {
		s->exe_seen = kvcalloc(1u << SS_EXE_BITS, sizeof(*s->exe_seen),
				       GFP_KERNEL);
		if (!s->exe_seen)
			return -ENOMEM;
	}
	err = ss_ring_alloc(s, bytes);
	if (err) {
		kvfree(s->exe_seen);
		s->exe_seen = NULL;
		return err;
	}
	s->wake_bytes = c.wake_bytes ? c.wake_bytes : bytes / 4;
	s->flags = c.flags;
	return 0;
}

static int ss_ioc_filter(struct ss_session *s, void __user *uarg)
{
	struct ss_kmod_filter f;
	unsigned long bit;

	if (copy_from_user(&f, uarg, sizeof(f)))
		return -EFAULT;
	if (f.reserved)
		return -EINVAL;
	switch (f.op) {
	case SS_FILTER_ADD:
	case SS_FILTER_DEL:
		if (!f.tgid || f.tgid >= PID_MAX_LIMIT)
			return -EINVAL;
		if (f.op == SS_FILTER_ADD)
			ss_filter_add(s, f.tgid);
		else
			ss_filter_del(s, f.tgid);
		return 0;
	case SS_FILTER_ALL:
		if (f.tgid)
			return -EINVAL;
		WRITE_ONCE(s->all, true);
		return 0;
	case SS_FILTER_CLEAR:
		if (f.tgid)
			return -EINVAL;
		WRITE_ONCE(s->all, false);
		for_each_set_bit(bit, s->tgids, PID_MAX_LIMIT)
			ss_filter_del(s, bit);
		return 0;
	}
	return -EINVAL;
}

static int ss_ioc_start(struct ss_session *s)
{
	int err;

	bool allocated = false;

	if (s->state == SS_KMOD_RECORDING)
		return -EBUSY;
	if (!s->buffer_bytes) {
		err = ss_ring_alloc(s, SS_KMOD_BUF_DEFAULT);
		if (err)
			return err;
		s->wake_bytes = SS_KMOD_BUF_DEFAULT / 4;
		allocated = true;
	}
	err = ss_probes_start(s);
	if (err) {
		/* Leave the session configurable, as it was. */
		if (allocated)
			ss_ring_free(s);
		return err;
	}
	WRITE_ONCE(s->state, SS_KMOD_RECORDING);
	return 0;
}

static int ss_ioc_stop(struct ss_session *s)
{
	if (s->state != SS_KMOD_RECORDING)
		return -EINVAL;
	ss_probes_stop(s);
	WRITE_ONCE(s->state, SS_KMOD_STOPPED);
	/* Readers asleep see the end of the recording. */
	wake_up_interruptible(&s->wq);
	return 0;
}

static int ss_ioc_stats(struct ss_session *s, void __user *uarg)
{
	struct ss_kmod_cpu_stats __user *ucpus;
	struct ss_kmod_stats *st;
	u32 ncpu, cpu, i;
	int err = 0;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	if (copy_from_user(st, uarg, sizeof(*st))) {
		err = -EFAULT;
		goto out;
	}
	if (st->pad || st->reserved[0] || st->reserved[1]) {
		err = -EINVAL;
		goto out;
	}
	ucpus = u64_to_user_ptr(st->cpus);
	ncpu = ucpus ? min_t(u32, st->ncpu, nr_cpu_ids) : 0;
	memset(st, 0, sizeof(*st));
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct ss_kmod_cpu_stats cs = {};
		struct ss_cpu *c;

		if (cpu_possible(cpu)) {
			c = per_cpu_ptr(&ss_cpus, cpu);
			for (i = 0; i < SS_EV_MAX; i++) {
				st->written[i] += READ_ONCE(c->written_type[i]);
				st->dropped[i] += READ_ONCE(c->dropped_type[i]);
			}
			for (i = 0; i < SS_KMOD_NCLASS; i++)
				st->switches[i] += READ_ONCE(c->switches[i]);
			cs.written = READ_ONCE(c->written);
			cs.dropped = READ_ONCE(c->dropped);
			cs.last_drop_ns = READ_ONCE(c->last_drop_ns);
		}
		if (cpu < ncpu && copy_to_user(&ucpus[cpu], &cs, sizeof(cs))) {
			err = -EFAULT;
			goto out;
		}
	}
	st->ncpu = ncpu;
	st->state = s->state;
	st->buffer_bytes = s->buffer_bytes;
	st->wake_bytes = s->wake_bytes;
	st->flags = s->flags;
	st->all = READ_ONCE(s->all);
	st->ntgids = st->all ? 0 : atomic_read(&s->ntgids);
	if (copy_to_user(uarg, st, sizeof(*st)))
		err = -EFAULT;
out:
	kfree(st);
	return err;
}

static int ss_ioc_floor(void __user *uarg)
{
	struct ss_kmod_floor f;
	u64 elapsed;
	u32 n;
	int err;

	if (copy_from_user(&f, uarg, sizeof(f)))
		return -EFAULT;
	if (f.reserved[0] || f.reserved[1])
		return -EINVAL;
	n = f.iterations ? f.iterations : SS_KMOD_FLOOR_DEFAULT;
	if (n > SS_KMOD_FLOOR_MAX)
		return -EINVAL;
	err = ss_floor_run(f.cpu, n, &elapsed);
	if (err)
		return err;
	f.iterations = n;
	f.switches = 2ull * n;
	f.elapsed_ns = elapsed;
	return copy_to_user(uarg, &f, sizeof(f)) ? -EFAULT : 0;
}

long ss_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ss_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	switch (cmd) {
	case SS_IOC_VERSION:
		return ss_ioc_version(uarg);
	case SS_IOC_FLOOR:
		/* Long and independent of the recording: no session lock. */
		return ss_ioc_floor(uarg);
	case SS_IOC_START:
	case SS_IOC_STOP:
	case SS_IOC_CONFIG:
	case SS_IOC_FILTER:
	case SS_IOC_STATS:
		break;
	default:
		return -ENOTTY;
	}
	if (mutex_lock_interruptible(&s->lock))
		return -ERESTARTSYS;
	switch (cmd) {
	case SS_IOC_CONFIG:
		ret = ss_ioc_config(s, uarg);
		break;
	case SS_IOC_FILTER:
		ret = ss_ioc_filter(s, uarg);
		break;
	case SS_IOC_START:
		ret = ss_ioc_start(s);
		break;
	case SS_IOC_STOP:
		ret = ss_ioc_stop(s);
		break;
	default:
		ret = ss_ioc_stats(s, uarg);
		break;
	}
	mutex_unlock(&s->lock);
	return ret;
}
