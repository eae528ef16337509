/* Row: creation cost. fork + exit + wait vs pthread_create + join vs
 * coro_create + join, each kind in its own untraced run (repeated), then
 * one traced run of all three that shows what the kernel saw: processes
 * and threads created, and no task at all for a coroutine. */
#include <string.h>

#include "lab.h"
#include "ss.h"

void lab_exp_create(struct lab *L)
{
	static const char *const kinds[LAB_KINDS] = { "process", "thread", "coro" };
	const uint64_t counts[2][LAB_KINDS] = { { 1000, 5000, 200000 }, { 150, 800, 30000 } };
	struct lab_row *r = lab_row_new(L, "create",
		"creating a process costs more than creating a thread; a coroutine costs less still",
		"create + finish + wait, each (fork/exit/waitpid, pthread_create/join, "
		"coro_create/join)");
	struct lab_samples s[LAB_KINDS] = { 0 };
	uint64_t n_ev = L->o.quick ? 100 : 200;
	int reps = 3;
	struct lab_line *ln;
	struct lab_out out;
	char nbuf[32], cnt[32], fa[32], fb[32], fc[32];
	double v, rpt, rtc;
	char shown[200] = "";	/* what the trace showed each kind made */

	lab_progress(L, "creation cost: %d rounds of each kind", reps);
	for (int rep = 0; rep < reps; rep++) {
		for (int k = 0; k < LAB_KINDS; k++) {
			const char *argv[] = { "ss-lab-create", "--kind", kinds[k], "--count", cnt, NULL };

			snprintf(cnt, sizeof(cnt), "%llu", (unsigned long long)counts[!!L->o.quick][k]);
			if (lab_run(L, argv, NULL, NULL, 0, &out) == 0 &&
			    lab_field(out.text, "lab-create", "ns_each", &v) == 0)
				lab_sample(&s[k], v);
		}
	}
	ln = lab_line(r, "create + finish", LAB_NS);
	for (int k = 0; k < LAB_KINDS; k++)
		ln->f[k] = lab_fig_of(&s[k]);

	snprintf(nbuf, sizeof(nbuf), "%llu", (unsigned long long)n_ev);
	{
		const char *argv[] = { "ss-lab-create", "--kind", "all", "--count", nbuf, NULL };
		/* detaching the coroutine probes after a recording takes most of a
		 * second here: --quick records the tasks only */
		unsigned int probes = L->o.quick ? 0 : LAB_PROBES;
		struct lab_ev ev;

		if (L->trace_ok && lab_run(L, argv, NULL, "create", LAB_TRACE | probes, &out) == 0) {
			if (!out.traced) {
				lab_missing(r, "%s", out.why);
			} else if (lab_evidence(out.trace, NULL, &ev) == SS_OK) {
				uint64_t p = ev.a.procs_created, t = ev.a.threads_created;
				uint64_t c = ev.a.count[SS_EV_CORO_CREATE];
				int exact = ev.a.lost == 0;

				snprintf(r->trace[r->ntraces++], sizeof(r->trace[0]), "%s", out.trace_rel);
				lab_evidence_counts(r, "create", &ev);
				lab_count(r, "create.count_each", (double)n_ev);
				lab_check(r, exact ? p == n_ev : p <= n_ev,
					  "processes created in the trace (fork, no CLONE_THREAD) = forks made",
					  "%llu of %llu", (unsigned long long)p, (unsigned long long)n_ev);
				lab_check(r, exact ? t == n_ev : t <= n_ev,
					  "threads created in the trace (CLONE_THREAD) = pthread_create calls: "
					  "coroutines made no task", "%llu of %llu",
					  (unsigned long long)t, (unsigned long long)n_ev);
				if (probes)
					lab_check(r, exact ? c >= n_ev : 1,
						  "coro:create probes in the trace >= coro_create calls",
						  "%llu for %llu", (unsigned long long)c,
						  (unsigned long long)n_ev);
				lab_check(r, ev.a.lost == 0, "no events lost", "%llu lost",
					  (unsigned long long)ev.a.lost);
				if (exact && p == n_ev && t == n_ev)
					snprintf(shown, sizeof(shown), "; in the trace each fork "
						 "made a process, each pthread_create a thread "
						 "(CLONE_THREAD), and the coroutines no kernel task");
				lab_evidence_text(r, "%llu processes created (fork: no CLONE_THREAD), "
						  "%llu threads (CLONE_THREAD)", (unsigned long long)p,
						  (unsigned long long)t);
				/* every task the trace shows is a fork's or a
				 * pthread_create's: none is left for a coroutine */
				if (probes && exact && p == n_ev && t == n_ev)
					lab_evidence_text(r, "%llu coro:create and no kernel task for "
							  "any coroutine", (unsigned long long)c);
				else if (probes)
					lab_evidence_text(r, "%llu coro:create", (unsigned long long)c);
				else if (exact && p == n_ev && t == n_ev)
					lab_evidence_text(r, "no kernel task for any coroutine "
							  "(coroutine probes not attached with --quick)");
				lab_evidence_free(&ev);
			}
		}
	}

	rpt = lab_ratio(&ln->f[LAB_PROC], &ln->f[LAB_THREAD]);
	rtc = lab_ratio(&ln->f[LAB_THREAD], &ln->f[LAB_CORO]);
	if (!rpt || !rtc)
		lab_reason(r, LAB_DEPENDS, "a workload failed: no comparison");
	else if (lab_clearly_above(&ln->f[LAB_PROC], &ln->f[LAB_THREAD]) &&
		 lab_clearly_above(&ln->f[LAB_THREAD], &ln->f[LAB_CORO]))
		lab_reason(r, LAB_CONFIRMED, "a process costs %.1fx a thread (%s vs %s), a "
			   "thread %.0fx a coroutine (%s)%s", rpt,
			   lab_fmt_ns(fa, sizeof(fa), ln->f[LAB_PROC].v),
			   lab_fmt_ns(fb, sizeof(fb), ln->f[LAB_THREAD].v), rtc,
			   lab_fmt_ns(fc, sizeof(fc), ln->f[LAB_CORO].v), shown);
	else if (lab_clearly_above(&ln->f[LAB_THREAD], &ln->f[LAB_PROC]) ||
		 lab_clearly_above(&ln->f[LAB_CORO], &ln->f[LAB_THREAD]))
		lab_reason(r, LAB_REFUTED, "the order is not process > thread > coroutine here "
			   "(process/thread %.2fx, thread/coroutine %.2fx)", rpt, rtc);
	else
		lab_reason(r, LAB_DEPENDS, "the repetitions overlap (process/thread %.2fx, "
			   "thread/coroutine %.1fx): no clear order on this run", rpt, rtc);
}
