/* Row: switch cost against the number of ping-pong pairs (2, 16, 256),
 * everything on CPU 0: do coroutines win by more when there are more
 * threads? The traced runs at the largest count show every side switching
 * and how long a woken thread waits behind the others. */
#include <string.h>

#include "lab.h"
#include "pingpong.h"
#include "ss.h"

static const unsigned int npairs[] = { 2, 16, 256 };
#define NP (sizeof(npairs) / sizeof(npairs[0]))

static const char *const pp_kind[LAB_KINDS] = { "process", "thread", "coro" };
static const char *const pp_via[LAB_KINDS] = { "futex", "futex", "yield" };

static uint64_t rounds_for(uint64_t handovers, unsigned int pairs)
{
	uint64_t r = handovers / (2 * (uint64_t)pairs);

	return r < 20 ? 20 : r;
}

void lab_exp_pairs(struct lab *L)
{
	struct lab_row *r = lab_row_new(L, "pairs",
		"with more threads, coroutines win by more",
		"the pinned ping-pong with 2, 16 and 256 pairs at once on CPU 0: time per "
		"hand-over");
	uint64_t h_kernel = L->o.quick ? 20000 : 100000, h_coro = h_kernel * 10;
	struct lab_samples s[NP][LAB_KINDS] = { 0 };
	int reps = L->o.quick ? 2 : 3;
	uint64_t wait_p50 = 0;
	double ratio[NP] = { 0 };
	struct lab_line *ln[NP];
	char a[SS_DUR_BUF], b[SS_DUR_BUF], c[SS_DUR_BUF], d[SS_DUR_BUF];

	lab_progress(L, "pairs: 2, 16, 256 pairs, %d rounds", reps);
	for (int rep = 0; rep < reps; rep++)
		for (size_t i = 0; i < NP; i++)
			for (int k = 0; k < LAB_KINDS; k++) {
				struct lab_pp p = { pp_kind[k], pp_via[k], "0",
						    rounds_for(k == LAB_CORO ? h_coro : h_kernel,
							       npairs[i]), npairs[i], NULL };

				lab_pp_measure(L, &p, &s[i][k], NULL, NULL);
			}
	for (size_t i = 0; i < NP; i++) {
		char label[24];

		snprintf(label, sizeof(label), "%u pairs", npairs[i]);
		ln[i] = lab_line(r, label, LAB_NS);
		for (int k = 0; k < LAB_KINDS; k++)
			ln[i]->f[k] = lab_fig_of(&s[i][k]);
		ratio[i] = lab_ratio(&ln[i]->f[LAB_THREAD], &ln[i]->f[LAB_CORO]);
	}

	for (int k = 0; k < LAB_KINDS; k++) {
		unsigned int big = npairs[NP - 1];
		/* coroutine probes cost microseconds a hit: short traced runs */
		struct lab_pp p = { pp_kind[k], pp_via[k], "0", k == LAB_CORO ? 4 : 20, big, NULL };
		struct lab_ev ev;
		char name[32];
		double h;

		if (k == LAB_CORO && L->o.quick && L->trace_ok) {
			lab_evidence_text(r, "the coroutine run is not traced with --quick");
			continue;
		}
		snprintf(name, sizeof(name), "pairs-%s", pp_kind[k]);
		if (lab_pp_evidence(L, r, &p, name, 0, &ev, &h))
			continue;
		if (k == LAB_CORO) {
			lab_check(r, ev.a.count[SS_EV_CORO_SWITCH] >= h,
				  "coro:switch probes >= hand-overs with 256 pairs", "%llu for %.0f",
				  (unsigned long long)ev.a.count[SS_EV_CORO_SWITCH], h);
			lab_check(r, ev.a.threads_created == 0,
				  "512 coroutines ran on the one thread: no thread created",
				  "%llu threads created", (unsigned long long)ev.a.threads_created);
			lab_evidence_text(r, "with %u coroutine pairs: %llu coro:switch on 1 thread",
					  big, (unsigned long long)ev.a.count[SS_EV_CORO_SWITCH]);
		} else {
			lab_check(r, ev.sides_seen == ev.nsides && ev.nsides == 2 * big,
				  k == LAB_PROC ? "every one of the 512 processes switched" :
				  "every one of the 512 threads switched", "%llu of %llu sides",
				  (unsigned long long)ev.sides_seen, (unsigned long long)ev.nsides);
			if (k == LAB_THREAD)
				wait_p50 = ss_hist_quantile(&ev.a.wait_all, 0.5);
			lab_evidence_text(r, "with %u %s pairs: %llu %s-class switches between "
					  "sides; %llu sides seen", big, lab_kind_name[k],
					  (unsigned long long)ev.between[k == LAB_PROC ?
						SS_CLASS_PROCESS : SS_CLASS_THREAD],
					  lab_kind_name[k], (unsigned long long)ev.sides_seen);
		}
		lab_evidence_free(&ev);
	}
	if (wait_p50) {
		lab_count(r, "pairs-thread.runqueue_wait_p50_ns", (double)wait_p50);
		lab_evidence_text(r, "with %u thread pairs on CPU 0 a woken thread waited %s "
				  "(p50) in the run queue, from its wakeup to being on the CPU",
				  npairs[NP - 1], ss_fmt_dur(a, sizeof(a), wait_p50));
	}

	if (!ratio[0] || !ratio[NP - 1]) {
		lab_reason(r, LAB_DEPENDS, "a workload failed: no comparison");
	} else {
		const struct lab_fig *t2 = &ln[0]->f[LAB_THREAD], *tn = &ln[NP - 1]->f[LAB_THREAD];
		const struct lab_fig *c2 = &ln[0]->f[LAB_CORO], *cn = &ln[NP - 1]->f[LAB_CORO];
		char how[200];

		snprintf(how, sizeof(how), "from 2 to %u pairs a thread hand-over went from %s "
			 "to %s (%.1fx), a coroutine's from %s to %s (%.1fx)", npairs[NP - 1],
			 lab_fmt_ns(a, sizeof(a), t2->v), lab_fmt_ns(b, sizeof(b), tn->v),
			 tn->v / t2->v, lab_fmt_ns(c, sizeof(c), c2->v),
			 lab_fmt_ns(d, sizeof(d), cn->v), cn->v / c2->v);
		/* a ratio of ratios carries the noise of four medians */
		if (ratio[NP - 1] >= 1.5 * ratio[0])
			lab_reason(r, LAB_CONFIRMED, "the gap grows from %.0fx to %.0fx: %s",
				   ratio[0], ratio[NP - 1], how);
		else if (ratio[NP - 1] * 1.5 <= ratio[0])
			lab_reason(r, LAB_REFUTED, "the gap shrinks from %.0fx to %.0fx: %s",
				   ratio[0], ratio[NP - 1], how);
		else
			lab_reason(r, LAB_DEPENDS, "coroutines win by about the same factor "
				   "(%.0fx, %.0fx, %.0fx): %s", ratio[0], ratio[1], ratio[NP - 1],
				   how);
	}
}
