/* The counts of a time range that web/data.js's Model.summary() computes
 * (switches, wakeups, run-queue latency, coroutine switches, per thread),
 * over the view's index: added entry by entry, by a scan of a selection's
 * entries (/api/summary) or while the index is built (the whole trace's,
 * asked at every page load). */
#ifndef SS_VIEW_VSUMMARY_H
#define SS_VIEW_VSUMMARY_H

#include <stddef.h>

#include "vindex.h"

struct vsum_thread {
	double switches, preempted, run, wait, coro;
	double rq, rqn, rqmax;	/* run-queue latency: counted if traced */
};

struct vsum {
	double a, b;		/* the range, ns */
	double sw, pre, vol, idle, wk, csw, cns, cmax, nt, ex, exits, lost;
	struct vsum_thread *t;	/* by thread index */
	size_t nt_cap;
	int nomem;
};

void vsum_init(struct vsum *s, double a, double b);
/* Entry r of lane l (lane id id) with the range's rules. */
void vsum_add(struct vsum *s, const struct vlane *l, size_t id, const struct vrec *r);
/* The summary of [a, b] by a scan of the index's entries in it. */
int vsum_scan(struct vsum *s, const struct vindex *x);
/* As JSON (traced threads' run-queue latency only). Returns 0 or -1. */
int vsum_json(const struct vsum *s, const struct vindex *x, char **body, size_t *len);
void vsum_free(struct vsum *s);

#endif
