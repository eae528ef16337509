/* Row: CPU affinity. The pinned ping-pong (from the switch row) against
 * the same left free to migrate, and against its two sides pinned to two
 * CPUs (coroutines: one scheduler thread per CPU, a channel between).
 * The traces count migrations, wakeups that cross CPUs and switches to
 * idle. A hand-over across CPUs wakes the other CPU: in a VM an idle
 * vCPU that halted is woken through the hypervisor, so those figures are
 * the machine's as much as the scheduler's; the verdicts say it only when
 * the CPU flags say this is a VM. */
#include <string.h>

#include "lab.h"
#include "pingpong.h"
#include "ss.h"

static const char *const pp_kind[LAB_KINDS] = { "process", "thread", "coro" };

struct aff_ev {
	int ok;
	double handovers;
	uint64_t migrations, wakings, cross, to_idle;
};

static void traced(struct lab *L, struct lab_row *r, const struct lab_pp *p, const char *name,
		   struct aff_ev *a)
{
	struct lab_ev ev;

	if (lab_pp_evidence(L, r, p, name, 0, &ev, &a->handovers))
		return;
	a->ok = 1;
	a->migrations = ev.side_migrations;
	a->wakings = ev.handover_wakings;
	a->cross = ev.handover_wakings_cross;
	a->to_idle = ev.side_out[SS_CLASS_TO_IDLE];
	lab_evidence_free(&ev);
}

static double per1000(uint64_t n, double of)
{
	return of > 0 ? 1000.0 * (double)n / of : 0;
}

/* What a hand-over across CPUs measured here depends on, as far as it was
 * seen: the other CPU gone idle (the trace), a VM (the CPU flags). The
 * hypervisor's part is named only where the trace shows idle CPUs, or
 * where nothing was traced (then as a condition). */
static void across_words(char *buf, size_t len, const struct lab *L, double idle, double h_two)
{
	int vm = L->lim.cpu.hypervisor == SS_FLAG_YES;

	if (h_two > 0 && 2 * idle >= h_two)
		snprintf(buf, len, ", the side it woke having left its CPU idle (%.0f switches "
			 "to idle in %.0f traced hand-overs)%s", idle, h_two, vm ? "; "
			 "VM-dependent: this is a VM (hypervisor CPU flag), where waking an "
			 "idle vCPU goes through the hypervisor" : "");
	else if (h_two > 0)
		snprintf(buf, len, "; a side left its CPU idle at %.0f of %.0f traced "
			 "hand-overs%s", idle, h_two, vm ? " (this is a VM, by the hypervisor "
			 "CPU flag)" : "");
	else
		snprintf(buf, len, "%s", vm ? "; VM-dependent: this is a VM (hypervisor CPU "
			 "flag), where waking a vCPU that went idle goes through the hypervisor" :
			 "");
}

