/* Rows: memory per idle unit, and how many fit in a memory budget. One
 * ss-lab-hold run per kind gives both: it creates idle processes, threads
 * or coroutines until the cap (checked against the limits beforehand),
 * the budget or the time limit, and measures what they use (resident
 * pages, page tables, kernel stacks: not configured sizes). Tracing does
 * not change memory, so the traced run is the measured one; the trace
 * shows that the units were what they claim to be. */
#include <string.h>

#include "lab.h"
#include "ss.h"

static const char *const hold_kind[LAB_KINDS] = { "process", "thread", "coro" };

struct hold {
	int ok;
	double held, user, kstack, stack, elapsed;
	char stop[96], guard[16];
};

static int hold_run(struct lab *L, int k, uint64_t max, uint64_t budget, const char *name,
		    const char *env, unsigned int flags, struct lab_out *out, struct hold *h)
{
	char smax[32], sbudget[32], tl[32];
	const char *argv[] = { "ss-lab-hold", "--kind", hold_kind[k], "--max", smax, "--budget",
			       sbudget, "--time-limit", tl, NULL };

	snprintf(smax, sizeof(smax), "%llu", (unsigned long long)max);
	snprintf(sbudget, sizeof(sbudget), "%llu", (unsigned long long)budget);
	snprintf(tl, sizeof(tl), "%llu", (unsigned long long)L->lim.time_limit_ms);
	memset(h, 0, sizeof(*h));
	if (lab_run(L, argv, env, name, flags, out) ||
	    lab_field(out->text, "lab-hold", "held", &h->held) ||
	    lab_field(out->text, "lab-hold", "user_bytes", &h->user) ||
	    lab_field(out->text, "lab-hold", "kstack_bytes", &h->kstack) ||
	    lab_field(out->text, "lab-hold", "stack_bytes", &h->stack) ||
	    lab_field(out->text, "lab-hold", "elapsed_ns", &h->elapsed) ||
	    lab_field_str(out->text, "lab-hold", "stop", h->stop, sizeof(h->stop)) || h->held < 1)
		return -1;
	lab_field_str(out->text, "lab-hold", "guard", h->guard, sizeof(h->guard));
	/* KernelStack is system-wide: for coroutines, which create no task
	 * (the trace shows it), its change is other tasks coming and going */
	if (h->kstack < 0 || k == LAB_CORO)
		h->kstack = 0;
	h->ok = 1;
	return 0;
}

/* What the trace of a hold run shows: the units were what they claim. */
static void hold_evidence(struct lab_row *mem, struct lab_row *cap, int k,
			  const struct lab_out *out, double held)
{
	struct lab_ev ev;
	char name[32];

	if (lab_evidence(out->trace, NULL, &ev) != SS_OK)
		return;
	snprintf(mem->trace[mem->ntraces++], sizeof(mem->trace[0]), "%s", out->trace_rel);
	snprintf(cap->trace[cap->ntraces++], sizeof(cap->trace[0]), "%s", out->trace_rel);
	snprintf(name, sizeof(name), "hold-%s", hold_kind[k]);
	lab_evidence_counts(mem, name, &ev);
	snprintf(name, sizeof(name), "hold-%s.held_traced", hold_kind[k]);
	lab_count(mem, name, held);
	switch (k) {
	case LAB_PROC:
		lab_check(mem, ev.a.lost || ev.a.procs_created == (uint64_t)held,
			  "processes created in the trace = processes held",
			  "%llu for %.0f", (unsigned long long)ev.a.procs_created, held);
		break;
	case LAB_THREAD:
		lab_check(mem, ev.a.lost || (ev.a.threads_created == (uint64_t)held &&
					     !ev.a.procs_created),
			  "threads created in the trace = threads held, no process",
			  "%llu threads, %llu processes for %.0f",
			  (unsigned long long)ev.a.threads_created,
			  (unsigned long long)ev.a.procs_created, held);
		break;
	case LAB_CORO:
		lab_check(mem, ev.a.lost || (ev.a.count[SS_EV_CORO_CREATE] >= (uint64_t)held &&
					     !ev.a.threads_created && !ev.a.procs_created),
			  "coro:create in the trace >= coroutines held, and no task created",
			  "%llu coro:create, %llu tasks for %.0f",
			  (unsigned long long)ev.a.count[SS_EV_CORO_CREATE],
			  (unsigned long long)(ev.a.threads_created + ev.a.procs_created), held);
		break;
	}
	lab_check(mem, ev.a.lost == 0, "no events lost", "%llu lost (%s)",
		  (unsigned long long)ev.a.lost, lab_kind_name[k]);
	if (k == LAB_PROC)
		lab_evidence_text(mem, "%llu processes created (fork)",
				  (unsigned long long)ev.a.procs_created);
	else if (k == LAB_THREAD)
		lab_evidence_text(mem, "%llu threads created (CLONE_THREAD) and %llu processes",
				  (unsigned long long)ev.a.threads_created,
				  (unsigned long long)ev.a.procs_created);
	else
		lab_evidence_text(mem, "%llu coro:create and %llu tasks created",
				  (unsigned long long)ev.a.count[SS_EV_CORO_CREATE],
				  (unsigned long long)(ev.a.threads_created + ev.a.procs_created));
	lab_evidence_free(&ev);
}

