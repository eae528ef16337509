/* The recorder's side of the coroutine trace rings (include/coro_ring.h):
 * map each ring a thread announces through coro:ring, read it, check
 * every record, and hand them on as the coroutine records of
 * include/switchscope.h on the kernel's clock. */
#ifndef SS_RING_READ_H
#define SS_RING_READ_H

#include <stdint.h>

#include "backend.h"
#include "switchscope.h"

/* How the rings' writers timestamp (record --coro-ring=MODE). */
enum ss_ring_mode {
	SS_RING_AUTO = 0,	/* the counter where the kernel's clock runs on it */
	SS_RING_OFF,		/* no rings: every event through the USDT probes */
	SS_RING_COUNTER,	/* the CPU counter, converted by the recorder */
	SS_RING_MONOTONIC,	/* clock_gettime(CLOCK_MONOTONIC) in the writer */
};

struct ss_rings;

struct ss_rings_stats {
	uint64_t rings;		/* rings mapped */
	uint64_t records;	/* records read and passed on */
	uint64_t lost;		/* overwritten before they were read */
	uint64_t invalid;	/* records that failed a check (counted as lost) */
	uint64_t refused;	/* announced rings not mapped (see the warnings) */
	uint64_t clock_err_ns;	/* widest uncertainty of a clock point (counter) */
	int counter;		/* 1: the counter was used */
};

/* lost_cb gets the loss records (source SS_LOST_CORO_RING, hdr.cpu
 * SS_CPU_UNKNOWN, the ring's tid); hint_cb the CPU a thread was on when
 * its ring was mapped (may be NULL). */
struct ss_rings *ss_rings_new(enum ss_ring_mode mode, uint64_t start_ns,
			      void (*lost_cb)(void *ctx, const struct ss_lost *l),
			      void (*hint_cb)(void *ctx, uint32_t tid, uint32_t cpu),
			      void *ctx);
/* A coro:ring record came: map that ring (once per ring). */
void ss_rings_announce(struct ss_rings *r, const struct ss_coro_ring *a);
/* Read every ring; records later than until_ns are dropped (after the end
 * of the recording). Returns 1 when a ring was filling fast: poll again
 * soon. */
int ss_rings_poll(struct ss_rings *r, uint64_t until_ns, ss_record_cb cb, void *ctx);
/* Every record stamped before this time has been handed on (UINT64_MAX:
 * no ring open): the sink must hold newer kernel records back. */
uint64_t ss_rings_watermark(const struct ss_rings *r);
void ss_rings_stats(const struct ss_rings *r, struct ss_rings_stats *st);
void ss_rings_free(struct ss_rings *r);

#endif
