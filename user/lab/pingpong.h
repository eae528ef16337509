/* The lab's ping-pong runs (ss-lab-ipc), shared by the switch, pairs,
 * affinity and IPC rows. */
#ifndef SS_LAB_PINGPONG_H
#define SS_LAB_PINGPONG_H

#include "lab.h"

struct lab_pp {
	const char *kind;	/* process, thread, coro */
	const char *via;	/* futex, pipe, yield, chan */
	const char *cpus;	/* "0", "0,1", "free" (NULL: "0") */
	uint64_t rounds;	/* round trips per pair */
	unsigned int pairs;	/* 0: 1 */
	const char *env;	/* "NAME=value" for the workload, or NULL */
};

int lab_pp_run(struct lab *L, const struct lab_pp *p, const char *name, unsigned int flags,
	       struct lab_out *out);
/* One untraced run: ns per hand-over into wall; CPU time per hand-over
 * into cpu and the share of hand-overs across CPUs into apart (both may
 * be NULL). */
int lab_pp_measure(struct lab *L, const struct lab_pp *p, struct lab_samples *wall,
		   struct lab_samples *cpu, struct lab_samples *apart);
/* One traced run: evidence about its sides; counts go into the row under
 * name. 0 and ev filled (lab_evidence_free it), or -1 (the row says why
 * when tracing failed). */
int lab_pp_evidence(struct lab *L, struct lab_row *r, const struct lab_pp *p, const char *name,
		    unsigned int flags, struct lab_ev *ev, double *handovers);

#endif
