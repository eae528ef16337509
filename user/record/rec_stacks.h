/* The recorder's side of record --stacks: the mappings of processes whose
 * user stacks arrive (ss_map records, read from /proc/PID/maps), and the
 * symbols of every address seen, written as ss_sym records at the end so
 * that a trace names its functions on any machine. */
#ifndef SS_REC_STACKS_H
#define SS_REC_STACKS_H

#include <stdint.h>

#include "sink.h"

struct rec_stacks;

struct rec_stacks_stats {
	uint64_t stacks;	/* ss_stack records seen */
	uint64_t maps;		/* ss_map records written */
	uint64_t syms;		/* ss_sym records written */
	uint64_t addrs;		/* distinct addresses */
	uint64_t unnamed;	/* of which without a symbol */
	uint64_t procs_gone;	/* processes whose maps could not be read */
	uint64_t lost;		/* ss_stack records the ring buffer refused */
	uint64_t cut;		/* user stacks cut where the walk broke off */
};

/* stack_lost_fd: the BPF per-CPU counter of lost stack records (-1: none). */
struct rec_stacks *rec_stacks_new(struct ss_sink *sink, int stack_lost_fd);
/* Look at a record before it goes to the sink; returns what to give the
 * sink instead (h, or a user stack cut where its walk broke off, valid
 * until the next call). */
const struct ss_hdr *rec_stacks_record(struct rec_stacks *s, const struct ss_hdr *h);
/* Write each new address's ss_sym record as its stack arrives, not only at
 * the end: the flight recorder's dumps, written before the end, carry them
 * and so name their functions on any machine. */
void rec_stacks_eager(struct rec_stacks *s);
/* Write the ss_sym records (hdr.ts = ts) and fill st. */
void rec_stacks_finish(struct rec_stacks *s, uint64_t ts, struct rec_stacks_stats *st);
void rec_stacks_free(struct rec_stacks *s);

#endif
