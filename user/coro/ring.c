// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The trace ring's slow half (include/coro_ring.h, docs/PROBES.md): a
 * recorder attaching to coro:ring raises its semaphore; the thread then
 * creates its ring and announces it through coro:ring, once per change of
 * the semaphore's value, so that a second recorder learns of it too. Until
 * a reader has mapped the ring (and picked the clock) the USDT probes keep
 * reporting: nothing is lost between the announcement and the mapping.
 * When the last recorder leaves, the ring is dropped.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void ring_announce(struct sched *s)
{
	int64_t fd = s->ring.fd;
	uint64_t bytes = coro_ring_bytes(s->ring.mask + 1);

	CORO_PROBE2(ring, fd, bytes);
}

void coro_ring_poll(struct sched *s)
{
	unsigned short sem = CORO_PROBE_SEM(ring);

	if (sem == s->ring_sem) {
		coro_ring_check(&s->ring);
		return;
	}
	s->ring_sem = sem;
	if (!sem) {
		ring_fold(s);
		coro_ring_destroy(&s->ring);
		return;
	}
	if (!coro_cfg.ring_slots)
		return;
	/* A ring that cannot be made leaves the USDT probes reporting. */
	if (!s->ring.hdr && coro_ring_create(&s->ring, coro_cfg.ring_slots))
		return;
	ring_announce(s);
}

static void ring_child(void)
{
	struct sched *s = coro_tls_sched;

	if (!s)
		return;
	ring_fold(s);
	coro_ring_forget(&s->ring);
	s->ring_sem = 0;	/* the next tick makes the child's own ring */
}

void coro_ring_atfork(void)
{
	pthread_atfork(NULL, NULL, ring_child);
}