/* Processes and threads: the measured run is the traced one (tracing
 * does not change memory and costs little here). Coroutines: several
 * probe hits each, microseconds apiece, would make the budget run slow,
 * so a small traced run backs the untraced measured one. */
static void run_kind(struct lab *L, struct lab_row *mem, struct lab_row *cap, int k,
		     struct hold *h)
{
	struct lab_out out;
	struct hold small;
	char name[32];

	snprintf(name, sizeof(name), "hold-%s", hold_kind[k]);
	lab_progress(L, "memory: up to %llu idle %s", (unsigned long long)L->lim.cap[k],
		     lab_kind_plural[k]);
	if (hold_run(L, k, L->lim.cap[k], L->lim.budget, name, NULL,
		     k == LAB_CORO ? 0 : LAB_TRACE, &out, h))
		return;
	if (k != LAB_CORO) {
		if (out.traced)
			hold_evidence(mem, cap, k, &out, h->held);
		else if (L->trace_ok)
			lab_missing(mem, "%s", out.why);
		return;
	}
	if (!L->trace_ok)
		return;
	if (L->o.quick) {
		lab_evidence_text(mem, "the coroutine run is not traced with --quick");
		return;
	}
	if (hold_run(L, k, 1000, UINT64_MAX / 2, name, NULL, LAB_TRACE | LAB_PROBES,
		     &out, &small) == 0 && out.traced)
		hold_evidence(mem, cap, k, &out, small.held);
	else
		lab_missing(mem, "the traced coroutine run failed%s%s", out.why[0] ? ": " : "",
			    out.why);
}

/* The same coroutine run with every coroutine on a shared stack
 * (CORO_SHARED_STACK=1: libcoro copies the frames of a coroutine that
 * switches out off the thread's shared stack), as many as the private-
 * stack run held (the cost per unit is what is compared; the budget would
 * hold many more and take that much longer). Untraced, like that run. */
static void run_shared(struct lab *L, struct lab_row *cap, const struct hold *priv,
		       struct hold *h)
{
	struct lab_out out;
	uint64_t max = priv->ok ? (uint64_t)priv->held : L->lim.cap[LAB_CORO];

	lab_progress(L, "memory: %llu idle coroutines on a shared stack",
		     (unsigned long long)max);
	if (hold_run(L, LAB_CORO, max, L->lim.budget, "hold-coro-shared",
		     "CORO_SHARED_STACK=1", 0, &out, h))
		return;
	lab_count(cap, "hold-coro-shared.held", h->held);
	lab_check(cap, strncmp(h->stop, "error", 5) != 0,
		  "the shared-stack coroutine run stopped at a bound, not at a limit", "%s",
		  h->stop);
}

static double each(const struct hold *h, double v)
{
	return h->ok && h->held > 0 ? v / h->held : 0;
}

