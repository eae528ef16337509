/* SPDX-License-Identifier: GPL-2.0 */
/* switchscope.ko: what the parts of the module share. */
#ifndef SS_KMOD_H
#define SS_KMOD_H

#include <linux/bitops.h>
#include <linux/cache.h>
#include <linux/irq_work.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/threads.h>
#include <linux/types.h>
#include <linux/wait.h>

struct file;

#include "switchscope.h"

/*
 * One CPU's ring and counters. The CPU is the only producer (interrupts
 * off while it writes a record, so probes never interleave inside one);
 * the session's reader, under the session lock, is the only consumer.
 * head and tail count bytes since the ring was allocated.
 */
struct ss_cpu {
	char *data;			/* ring of mask + 1 bytes */
	u32 mask;
	u64 head;			/* produced; written by this CPU */
	u64 written;			/* records put in the ring */
	u64 dropped;			/* records that did not fit */
	u64 last_drop_ns;
	u64 written_type[SS_EV_MAX];
	u64 dropped_type[SS_EV_MAX];
	u64 switches[SS_KMOD_NCLASS];	/* traced switches seen, by class */
	/*
	 * The switch under way on this CPU, rewritten at every sched_switch:
	 * whether it was recorded (for its tlb_flush) and, until the task it
	 * brought in reaches sys_exit, that switch's time. The task at
	 * sys_exit is always the one the last switch on its CPU brought in,
	 * so this is the BPF program's per-task switch-in time.
	 */
	bool switch_traced;
	u64 switch_in_ts;		/* 0: none pending */
	u64 tail ____cacheline_aligned_in_smp;	/* consumed; by the reader */
};

DECLARE_PER_CPU_ALIGNED(struct ss_cpu, ss_cpus);

/* Files exec'd by traced processes (SS_KMOD_STOP_NEW_EXE). */
#define SS_EXE_BITS	14
struct ss_exe {
	u64 dev;
	u64 ino;			/* 0: free slot */
};

struct ss_session {
	struct mutex lock;		/* ioctls, read */
	u32 state;			/* enum ss_kmod_state */
	u32 buffer_bytes;		/* per CPU; 0 until allocated */
	u32 wake_bytes;
	u32 flags;			/* SS_KMOD_* */
	bool all;			/* no tgid filter */
	unsigned long *tgids;		/* bitmap over PID_MAX_LIMIT */
	atomic_t ntgids;
	int waiting;			/* a reader sleeps until wake_bytes */
	struct irq_work wake_work;	/* wakes it from a probe */
	wait_queue_head_t wq;
	u64 *next_ts;			/* read: per CPU, ts of the next record */
	spinlock_t exe_lock;
	struct ss_exe *exe_seen;	/* 1 << SS_EXE_BITS slots, or NULL */
};

static inline bool ss_traced(struct ss_session *s, pid_t tgid)
{
	if (READ_ONCE(s->all))
		return true;
	return tgid > 0 && tgid < PID_MAX_LIMIT && test_bit(tgid, s->tgids);
}

static inline void ss_filter_add(struct ss_session *s, pid_t tgid)
{
	if (!test_bit(tgid, s->tgids) && !test_and_set_bit(tgid, s->tgids))
		atomic_inc(&s->ntgids);
}

static inline void ss_filter_del(struct ss_session *s, pid_t tgid)
{
	if (test_and_clear_bit(tgid, s->tgids))
		atomic_dec(&s->ntgids);
}

/* ring.c */
int ss_ring_alloc(struct ss_session *s, u32 bytes);
void ss_ring_free(struct ss_session *s);
void ss_counters_reset(void);
bool ss_ring_emit(struct ss_session *s, void *rec, u16 type, u16 size);
bool ss_ring_emit_irqoff(struct ss_session *s, void *rec, u16 type, u16 size);
void ss_ring_wake(struct ss_session *s);
bool ss_ring_has_data(void);
ssize_t ss_ring_read(struct ss_session *s, char __user *buf, size_t len);

/* probes.c */
int ss_probes_init(void);
int ss_probes_start(struct ss_session *s);
void ss_probes_stop(struct ss_session *s);

/* floor.c */
int ss_floor_run(u32 cpu, u32 iterations, u64 *elapsed_ns);

/* ioctl.c */
long ss_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* dev.c */
int ss_dev_init(void);
void ss_dev_exit(void);

#endif /* SS_KMOD_H */
