// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU record rings. Lossy: a record that does not fit is counted as
 * dropped, never waited for. Each ring has one producer (its CPU, with
 * interrupts off) and one consumer (the reader, under the session lock),
 * so head and tail need only acquire/release ordering, no lock.
 */
#include <linux/irq_work.h>
#include <linux/minmax.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/mm.h>

#include "ss_kmod.h"

DEFINE_PER_CPU_ALIGNED(struct ss_cpu, ss_cpus);

/* Larger than any record (ss_exec, 176 bytes). */
#define SS_REC_MAX	256

int ss_ring_alloc(struct ss_session *s, u32 bytes)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ss_cpu *c = per_cpu_ptr(&ss_cpus, cpu);

		/* A request too large fails here rather than invoking the
		 * OOM killer. */
		c->data = kvmalloc_node(bytes, GFP_KERNEL | __GFP_RETRY_MAYFAIL |
					__GFP_NOWARN, cpu_to_node(cpu));
		if (!c->data) {
			ss_ring_free(s);
			return -ENOMEM;
		}
		c->mask = bytes - 1;
		c->head = 0;
		c->tail = 0;
	}
	s->buffer_bytes = bytes;
	return 0;
}

/* Only once no probe can run any more. */
void ss_ring_free(struct ss_session *s)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ss_cpu *c = per_cpu_ptr(&ss_cpus, cpu);

		kvfree(c->data);
		c->data = NULL;
		c->mask = 0;
		c->head = 0;
		c->tail = 0;
	}
	s->buffer_bytes = 0;
}

/* At open: counters are per session. No probe is registered then. */
void ss_counters_reset(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&ss_cpus, cpu), 0, sizeof(struct ss_cpu));
}

static void ss_ring_copy_out(const struct ss_cpu *c, u64 pos, void *dst,
			     u32 len)
{
	u32 off = pos & c->mask;
	u32 first = min_t(u32, len, c->mask + 1 - off);

	memcpy(dst, c->data + off, first);
	memcpy((char *)dst + first, c->data, len - first);
}

/*
 * Stamp the header (type, size, this CPU, now) and append the record to
 * this CPU's ring. The time is read with interrupts off, so each ring is
 * in time order. Returns whether the record was written.
 */
bool ss_ring_emit_irqoff(struct ss_session *s, void *rec, u16 type, u16 size)
{
	struct ss_cpu *c = this_cpu_ptr(&ss_cpus);
	struct ss_hdr *h = rec;
	u32 ring = c->mask + 1, off, first;
	u64 head = c->head, fill;

	h->type = type;
	h->size = size;
	h->cpu = smp_processor_id();
	h->ts = ktime_get_mono_fast_ns();	/* bpf_ktime_get_ns() */
	/* Pairs with the reader's release: bytes given back are free. */
	fill = head - smp_load_acquire(&c->tail);
	if (fill + size > ring) {
		c->dropped++;
		c->dropped_type[type]++;
		c->last_drop_ns = h->ts;
		/* A full ring may never have crossed wake_bytes exactly. */
		ss_ring_wake(s);
		return false;
	}
	off = head & c->mask;
	first = min_t(u32, size, ring - off);
	memcpy(c->data + off, rec, first);
	memcpy(c->data, (char *)rec + first, size - first);
	/* Pairs with the reader's acquire: the record is whole once seen. */
	smp_store_release(&c->head, head + size);
	c->written++;
	c->written_type[type]++;
	if (fill + size >= s->wake_bytes)
		ss_ring_wake(s);
	return true;
}

/* Wake a waiting reader, from a probe: through irq_work, since the probe
 * may hold the run queue lock. */
void ss_ring_wake(struct ss_session *s)
{
	/* Pairs with ss_reader_should_wake(): either the reader sees the
	 * records written or this sees the reader waiting. */
	smp_mb();
	if (READ_ONCE(s->waiting) && xchg(&s->waiting, 0))
		irq_work_queue(&s->wake_work);
}

/* Probes that may run with interrupts on (or be interrupted by another
 * probe on the same CPU). */
bool ss_ring_emit(struct ss_session *s, void *rec, u16 type, u16 size)
{
	unsigned long flags;
	bool ok;

	local_irq_save(flags);
	ok = ss_ring_emit_irqoff(s, rec, type, size);
	local_irq_restore(flags);
	return ok;
}

bool ss_ring_has_data(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ss_cpu *c = per_cpu_ptr(&ss_cpus, cpu);

		if (smp_load_acquire(&c->head) != READ_ONCE(c->tail))
			return true;
	}
	return false;
}

/* ts of the next record of c, U64_MAX when c is empty. */
static u64 ss_ring_peek(const struct ss_cpu *c)
{
	struct ss_hdr h;

	if (smp_load_acquire(&c->head) == c->tail)
		return U64_MAX;
	ss_ring_copy_out(c, c->tail, &h, sizeof(h));
	return h.ts;
}

/*
 * Copy whole records, oldest first across CPUs, into buf. A record is
 * consumed only once copy_to_user() has taken it, so a fault loses
 * nothing: the next read starts with the same record. Returns the bytes
 * copied, -EFAULT if not even the first record could be copied, or
 * -EINVAL if len cannot hold the next record.
 */
ssize_t ss_ring_read(struct ss_session *s, char __user *buf, size_t len)
{
	u64 rec[SS_REC_MAX / sizeof(u64)];
	struct ss_hdr *h = (struct ss_hdr *)rec;
	size_t done = 0;
	int cpu;

	if (!s->buffer_bytes)
		return 0;
	for_each_possible_cpu(cpu)
		s->next_ts[cpu] = ss_ring_peek(per_cpu_ptr(&ss_cpus, cpu));
	for (;;) {
		u64 oldest = U64_MAX;
		struct ss_cpu *c;
		int best = -1;

		for_each_possible_cpu(cpu) {
			if (s->next_ts[cpu] < oldest) {
				oldest = s->next_ts[cpu];
				best = cpu;
			}
		}
		if (best < 0)
			break;
		c = per_cpu_ptr(&ss_cpus, best);
		ss_ring_copy_out(c, c->tail, h, sizeof(*h));
		if (WARN_ON_ONCE(h->size < sizeof(*h) || h->size > SS_REC_MAX))
			return -EIO;
		if (h->size > len - done)
			return done ? done : -EINVAL;
		ss_ring_copy_out(c, c->tail, rec, h->size);
		if (copy_to_user(buf + done, rec, h->size))
			return done ? done : -EFAULT;
		/* Pairs with the producer's acquire of tail. */
		smp_store_release(&c->tail, c->tail + h->size);
		done += h->size;
		s->next_ts[best] = ss_ring_peek(c);
	}
	return done;
}