void lab_exp_hold(struct lab *L)
{
	struct lab_row *mem = lab_row_new(L, "memory",
		"a thread stack takes hundreds of KB to MB; a coroutine very little",
		"resident memory per idle unit, measured: Pss plus page tables of the "
		"workload's processes, and the kernel stacks added (/proc/meminfo; a "
		"coroutine is no task and has none)");
	struct lab_row *cap = lab_row_new(L, "capacity",
		"coroutines allow far more concurrency on one machine",
		"idle units held at once, up to the cap, the memory budget or the time limit; "
		"and how many the budget and MemAvailable would hold at the measured cost");
	struct hold h[LAB_KINDS] = { 0 }, hs = { 0 };
	struct lab_line *lu, *lk, *ls, *lh, *lb, *lm, *lus, *lbs;
	double tot_s = 0, fit_s = 0;
	char sh_mem[200] = "", sh_cap[200] = "";
	double tot[LAB_KINDS] = { 0 }, fit[LAB_KINDS] = { 0 }, rct;
	int task_bound = 0;
	char a[32], b[32], c[32], d[32], e[32];

	for (int k = 0; k < LAB_KINDS; k++)
		run_kind(L, mem, cap, k, &h[k]);
	run_shared(L, cap, &h[LAB_CORO], &hs);
	lu = lab_line(mem, "resident, user", LAB_BYTES);
	lk = lab_line(mem, "kernel stack", LAB_BYTES);
	ls = lab_line(mem, "stack reserved", LAB_BYTES);
	lus = lab_line(mem, "shared stack, user", LAB_BYTES);
	lh = lab_line(cap, "held by the run", LAB_COUNT);
	lb = lab_line(cap, "fit in the budget", LAB_COUNT);
	lm = lab_line(cap, "fit in MemAvailable", LAB_COUNT);
	lbs = lab_line(cap, "fit, shared stack", LAB_COUNT);
	/* only coroutines have a shared-stack mode: the other kinds' figures
	 * stay unmeasured on these lines */
	if (hs.ok && (tot_s = each(&hs, hs.user)) > 0) {
		lus->f[LAB_CORO] = lab_fig_one(tot_s);
		fit_s = (double)L->lim.budget / tot_s;
		lbs->f[LAB_CORO] = lab_fig_one((double)(uint64_t)fit_s);
	}
	for (int k = 0; k < LAB_KINDS; k++) {
		if (!h[k].ok)
			continue;
		lu->f[k] = lab_fig_one(each(&h[k], h[k].user));
		lk->f[k] = lab_fig_one(each(&h[k], h[k].kstack));
		ls->f[k] = lab_fig_one(h[k].stack);
		lh->f[k] = lab_fig_one(h[k].held);
		tot[k] = each(&h[k], h[k].user + h[k].kstack);
		if (tot[k] > 0) {
			double m = (double)L->lim.mem_avail / tot[k];

			fit[k] = (double)L->lim.budget / tot[k];
			lb->f[k] = lab_fig_one((double)(uint64_t)fit[k]);
			/* tasks are bounded by the task limits too */
			if (k != LAB_CORO && m > (double)L->lim.pid_max) {
				m = (double)L->lim.pid_max;
				task_bound = 1;
			}
			if (k != LAB_CORO && L->lim.threads_max && m > (double)L->lim.threads_max) {
				m = (double)L->lim.threads_max;
				task_bound = 1;
			}
			lm->f[k] = lab_fig_one((double)(uint64_t)m);
		}
		snprintf(a, sizeof(a), "hold-%s.stop_%s", hold_kind[k],
			 !strncmp(h[k].stop, "error", 5) ? "error" : h[k].stop);
		lab_count(cap, a, 1);
		lab_check(cap, strncmp(h[k].stop, "error", 5) != 0, k == LAB_PROC ?
			  "the process run stopped at a bound, not at a limit" : k == LAB_THREAD ?
			  "the thread run stopped at a bound, not at a limit" :
			  "the coroutine run stopped at a bound, not at a limit", "%s", h[k].stop);
	}
	if (h[LAB_CORO].ok)
		lab_count(cap, "hold-coro.guard_madvise", !strcmp(h[LAB_CORO].guard, "madvise"));
	for (int k = 0; k < LAB_KINDS; k++) {
		int by_cap = !strcmp(h[k].stop, "cap");

		if (h[k].ok)
			lab_evidence_text(cap, "%s: %.0f held in %s, stopped by %s%s%s",
					  lab_kind_plural[k], h[k].held,
					  ss_fmt_dur(a, sizeof(a), (uint64_t)h[k].elapsed),
					  by_cap ? "the cap (" : h[k].stop,
					  by_cap ? L->lim.cap_why[k] : "", by_cap ? ")" : "");
	}

	if (tot_s > 0 && h[LAB_THREAD].ok) {
		snprintf(sh_mem, sizeof(sh_mem), "; on a shared stack (frames copied off it at "
			 "each switch) an idle coroutine kept %s resident, %.0fx less than a "
			 "thread", lab_fmt_bytes(a, sizeof(a), tot_s),
			 tot[LAB_THREAD] > 0 ? tot[LAB_THREAD] / tot_s : 0);
		if (fit[LAB_CORO] > 0)
			snprintf(sh_cap, sizeof(sh_cap), "; on a shared stack %.0f coroutines "
				 "(%.1fx the private-stack ones)", (double)(uint64_t)fit_s, fit_s / fit[LAB_CORO]);
	} else if (h[LAB_CORO].ok) {
		snprintf(sh_mem, sizeof(sh_mem), "; the shared-stack run failed: no figure for it");
	}
	if (!h[LAB_THREAD].ok || !h[LAB_CORO].ok) {
		lab_reason(mem, LAB_DEPENDS, "a workload failed: no comparison");
	} else if (lu->f[LAB_THREAD].v >= 100 * 1024) {
		lab_reason(mem, LAB_CONFIRMED, "an idle thread keeps %s resident, a coroutine "
			   "%s%s", lab_fmt_bytes(a, sizeof(a), lu->f[LAB_THREAD].v),
			   lab_fmt_bytes(b, sizeof(b), lu->f[LAB_CORO].v), sh_mem);
	} else {
		lab_reason(mem, LAB_REFUTED, "a thread reserves %s of stack but only the pages it "
			   "touched become resident: %s per idle thread, plus %s of kernel stack; "
			   "a coroutine on its private stack %s of its %s, %.1fx less than a "
			   "thread in all%s",
			   lab_fmt_bytes(a, sizeof(a), ls->f[LAB_THREAD].v),
			   lab_fmt_bytes(b, sizeof(b), lu->f[LAB_THREAD].v),
			   lab_fmt_bytes(c, sizeof(c), lk->f[LAB_THREAD].v),
			   lab_fmt_bytes(d, sizeof(d), lu->f[LAB_CORO].v),
			   lab_fmt_bytes(e, sizeof(e), ls->f[LAB_CORO].v),
			   tot[LAB_CORO] > 0 ? tot[LAB_THREAD] / tot[LAB_CORO] : 0, sh_mem);
	}
	rct = fit[LAB_THREAD] > 0 ? fit[LAB_CORO] / fit[LAB_THREAD] : 0;
	if (!rct || !fit[LAB_PROC])
		lab_reason(cap, LAB_DEPENDS, "a workload failed: no comparison");
	else if (rct >= 4)
		lab_reason(cap, LAB_CONFIRMED, "at the measured cost %s holds %.0f processes, "
			   "%.0f threads or %.0f coroutines (%.0fx the threads)%s%s",
			   lab_fmt_bytes(a, sizeof(a), (double)L->lim.budget), fit[LAB_PROC],
			   fit[LAB_THREAD], fit[LAB_CORO], rct, sh_cap, task_bound ? "; and "
			   "processes and threads meet pid_max or threads-max long before "
			   "MemAvailable runs out, coroutines only memory" : "");
	else
		lab_reason(cap, LAB_DEPENDS, "at the measured cost %s holds %.0f threads and "
			   "%.0f coroutines: only %.1fx more%s", lab_fmt_bytes(a, sizeof(a),
			   (double)L->lim.budget), fit[LAB_THREAD], fit[LAB_CORO], rct, sh_cap);
}
