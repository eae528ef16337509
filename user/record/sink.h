/* Record sink: takes records in the order backends produce them, puts them
 * in time order (backends deliver slightly out of order: CPUs race for the
 * BPF ring buffer, the module has a buffer per CPU) and writes chunks. */
#ifndef SS_SINK_H
#define SS_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "switchscope.h"
#include "trace.h"

struct ss_sink;

struct ss_sink *ss_sink_new(struct ss_writer *w, unsigned int ncpu);
/* Copy one record in. */
void ss_sink_add(struct ss_sink *s, const struct ss_hdr *rec);
/* The same for a source of its own (lane 1: the coroutine trace rings),
 * whose records are in order among themselves but not with lane 0's:
 * kept apart, neither needs sorting. */
#define SS_SINK_LANES 2
void ss_sink_add_lane(struct ss_sink *s, unsigned int lane, const struct ss_hdr *rec);
/* Count records lost before they reached us (adds an inline ss_lost). */
void ss_sink_lost(struct ss_sink *s, unsigned int cpu, uint64_t count,
		  uint64_t ts, uint32_t source);
/* The same with the whole record given (a ring's loss names its thread). */
void ss_sink_add_lost(struct ss_sink *s, const struct ss_lost *l);
/* The CPU a thread is on, for its records from user space until a switch
 * says otherwise (e.g. read from /proc when its ring is mapped). */
void ss_sink_cpu_hint(struct ss_sink *s, uint32_t tid, uint32_t cpu);
/* Records from another source are complete only up to ts: hold back what
 * is newer, whatever the kernel records say (UINT64_MAX: no such source). */
void ss_sink_floor(struct ss_sink *s, uint64_t ts);
/* Hand each record, in time order, to fn instead of the file (the flight
 * recorder): nothing but the trailer is written then. */
void ss_sink_tap(struct ss_sink *s, void (*fn)(void *ctx, const struct ss_hdr *h),
		 void *ctx);
/* Write what is older than the reorder window (all: everything). */
void ss_sink_flush(struct ss_sink *s, int all);
/* Write the trailer, close the writer, free. Returns 0 or -errno of the
 * first write error. Fills the totals. */
int ss_sink_close(struct ss_sink *s, uint64_t end_ns, uint64_t *records,
		  uint64_t *lost, uint64_t count[SS_EV_MAX], uint64_t *bytes);
/* First write error so far (positive errno), 0 if none. */
int ss_sink_error(const struct ss_sink *s);

#endif