void lab_exp_affinity(struct lab *L)
{
	struct lab_row *r = lab_row_new(L, "affinity",
		"CPU affinity avoids cache loss from migration",
		"the ping-pong pinned to one CPU vs free to migrate vs its two sides on two "
		"CPUs: time per hand-over (coroutines across CPUs: a channel between two "
		"scheduler threads)");
	struct lab_samples fr[LAB_KINDS] = { 0 }, two[LAB_KINDS] = { 0 }, apart[LAB_KINDS] = { 0 };
	uint64_t r_free = L->o.quick ? 1000 : 5000, r_two = L->o.quick ? 200 : 1000;
	int reps = L->o.quick ? 2 : 3;
	struct lab_line *lp, *lf, *l2;
	struct aff_ev ef[LAB_KINDS] = { 0 }, e2[LAB_KINDS] = { 0 };
	double slow_free, slow_pfree, slow_two, mig = 0, cross = 0, cross_free = 0, idle = 0;
	double wakings = 0;
	double h_free = 0, h_two = 0;
	struct lab_fig ap, at;
	char mig_txt[96], kinds[200], across[240], few[200], went[96] = "";
	int slower, split;

	lab_progress(L, "affinity: free and two-CPU ping-pongs, %d rounds", reps);
	for (int rep = 0; rep < reps; rep++)
		for (int k = 0; k < LAB_KINDS; k++) {
			struct lab_pp pf = { pp_kind[k], k == LAB_CORO ? "yield" : "futex", "free",
					     k == LAB_CORO ? r_free * 100 : r_free, 1, NULL };
			struct lab_pp p2 = { pp_kind[k], k == LAB_CORO ? "chan" : "futex", "0,1",
					     r_two, 1, NULL };

			lab_pp_measure(L, &pf, &fr[k], NULL, &apart[k]);
			lab_pp_measure(L, &p2, &two[k], NULL, NULL);
		}
	lp = lab_line(r, "pinned, one CPU", LAB_NS);
	lf = lab_line(r, "free to migrate", LAB_NS);
	l2 = lab_line(r, "two CPUs", LAB_NS);
	/* free runs too: the scheduler may split a pair */
	lf->vm = l2->vm = 1;
	for (int k = 0; k < LAB_KINDS; k++) {
		lp->f[k] = L->pinned[k];
		lf->f[k] = lab_fig_of(&fr[k]);
		l2->f[k] = lab_fig_of(&two[k]);
	}

	for (int k = 0; k < LAB_KINDS; k++) {
		/* coroutine probes cost microseconds a hit: short traced runs */
		struct lab_pp pf = { pp_kind[k], k == LAB_CORO ? "yield" : "futex", "free",
				     k == LAB_CORO ? 500 : L->o.quick ? 1000 : 2000, 1, NULL };
		struct lab_pp p2 = { pp_kind[k], k == LAB_CORO ? "chan" : "futex", "0,1",
				     k == LAB_CORO ? 200 : L->o.quick ? 200 : 500, 1, NULL };
		char name[40];

		if (k == LAB_CORO && L->o.quick && L->trace_ok) {
			lab_evidence_text(r, "the coroutine runs are not traced with --quick");
			continue;
		}
		snprintf(name, sizeof(name), "affinity-free-%s", pp_kind[k]);
		traced(L, r, &pf, name, &ef[k]);
		snprintf(name, sizeof(name), "affinity-two-%s", pp_kind[k]);
		traced(L, r, &p2, name, &e2[k]);
	}
	for (int k = 0; k < LAB_KINDS; k++) {
		if (ef[k].ok && k != LAB_CORO) {
			mig += (double)ef[k].migrations;
			cross_free += (double)ef[k].cross;
			h_free += ef[k].handovers;
		}
		if (e2[k].ok) {
			cross += (double)e2[k].cross;
			wakings += (double)e2[k].wakings;
			idle += (double)e2[k].to_idle;
			h_two += e2[k].handovers;
		}
	}
	if (h_two > 0) {
		/* No wakeup at all is possible: with both CPUs busy, each side
		 * can find the token passed before its futex_wait checks it. */
		lab_check(r, cross == wakings,
			  "two CPUs: every wakeup of one side by the other crosses CPUs "
			  "(sched_waking with another target CPU)", "%.0f of %.0f", cross, wakings);
		lab_evidence_text(r, "on two CPUs, %.0f of %.0f wakeups of one side by the "
				  "other crossed CPUs, for %.0f hand-overs (at the others the side "
				  "found the token passed before it slept), and %.0f times a side "
				  "left its CPU idle", cross, wakings, h_two, idle);
	}
	if (h_free > 0) {
		lab_count(r, "free.migrations_per_1000_handovers", per1000((uint64_t)mig, h_free));
		lab_count(r, "free.cross_cpu_wakeups_per_1000_handovers",
			  per1000((uint64_t)cross_free, h_free));
		lab_evidence_text(r, "left free, processes and threads: %.0f migrations in "
				  "%.0f hand-overs (%.1f per 1000), and %.0f wakeups went to the "
				  "other CPU", mig, h_free, per1000((uint64_t)mig, h_free), cross_free);
	}

	ap = lab_fig_of(&apart[LAB_PROC]);
	at = lab_fig_of(&apart[LAB_THREAD]);
	lab_count(r, "free.process_apart_share", ap.v);
	lab_count(r, "free.thread_apart_share", at.v);
	slow_free = lab_ratio(&lf->f[LAB_THREAD], &lp->f[LAB_THREAD]);
	slow_pfree = lab_ratio(&lf->f[LAB_PROC], &lp->f[LAB_PROC]);
	slow_two = lab_ratio(&l2->f[LAB_THREAD], &lp->f[LAB_THREAD]);
	snprintf(mig_txt, sizeof(mig_txt), h_free > 0 ? "%.1f migrations per 1000 hand-overs "
		 "in the traced free runs" : "migrations not traced", per1000((uint64_t)mig, h_free));
	snprintf(kinds, sizeof(kinds), "a thread hand-over cost %.1fx the pinned one, with "
		 "the sides on different CPUs for %.0f%% of the hand-overs; a process "
		 "hand-over %.1fx, %.0f%%", slow_free, 100 * at.v, slow_pfree, 100 * ap.v);
	slower = lab_clearly_above(&lf->f[LAB_THREAD], &lp->f[LAB_THREAD]) ||
		 lab_clearly_above(&lf->f[LAB_PROC], &lp->f[LAB_PROC]);
	split = (at.v >= 0.1 && lab_clearly_above(&lf->f[LAB_THREAD], &lp->f[LAB_THREAD])) ||
		(ap.v >= 0.1 && lab_clearly_above(&lf->f[LAB_PROC], &lp->f[LAB_PROC]));
	across_words(across, sizeof(across), L, idle, h_two);
	/* migrations are ruled out as the cost only when the trace counted them */
	if (h_free > 0 && per1000((uint64_t)mig, h_free) < 10)
		snprintf(few, sizeof(few), " Migrations were rare (%s), so the cache lost "
			 "in a migration is not what cost here.", mig_txt);
	else if (h_free > 0)
		snprintf(few, sizeof(few), " Migrations: %s.", mig_txt);
	else
		snprintf(few, sizeof(few), " Migrations were not traced: their part is not "
			 "known.");
	if (h_free > 0)
		snprintf(went, sizeof(went), " (%.0f in the traced free runs)", cross_free);
	if (!slow_free || !slow_two || !slow_pfree) {
		lab_reason(r, LAB_DEPENDS, "a workload failed: no comparison");
	} else if (slower && h_free > 0 && per1000((uint64_t)mig, h_free) >= 10) {
		lab_reason(r, LAB_CONFIRMED, "left free, %s, with %s; split over two CPUs on "
			   "purpose a hand-over cost %.0fx the pinned one, a side that waits "
			   "woken from the other CPU%s", kinds, mig_txt, slow_two, across);
	} else if (at.v >= 0.1 && lab_clearly_above(&lp->f[LAB_THREAD], &lf->f[LAB_THREAD])) {
		lab_reason(r, LAB_DEPENDS, "left free, %s: split over two CPUs it was faster "
			   "than pinned to one; split on purpose a hand-over cost %.0fx the "
			   "pinned one%s.%s", kinds, slow_two, across, few);
	} else if (split) {
		lab_reason(r, LAB_DEPENDS, "left free, %s. Where the scheduler split a pair over "
			   "the two CPUs, hand-overs became wakeups across CPUs%s; split on "
			   "purpose a hand-over cost %.0fx the pinned one%s.%s Pinning helped by "
			   "keeping a pair on one CPU", kinds, went, slow_two, across, few);
	} else {
		lab_reason(r, LAB_DEPENDS, "left free, %s: pinning gained nothing beyond the "
			   "spread of the runs (%s). What cost is a pair split over two CPUs on "
			   "purpose: %.0fx, a side that waits woken from the other CPU%s", kinds, mig_txt,
			   slow_two, across);
	}
	lab_evidence_text(r, "in the untraced free runs the sides were on different CPUs "
			  "for %.0f%% (processes) and %.0f%% (threads) of the hand-overs, by "
			  "sched_getcpu() in the workload", 100 * ap.v, 100 * at.v);
}
