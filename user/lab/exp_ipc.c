/* Row: communication. A message round trip on one CPU: a pipe between two
 * processes vs between two threads vs a channel between two coroutines,
 * and a futex in shared memory (which processes can have too) vs a
 * coroutine yield. The traces count the syscalls per round trip and the
 * class of the switches. */
#include <string.h>

#include "lab.h"
#include "pingpong.h"
#include "ss.h"

static const char *const pp_kind[LAB_KINDS] = { "process", "thread", "coro" };
static const char *const pp_via[LAB_KINDS] = { "pipe", "pipe", "chan" };

static struct lab_fig twice(struct lab_fig f)
{
	f.v *= 2;
	f.lo *= 2;
	f.hi *= 2;
	return f;
}

void lab_exp_ipc(struct lab *L)
{
	struct lab_row *r = lab_row_new(L, "ipc",
		"communication between processes needs IPC and costs more",
		"round trip of a one-byte message on one CPU: pipe between processes, pipe "
		"between threads, channel between coroutines; and a futex in shared memory");
	uint64_t rounds = L->o.quick ? 15000 : 50000;
	struct lab_samples s[LAB_KINDS] = { 0 };
	int reps = L->o.quick ? 3 : 5;
	struct lab_line *lp, *lf;
	double rpt, rtc, sys[LAB_KINDS] = { 0 };
	int ok[LAB_KINDS] = { 0 }, classed[LAB_KINDS] = { 0 }, coro_clean = 0;
	char same[200] = "", avoid[160];
	char a[SS_DUR_BUF], b[SS_DUR_BUF], c[SS_DUR_BUF];

	lab_progress(L, "ipc: pipe and channel round trips, %d rounds", reps);
	for (int rep = 0; rep < reps; rep++)
		for (int k = 0; k < LAB_KINDS; k++) {
			struct lab_pp p = { pp_kind[k], pp_via[k], "0",
					    k == LAB_CORO ? rounds * 10 : rounds, 1, NULL };
			struct lab_samples h = { .n = 0 };

			/* ns per hand-over, two per round trip */
			if (lab_pp_measure(L, &p, &h, NULL, NULL) == 0)
				lab_sample(&s[k], 2 * h.v[0]);
		}
	lp = lab_line(r, "pipe | channel", LAB_NS);
	lf = lab_line(r, "shared-memory futex", LAB_NS);
	for (int k = 0; k < LAB_KINDS; k++) {
		lp->f[k] = lab_fig_of(&s[k]);
		lf->f[k] = twice(L->pinned[k]);
	}

	for (int k = 0; k < LAB_KINDS; k++) {
		/* coroutine probes cost microseconds a hit: short traced runs */
		struct lab_pp p = { pp_kind[k], pp_via[k], "0", k == LAB_CORO ? 1000 :
				    L->o.quick ? 3000 : 10000, 1, NULL };
		struct lab_ev ev;
		char name[32];
		double h, rt;

		if (k == LAB_CORO && L->o.quick && L->trace_ok) {
			lab_evidence_text(r, "the coroutine run is not traced with --quick");
			continue;
		}

		snprintf(name, sizeof(name), "ipc-%s", pp_kind[k]);
		if (lab_pp_evidence(L, r, &p, name, LAB_SYSCALLS, &ev, &h))
			continue;
		rt = h / 2;
		ok[k] = 1;
		if (k == LAB_CORO) {
			sys[k] = ev.v.switches ? (double)ev.v.entries / rt : 0;
			coro_clean = ev.v.switches > 0 && ev.v.entries == 0;
			lab_check(r, ev.v.switches > 0 && ev.v.entries == 0,
				  "channel round trips: no kernel entry inside any coroutine switch",
				  "%llu entries in %llu switches", (unsigned long long)ev.v.entries,
				  (unsigned long long)ev.v.switches);
		} else {
			unsigned int cls = k == LAB_PROC ? SS_CLASS_PROCESS : SS_CLASS_THREAD;

			sys[k] = (double)ev.side_syscalls / rt;
			lab_check(r, ev.side_syscalls >= 2 * rt,
				  k == LAB_PROC ? "pipe between processes: at least a read and a "
				  "write per hand-over" : "pipe between threads: at least a read and "
				  "a write per hand-over", "%.2f syscalls per round trip", sys[k]);
			classed[k] = ev.between[cls] >= h / 2 && !ev.between[cls ^ 1];
			lab_check(r, ev.between[cls] >= h / 2 && !ev.between[cls ^ 1],
				  k == LAB_PROC ? "pipe between processes: process-class switches" :
				  "pipe between threads: thread-class switches",
				  "%llu %s-class, %llu other for %.0f hand-overs",
				  (unsigned long long)ev.between[cls], lab_kind_name[k],
				  (unsigned long long)ev.between[cls ^ 1], h);
		}
		lab_evidence_free(&ev);
	}
	if (ok[LAB_PROC] && ok[LAB_THREAD])
		lab_evidence_text(r, "syscalls per round trip: %.2f (pipe, processes), %.2f (pipe, "
				  "threads)", sys[LAB_PROC], sys[LAB_THREAD]);
	if (ok[LAB_CORO])
		lab_evidence_text(r, "kernel entries inside the channel's coroutine switches: "
				  "%.2f per round trip", sys[LAB_CORO]);

	/* what the traces showed of the kernel's work on each side */
	if (ok[LAB_PROC] && ok[LAB_THREAD] && sys[LAB_THREAD] > 0 &&
	    sys[LAB_PROC] / sys[LAB_THREAD] < 1.1 && sys[LAB_THREAD] / sys[LAB_PROC] < 1.1)
		snprintf(same, sizeof(same), ": the same syscalls per round trip in the trace "
			 "(%.2f vs %.2f)%s", sys[LAB_PROC], sys[LAB_THREAD],
			 classed[LAB_PROC] && classed[LAB_THREAD] ? ", with an mm switch at each "
			 "process hand-over (process-class switches) and none between the threads"
			 : "");
	else if (ok[LAB_PROC] && ok[LAB_THREAD])
		snprintf(same, sizeof(same), " (%.2f vs %.2f syscalls per round trip in the "
			 "trace)", sys[LAB_PROC], sys[LAB_THREAD]);
	rpt = lab_ratio(&lp->f[LAB_PROC], &lp->f[LAB_THREAD]);
	rtc = lab_ratio(&lp->f[LAB_THREAD], &lp->f[LAB_CORO]);
	snprintf(avoid, sizeof(avoid), coro_clean ? "only coroutines avoid the kernel (channel "
		 "%s, %.0fx cheaper, no kernel entry inside its switches in the trace)" :
		 "a channel between coroutines costs %s, %.0fx less",
		 lab_fmt_ns(c, sizeof(c), lp->f[LAB_CORO].v), rtc);
	if (!rpt || !rtc)
		lab_reason(r, LAB_DEPENDS, "a workload failed: no comparison");
	else if (lab_clearly_above(&lp->f[LAB_PROC], &lp->f[LAB_THREAD]))
		lab_reason(r, LAB_CONFIRMED, "a pipe round trip costs %.0f%% more between "
			   "processes (%s) than between threads (%s)%s; %s",
			   (rpt - 1) * 100, lab_fmt_ns(a, sizeof(a), lp->f[LAB_PROC].v),
			   lab_fmt_ns(b, sizeof(b), lp->f[LAB_THREAD].v), same, avoid);
	else if (lab_clearly_above(&lp->f[LAB_THREAD], &lp->f[LAB_PROC]))
		lab_reason(r, LAB_REFUTED, "a pipe round trip costs less between processes (%s) "
			   "than between threads (%s) on this run%s",
			   lab_fmt_ns(a, sizeof(a), lp->f[LAB_PROC].v),
			   lab_fmt_ns(b, sizeof(b), lp->f[LAB_THREAD].v), same);
	else
		lab_reason(r, LAB_DEPENDS, "the same pipe costs about the same between "
			   "processes and between threads (%.2fx, within the spread of the "
			   "runs)%s; processes can share memory too (futex round trip %s); %s",
			   rpt, same, lab_fmt_ns(a, sizeof(a), lf->f[LAB_PROC].v), avoid);
}
