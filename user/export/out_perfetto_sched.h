/* One CPU's FtraceEventBundle.compact_sched under construction: sched_switch
 * and sched_waking events as columns (proto/perfetto_trace.proto), their
 * comms in a per-bundle intern table. What may go in it, and when the
 * bundle must be written first, is out_perfetto.c's to decide. */
#ifndef SS_OUT_PERFETTO_SCHED_H
#define SS_OUT_PERFETTO_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "perfetto_trace.pb-c.h"
#include "ss.h"

#define PFC_MAX		2048	/* events of one kind per bundle */
#define PFC_COMMS	256	/* intern table entries per bundle */

struct pfc_switches {
	uint64_t *ts;		/* ns: the first absolute, then deltas */
	int64_t *prev_state;	/* TASK_REPORT bits, as in sched_switch */
	int32_t *next_pid, *next_prio;
	uint32_t *next_comm;	/* index into the intern table */
	size_t n, cap;
	uint64_t last;		/* ns, absolute: the last one's time */
};

struct pfc_wakings {
	uint64_t *ts;		/* ns: the first absolute, then deltas */
	int32_t *pid, *target_cpu, *prio;
	uint32_t *comm;		/* index into the intern table */
	size_t n, cap;
	uint64_t last;		/* ns, absolute: the last one's time */
};

struct pf_compact {
	struct pfc_switches sw;
	struct pfc_wakings wk;
	char comm[PFC_COMMS][SS_COMM_LEN];
	char *commp[PFC_COMMS];	/* comm[i], for the message */
	size_t ncomm;
	uint16_t slot[2 * PFC_COMMS];	/* hash of comm: 1 + its index, 0 free */
};

/* Room for n more events of each kind and n new comms. */
int pfc_room(const struct pf_compact *c, size_t n);
int pfc_empty(const struct pf_compact *c);
/* Append an event (after pfc_room said yes); -1 when out of memory. */
int pfc_switch(struct pf_compact *c, uint64_t ts, int64_t prev_state,
	       int32_t next_pid, int32_t next_prio, const char *next_comm);
int pfc_waking(struct pf_compact *c, uint64_t ts, int32_t pid, int32_t target_cpu,
	       int32_t prio, const char *comm);
/* Take the last switch (is_switch) or waking off again; last is what its
 * kind's `last` was before it was appended. Its comm stays interned. */
void pfc_unappend(struct pf_compact *c, int is_switch, uint64_t last);
/* Point cs at the columns (valid until the next pfc_* call). */
void pfc_message(struct pf_compact *c, Perfetto__Protos__FtraceEventBundle__CompactSched *cs);
/* Empty it for the next bundle; pfc_free also frees the columns. */
void pfc_clear(struct pf_compact *c);
void pfc_free(struct pf_compact *c);

#endif
