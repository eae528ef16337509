/* Rows: switch cost on one CPU (process vs thread vs coroutine), and
 * kernel entries per switch. Both from the same ping-pongs, all sides
 * pinned to CPU 0: untraced runs give the figures, one traced run per kind
 * (with syscalls, faults and the switch-in path) the evidence. A control
 * run with glibc's swapcontext shows that the verifier does catch a
 * switch that enters the kernel. */
#include <string.h>

#include "kmod.h"
#include "lab.h"
#include "pingpong.h"
#include "ss.h"

static const char *const pp_kind[LAB_KINDS] = { "process", "thread", "coro" };
static const char *const pp_via[LAB_KINDS] = { "futex", "futex", "yield" };

static double per(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* The traced runs and what they showed, for both rows. */
struct sw_ev {
	int ok[LAB_KINDS];
	double handovers[LAB_KINDS];
	uint64_t between[LAB_KINDS][SS_CLASS_MAX];
	uint64_t entries[LAB_KINDS];	/* sides' syscalls + faults; coroutine: verify */
	uint64_t tlb[LAB_KINDS], tlb_full[LAB_KINDS], tlb_partial[LAB_KINDS];
	uint64_t swin_p50[LAB_KINDS];	/* switch-in path of the matching class */
	uint64_t coro_switches, coro_dur_p50, verify_switches, preemptions, lost[LAB_KINDS];
	int uc_ok;
	uint64_t uc_switches, uc_entries, uc_violating;
	char uc_what[48];
};

static void trace_runs(struct lab *L, struct lab_row *sw, struct lab_row *ke, struct sw_ev *e)
{
	/* coroutine probes cost microseconds a hit: short traced runs */
	uint64_t rounds = L->o.quick ? 5000 : 10000, coro_rounds = L->o.quick ? 500 : 2000;
	struct lab_ev ev;

	for (int k = 0; k < LAB_KINDS; k++) {
		struct lab_pp p = { pp_kind[k], pp_via[k], "0",
				    k == LAB_CORO ? coro_rounds : rounds, 1, NULL };
		char name[32];

		snprintf(name, sizeof(name), "switch-%s", pp_kind[k]);
		if (lab_pp_evidence(L, sw, &p, name, LAB_SYSCALLS | LAB_SWITCH_IN, &ev,
				    &e->handovers[k]))
			continue;
		e->ok[k] = 1;
		e->lost[k] = ev.a.lost;
		memcpy(e->between[k], ev.between, sizeof(ev.between));
		e->tlb[k] = ev.side_tlb;
		e->tlb_full[k] = ev.side_tlb_full;
		e->tlb_partial[k] = ev.side_tlb_partial;
		if (k == LAB_CORO) {
			e->coro_switches = ev.a.count[SS_EV_CORO_SWITCH];
			e->coro_dur_p50 = ss_hist_quantile(&ev.a.coro_cost, 0.5);
			e->verify_switches = ev.v.switches;
			e->entries[k] = ev.v.entries;
			e->preemptions = ev.v.preemptions;
		} else {
			e->entries[k] = ev.side_syscalls + ev.side_faults;
			e->swin_p50[k] = ss_hist_quantile(&ev.a.swin_class[k == LAB_PROC ?
					SS_CLASS_PROCESS : SS_CLASS_THREAD], 0.5);
		}
		/* the kernel-entries row reads the same files */
		if (ke->ntraces < LAB_MAX_TRACES)
			snprintf(ke->trace[ke->ntraces++], sizeof(ke->trace[0]), "%s",
				 sw->trace[sw->ntraces - 1]);
		lab_evidence_counts(ke, name, &ev);
		snprintf(name + strlen(name), sizeof(name) - strlen(name), ".handovers");
		lab_count(ke, name, e->handovers[k]);
		lab_evidence_free(&ev);
	}

	/* Control: the same coroutine ping-pong on glibc's swapcontext. */
	{
		struct lab_pp p = { "coro", "yield", "0", L->o.quick ? 100 : 500, 1,
				    "CORO_BACKEND=ucontext" };
		double h;

		if (lab_pp_evidence(L, ke, &p, "switch-coro-ucontext", LAB_SYSCALLS, &ev, &h))
			return;
		e->uc_ok = 1;
		e->uc_switches = ev.v.switches;
		e->uc_entries = ev.v.entries;
		e->uc_violating = ev.v.violations;
		snprintf(e->uc_what, sizeof(e->uc_what), "kernel entries");
		if (ev.v.ngroups && ev.v.groups[0].kind == SS_V_SYSCALL) {
			const char *n = ss_syscall_name(ev.v.machine, ev.v.groups[0].nr);

			snprintf(e->uc_what, sizeof(e->uc_what), "%s calls", n ? n : "syscalls");
		}
		lab_evidence_free(&ev);
	}
}

/* What the tlb_flush records of the process ping-pong show, in words,
 * with PCID's part only as far as /proc/cpuinfo says; "" when there are
 * none (no trace, or a kernel without the tracepoint). */
static const char *tlb_said(char *buf, size_t len, const struct lab *L, const struct sw_ev *e,
			    struct ss_tlb_counts *t)
{
	*t = (struct ss_tlb_counts){ e->tlb[LAB_PROC], e->tlb_full[LAB_PROC],
				     e->tlb_partial[LAB_PROC] };
	buf[0] = 0;
	if (e->ok[LAB_PROC] && e->ok[LAB_THREAD])
		ss_tlb_words(buf, len, t, L->lim.cpu.pcid, "this CPU");
	return buf;
}

static void switch_row(struct lab *L, struct lab_row *r, const struct sw_ev *e)
{
	const struct lab_line *ln = &r->line[0];
	double rpt = lab_ratio(&ln->f[LAB_PROC], &ln->f[LAB_THREAD]);
	double rtc = lab_ratio(&ln->f[LAB_THREAD], &ln->f[LAB_CORO]);
	char a[SS_DUR_BUF], b[SS_DUR_BUF], c[SS_DUR_BUF], tw[400], path[160] = "", tlb[560];
	struct ss_tlb_counts t;

	tlb_said(tw, sizeof(tw), L, e, &t);
	if (e->ok[LAB_PROC] && e->ok[LAB_THREAD]) {
		struct lab_line *tl = lab_line(r, "in the trace, p50", LAB_NS);
		double hp = e->handovers[LAB_PROC], ht = e->handovers[LAB_THREAD];

		tl->f[LAB_PROC] = lab_fig_one((double)e->swin_p50[LAB_PROC]);
		tl->f[LAB_THREAD] = lab_fig_one((double)e->swin_p50[LAB_THREAD]);
		if (e->ok[LAB_CORO])
			tl->f[LAB_CORO] = lab_fig_one((double)e->coro_dur_p50);
		lab_check(r, e->between[LAB_PROC][SS_CLASS_PROCESS] >= hp / 2 &&
			  !e->between[LAB_PROC][SS_CLASS_THREAD],
			  "process ping-pong: its switches are process-class (mm switch), at "
			  "least half the hand-overs, none thread-class", "%llu process, %llu thread "
			  "for %.0f hand-overs",
			  (unsigned long long)e->between[LAB_PROC][SS_CLASS_PROCESS],
			  (unsigned long long)e->between[LAB_PROC][SS_CLASS_THREAD], hp);
		lab_check(r, e->between[LAB_THREAD][SS_CLASS_THREAD] >= ht / 2 &&
			  !e->between[LAB_THREAD][SS_CLASS_PROCESS],
			  "thread ping-pong: its switches are thread-class (same mm), at least "
			  "half the hand-overs, none process-class", "%llu thread, %llu process "
			  "for %.0f hand-overs",
			  (unsigned long long)e->between[LAB_THREAD][SS_CLASS_THREAD],
			  (unsigned long long)e->between[LAB_THREAD][SS_CLASS_PROCESS], ht);
		lab_check(r, e->tlb[LAB_THREAD] == 0,
			  "thread switches make no tlb_flush (no mm switch)", "%llu",
			  (unsigned long long)e->tlb[LAB_THREAD]);
		lab_evidence_text(r, "%llu process-class switches between the two processes "
				  "(%.2f tlb_flush events per switch%s%s), %llu thread-class "
				  "between the two threads (%llu tlb_flush); switch-in path p50 %s "
				  "(process) vs %s (thread)",
				  (unsigned long long)e->between[LAB_PROC][SS_CLASS_PROCESS],
				  per((double)e->tlb[LAB_PROC],
				      (double)e->between[LAB_PROC][SS_CLASS_PROCESS]),
				  tw[0] ? "; " : "", tw,
				  (unsigned long long)e->between[LAB_THREAD][SS_CLASS_THREAD],
				  (unsigned long long)e->tlb[LAB_THREAD],
				  ss_fmt_dur(a, sizeof(a), e->swin_p50[LAB_PROC]),
				  ss_fmt_dur(b, sizeof(b), e->swin_p50[LAB_THREAD]));
		if (e->swin_p50[LAB_PROC] && e->swin_p50[LAB_THREAD])
			snprintf(path, sizeof(path), "switch-in path %.1fx a thread's (p50 "
				 "%s vs %s)", (double)e->swin_p50[LAB_PROC] /
				 (double)e->swin_p50[LAB_THREAD],
				 ss_fmt_dur(a, sizeof(a), e->swin_p50[LAB_PROC]),
				 ss_fmt_dur(b, sizeof(b), e->swin_p50[LAB_THREAD]));
	}
	if (e->ok[LAB_CORO]) {
		lab_check(r, e->coro_switches >= e->handovers[LAB_CORO],
			  "coro:switch probes in the trace >= hand-overs made", "%llu for %.0f",
			  (unsigned long long)e->coro_switches, e->handovers[LAB_CORO]);
		lab_evidence_text(r, "%llu coro:switch, each %s as the runtime timed it (p50)",
				  (unsigned long long)e->coro_switches,
				  lab_fmt_ns(a, sizeof(a), (double)e->coro_dur_p50));
	}
	/* What a process switch did here that a thread switch did not, as far
	 * as the trace shows it: the mm switch, and whether it flushed. */
	if (!tw[0])
		snprintf(tlb, sizeof(tlb), "%s", e->ok[LAB_PROC] && e->ok[LAB_THREAD] ?
			 "; the trace has no tlb_flush records to tell whether the mm switches "
			 "flushed the TLB" : "");
	else if (ss_tlb_mostly_full(&t) && !e->tlb[LAB_THREAD])
		snprintf(tlb, sizeof(tlb), "; %s; the thread switches flushed nothing (no mm "
			 "switch)", tw);
	else if (ss_tlb_mostly_kept(&t) && L->lim.cpu.pcid == SS_FLAG_YES)
		snprintf(tlb, sizeof(tlb), "; %s: what differs is the mm switch itself, "
			 "not a TLB flush", tw);
	else
		snprintf(tlb, sizeof(tlb), "; %s", tw);

	if (!rpt || !rtc) {
		lab_reason(r, LAB_DEPENDS, "a workload failed: no comparison");
	} else if (lab_clearly_above(&ln->f[LAB_PROC], &ln->f[LAB_THREAD])) {
		lab_reason(r, LAB_CONFIRMED, "a process hand-over costs %.2fx a thread's here "
			   "(%s vs %s, %s more)%s%s%s; a coroutine switch is %.0fx cheaper than "
			   "a thread's", rpt,
			   lab_fmt_ns(a, sizeof(a), ln->f[LAB_PROC].v),
			   lab_fmt_ns(b, sizeof(b), ln->f[LAB_THREAD].v),
			   lab_fmt_ns(c, sizeof(c), ln->f[LAB_PROC].v - ln->f[LAB_THREAD].v),
			   path[0] ? ", its " : "", path, tlb, rtc);
	} else if (lab_clearly_above(&ln->f[LAB_THREAD], &ln->f[LAB_PROC])) {
		lab_reason(r, LAB_REFUTED, "thread switches cost more than process switches on "
			   "this run (%.2fx)%s%s: the mm switch did not cost measurably here%s",
			   1 / rpt, path[0] ? "; a process's " : "", path, tlb);
	} else {
		lab_reason(r, LAB_DEPENDS, "process/thread is %.2fx, within the spread of the "
			   "repetitions: no clear difference on this run%s%s%s; a coroutine "
			   "switch is %.0fx cheaper", rpt, path[0] ? "; a process's " : "", path,
			   tlb, rtc);
	}
}

/* The shared-stack figure, said after the verdict, only as measured. */
static void shared_reason(struct lab_row *r, const struct lab_fig *priv,
			  const struct lab_fig *sh)
{
	size_t n = strlen(r->reason);
	char a[32], b[32];

	if (!sh->n || !priv->n) {
		snprintf(r->reason + n, sizeof(r->reason) - n, "; no figure for coroutines on "
			 "a shared stack (that run failed)");
		return;
	}
	snprintf(r->reason + n, sizeof(r->reason) - n, "; on a shared stack, whose frames "
		 "are copied off and back at each switch, a coroutine hand-over measured %s "
		 "against %s on private stacks (%.1fx)", lab_fmt_ns(a, sizeof(a), sh->v),
		 lab_fmt_ns(b, sizeof(b), priv->v), sh->v / priv->v);
}

static void kernel_row(struct lab *L, struct lab_row *r, const struct lab_row *sw,
		       const struct sw_ev *e)
{
	struct lab_line *ln = lab_line(r, "kernel entries", LAB_RATE);
	struct lab_line *cost = lab_line(r, "per hand-over", LAB_NS);
	double rtc;
	int verified = e->ok[LAB_CORO] && e->verify_switches > 0;
	char control[200] = "";

	*cost = sw->line[0];
	snprintf(cost->label, sizeof(cost->label), "per hand-over");
	rtc = lab_ratio(&cost->f[LAB_THREAD], &cost->f[LAB_CORO]);
	for (int k = 0; k < LAB_KINDS; k++)
		if (e->ok[k] && e->handovers[k] > 0 && (k != LAB_CORO || e->verify_switches))
			ln->f[k] = lab_fig_one(per((double)e->entries[k], k == LAB_CORO ?
				(double)e->verify_switches : e->handovers[k]));
	if (e->ok[LAB_PROC] && e->ok[LAB_THREAD]) {
		lab_check(r, e->entries[LAB_PROC] >= e->handovers[LAB_PROC] / 2 &&
			  e->entries[LAB_THREAD] >= e->handovers[LAB_THREAD] / 2,
			  "process and thread hand-overs enter the kernel (futex syscalls seen)",
			  "%.2f and %.2f per hand-over", ln->f[LAB_PROC].v, ln->f[LAB_THREAD].v);
	}
	if (verified) {
		lab_check(r, e->entries[LAB_CORO] == 0,
			  "no kernel entry inside any coroutine switch (as switchscope verify)",
			  "%llu entries in %llu switches", (unsigned long long)e->entries[LAB_CORO],
			  (unsigned long long)e->verify_switches);
		lab_check(r, e->verify_switches >= e->handovers[LAB_CORO],
			  "switches checked >= hand-overs made", "%llu for %.0f",
			  (unsigned long long)e->verify_switches, e->handovers[LAB_CORO]);
		lab_evidence_text(r, "syscalls and faults of the sides: %.2f per process "
				  "hand-over, %.2f per thread hand-over; inside %llu coroutine "
				  "switches: %llu kernel entries (%llu involuntary switches inside "
				  "them: preemptions, not the runtime's doing)", ln->f[LAB_PROC].v,
				  ln->f[LAB_THREAD].v,
				  (unsigned long long)e->verify_switches,
				  (unsigned long long)e->entries[LAB_CORO],
				  (unsigned long long)e->preemptions);
	}
	if (e->uc_ok) {
		lab_check(r, e->uc_entries > 0,
			  "control: with glibc swapcontext the verifier catches kernel entries",
			  "%llu in %llu switches", (unsigned long long)e->uc_entries,
			  (unsigned long long)e->uc_switches);
		lab_evidence_text(r, "control: the same coroutines on glibc swapcontext make "
				  "%.2f %s per switch, caught inside %llu of %llu switches",
				  per((double)e->uc_entries, (double)e->uc_switches), e->uc_what,
				  (unsigned long long)e->uc_violating,
				  (unsigned long long)e->uc_switches);
	}
	/* the control says what a runtime on swapcontext does, as measured */
	if (e->uc_ok && e->uc_switches && e->uc_violating == e->uc_switches)
		snprintf(control, sizeof(control), "; but only for a runtime that switches in "
			 "user space: on glibc swapcontext every one of %llu switches entered "
			 "the kernel", (unsigned long long)e->uc_switches);
	else if (e->uc_ok && e->uc_violating)
		snprintf(control, sizeof(control), "; but only for a runtime that switches in "
			 "user space: on glibc swapcontext %llu of %llu switches entered the "
			 "kernel", (unsigned long long)e->uc_violating,
			 (unsigned long long)e->uc_switches);
	if (!verified) {
		lab_reason(r, LAB_DEPENDS, "kernel entries were not verified (no trace): a "
			   "coroutine switch measures %.0fx cheaper than a thread's, which "
			   "suggests but does not prove that it stays in user space", rtc);
	} else if (e->entries[LAB_CORO]) {
		lab_reason(r, LAB_REFUTED, "%llu kernel entries happened inside coroutine "
			   "switches", (unsigned long long)e->entries[LAB_CORO]);
	} else if (rtc >= 10) {
		lab_reason(r, LAB_CONFIRMED, "0 kernel entries in %llu coroutine switches, "
			   "%.0fx cheaper than a thread switch%s",
			   (unsigned long long)e->verify_switches, rtc, control);
	} else {
		lab_reason(r, LAB_DEPENDS, "0 kernel entries, but a coroutine switch is only "
			   "%.1fx cheaper than a thread switch here", rtc);
	}
}

/* With the kernel module loaded: the in-kernel floor of a switch next to
 * the user-space figures (two kernel threads on the same CPU: no mode
 * switch, no mm switch, no futex). */
static void kernel_floor(struct lab *L, struct lab_row *r)
{
	struct ss_kmod_floor f = { .iterations = L->o.quick ? 20000 : 100000 };
	const struct lab_fig *t = &r->line[0].f[LAB_THREAD];
	char err[512], a[SS_DUR_BUF];
	double ns;

	if (!ss_kmod_loaded())
		return;
	if (ss_kmod_floor(&f, err, sizeof(err))) {
		lab_evidence_text(r, "no in-kernel floor: %s", err);
		return;
	}
	ns = (double)f.elapsed_ns / f.switches;
	lab_count(r, "kmod.floor_ns", ns);
	lab_evidence_text(r, "in-kernel floor (switchscope.ko, two kernel threads on CPU "
			  "0, no mode or mm switch): %s per switch; a thread hand-over "
			  "costs %.1fx that", lab_fmt_ns(a, sizeof(a), ns),
			  t->v > 0 ? t->v / ns : 0);
}

void lab_exp_switch(struct lab *L)
{
	struct lab_row *sw = lab_row_new(L, "switch",
		"a process switch costs more than a thread switch (address space, memory "
		"protection)",
		"ping-pong on one CPU (both sides pinned to CPU 0): time per hand-over; "
		"process and thread through a futex, coroutines by yield. In the trace: "
		"the switch-in path (sched_switch to the return to user mode) and the "
		"coroutine switch as the runtime timed it");
	struct lab_row *ke = lab_row_new(L, "kernel",
		"a coroutine switch never enters the kernel and costs far less",
		"kernel entries (syscalls, faults) per hand-over in the traced ping-pongs; "
		"for coroutines inside the switch windows, as switchscope verify checks");
	uint64_t rounds = L->o.quick ? 20000 : 100000;
	struct lab_samples wall[LAB_KINDS] = { 0 }, cpu[LAB_KINDS] = { 0 }, shw = { 0 };
	int reps = L->o.quick ? 3 : 5;
	struct lab_line *ln, *lc, *ls;
	struct sw_ev e = { 0 };

	lab_progress(L, "switch cost: %d rounds of pinned ping-pongs", reps);
	for (int rep = 0; rep < reps; rep++)
		for (int k = 0; k < LAB_KINDS; k++) {
			struct lab_pp p = { pp_kind[k], pp_via[k], "0",
					    k == LAB_CORO ? rounds * 10 : rounds, 1, NULL };

			lab_pp_measure(L, &p, &wall[k], &cpu[k], NULL);
			if (k == LAB_CORO) {
				/* the same coroutines on one shared stack */
				p.env = "CORO_SHARED_STACK=1";
				lab_pp_measure(L, &p, &shw, NULL, NULL);
			}
		}
	ln = lab_line(sw, "per hand-over", LAB_NS);
	lc = lab_line(sw, "CPU time/hand-over", LAB_NS);
	for (int k = 0; k < LAB_KINDS; k++) {
		ln->f[k] = lab_fig_of(&wall[k]);
		lc->f[k] = lab_fig_of(&cpu[k]);
		L->pinned[k] = ln->f[k];
	}
	trace_runs(L, sw, ke, &e);
	switch_row(L, sw, &e);
	/* after switch_row, which reads its lines by position */
	ls = lab_line(sw, "shared-stack handover", LAB_NS);
	ls->f[LAB_CORO] = lab_fig_of(&shw);
	shared_reason(sw, &ln->f[LAB_CORO], &ls->f[LAB_CORO]);
	kernel_floor(L, sw);
	kernel_row(L, ke, sw, &e);
	if (e.ok[LAB_PROC] || e.ok[LAB_THREAD] || e.ok[LAB_CORO])
		lab_check(sw, !e.lost[LAB_PROC] && !e.lost[LAB_THREAD] && !e.lost[LAB_CORO],
			  "no events lost in the traced runs", "%llu, %llu, %llu lost",
			  (unsigned long long)e.lost[LAB_PROC], (unsigned long long)e.lost[LAB_THREAD],
			  (unsigned long long)e.lost[LAB_CORO]);
	if (ke->ntraces == 0 && !ke->missing[0] && sw->missing[0])
		lab_missing(ke, "%s", sw->missing);
}
