/* Evidence: one pass over a recorded trace file through the analysis API
 * (switch classes, switch-in path, tasks created, coroutine switches),
 * the verify API (kernel entries inside coroutine switches), and counts
 * about the workload's own threads, the "sides" it printed. */
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "lab.h"
#include "ss.h"
#include "trace.h"

/* The sides map holds 0 for a side, 1 for a side that has exited. */
static int is_side(const struct lab_ev *ev, uint32_t tid)
{
	return tid && ev->sides && ss_idmap_get(ev->sides, tid) >= 0;
}

/* A side that has not begun to exit. An exiting task drops its mm
 * (exit_mm) and a switch to or from it is no hand-over: the recorder
 * classes a switch between two exiting threads of one process as
 * process-class (different mm: NULL). */
static int is_live_side(const struct lab_ev *ev, uint32_t tid)
{
	return tid && ev->sides && ss_idmap_get(ev->sides, tid) == 0;
}

static int add_sides(struct lab_ev *ev, const char *spec)
{
	const char *p = spec;
	char *end;

	ev->sides = ss_idmap_new();
	if (!ev->sides)
		return -1;
	while (p && *p) {
		unsigned long t = strtoul(p, &end, 10);

		if (end == p)
			break;
		if (t && ss_idmap_get(ev->sides, t) < 0) {
			if (ss_idmap_put(ev->sides, t, 0))
				return -1;
			ev->nsides++;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

static void side_record(struct lab_ev *ev, const struct ss_hdr *h)
{
	switch (h->type) {
	case SS_EV_SWITCH: {
		const struct ss_switch *e = (const void *)h;
		unsigned int cls = e->cls < SS_CLASS_MAX ? e->cls : SS_CLASS_KTHREAD;

		int between = is_live_side(ev, e->prev_tid) && is_live_side(ev, e->next_tid);

		if (is_side(ev, e->prev_tid))
			ev->side_out[cls]++;
		ev->between[cls] += between;
		if (h->cpu < ev->ncpu)
			ev->last[h->cpu] = (struct lab_cpu_last){ e->prev_tid, between };
		break;
	}
	case SS_EV_WAKING: {
		const struct ss_wakeup *e = (const void *)h;

		if (is_side(ev, e->tid)) {
			int cross = e->target_cpu != h->cpu;

			ev->side_wakings++;
			ev->side_wakings_cross += cross;
			/* a hand-over, not the start signal or a migration */
			if (is_side(ev, e->waker_tid)) {
				ev->handover_wakings++;
				ev->handover_wakings_cross += cross;
			}
		}
		break;
	}
	case SS_EV_SYSCALL: {
		const struct ss_syscall *e = (const void *)h;

		if (is_side(ev, e->tid))
			ev->side_syscalls++;
		break;
	}
	case SS_EV_FAULT: {
		const struct ss_fault *e = (const void *)h;

		if (is_side(ev, e->tid))
			ev->side_faults++;
		break;
	}
	case SS_EV_MIGRATE: {
		const struct ss_migrate *e = (const void *)h;

		if (is_side(ev, e->tid))
			ev->side_migrations++;
		break;
	}
	case SS_EV_EXIT: {
		const struct ss_exit *e = (const void *)h;

		/* allocation failure keeps it a live side: counted as before */
		if (is_side(ev, e->tid))
			ss_idmap_put(ev->sides, e->tid, 1);
		break;
	}
	case SS_EV_TLB: {
		const struct ss_tlb *e = (const void *)h;

		/* the flush of an mm switch comes right after its sched_switch,
		 * on the same CPU, with the switch's prev as current task */
		if (h->cpu < ev->ncpu && ev->last[h->cpu].between &&
		    ev->last[h->cpu].prev == e->tid) {
			ev->side_tlb++;
			if (e->pages == (uint64_t)-1)
				ev->side_tlb_full++;
			else if (e->pages)
				ev->side_tlb_partial++;
		}
		break;
	}
	}
}

int lab_evidence(const char *path, const char *sides, struct lab_ev *ev)
{
	const struct ss_trailer *tr;
	const struct ss_task *tasks;
	const struct ss_meta *m;
	const uint32_t *targets;
	const struct ss_hdr *h;
	struct ss_reader *r;
	size_t ntasks, ntargets;
	char err[512];
	int code;

	memset(ev, 0, sizeof(*ev));
	r = ss_reader_open(path, err, sizeof(err), &code);
	if (!r) {
		ss_err("%s", err);
		return code;
	}
	m = ss_reader_meta(r);
	tasks = ss_reader_tasks(r, &ntasks);
	ev->ncpu = m->ncpu;
	ev->last = calloc(m->ncpu ? m->ncpu : 1, sizeof(*ev->last));
	if (!ev->last || ss_analysis_init(&ev->a, m, tasks, ntasks) ||
	    (sides && add_sides(ev, sides)))
		goto oom;
	targets = ss_reader_targets(r, &ntargets);
	ss_analysis_targets(&ev->a, targets, ntargets);
	ev->have_syscalls = !!(m->flags & SS_META_SYSCALLS);
	if (ev->have_syscalls && ss_verify_init(&ev->v, m->machine))
		goto oom;
	while (ss_reader_next(r, &h) == 1) {
		ss_analysis_add(&ev->a, h, NULL);
		if (ev->have_syscalls)
			ss_verify_add(&ev->v, h);
		if (ev->sides)
			side_record(ev, h);
	}
	tr = ss_reader_trailer(r);
	ss_analysis_finish(&ev->a, tr ? tr->end_ns : 0);
	if (tr && tr->lost > ev->a.lost)
		ev->a.lost = tr->lost;
	ev->damaged = ss_reader_report_damage(r, path) != SS_OK;
	for (size_t i = 0; ev->sides && i < ev->a.nthreads; i++)
		if (is_side(ev, ev->a.threads[i]->tid) && ev->a.threads[i]->sw_out)
			ev->sides_seen++;
	/* The analysis points into the reader's metadata: the reader is
	 * no longer needed once the pass is over. */
	ev->a.meta = NULL;
	ss_reader_close(r);
	if (!ev->a.oom)
		return SS_OK;
	lab_evidence_free(ev);
	return SS_EXIT_INTERNAL;
oom:
	ss_reader_close(r);
	ev->a.meta = NULL;
	lab_evidence_free(ev);
	return SS_EXIT_INTERNAL;
}

void lab_evidence_free(struct lab_ev *ev)
{
	ss_analysis_free(&ev->a);
	if (ev->have_syscalls)
		ss_verify_free(&ev->v);
	if (ev->sides)
		ss_idmap_free(ev->sides);
	free(ev->last);
	memset(ev, 0, sizeof(*ev));
}

void lab_evidence_counts(struct lab_row *r, const char *prefix, const struct lab_ev *ev)
{
	static const char *const cls[SS_CLASS_MAX] = {
		"thread", "process", "to_idle", "from_idle", "kthread",
	};
	char k[48];

#define C(name, v) do { snprintf(k, sizeof(k), "%s.%s", prefix, name); lab_count(r, k, (double)(v)); } while (0)
	C("records", ev->a.records);
	C("lost", ev->a.lost);
	for (int c = 0; c < SS_CLASS_MAX; c++) {
		char n[40];

		snprintf(n, sizeof(n), "switches_%s", cls[c]);
		C(n, ev->a.sw_class[c]);
		if (!ev->sides)
			continue;
		snprintf(n, sizeof(n), "side_to_side_%s", cls[c]);
		C(n, ev->between[c]);
		snprintf(n, sizeof(n), "side_out_%s", cls[c]);
		C(n, ev->side_out[c]);
	}
	C("processes_created", ev->a.procs_created);
	C("threads_created", ev->a.threads_created);
	C("coro_create", ev->a.count[SS_EV_CORO_CREATE]);
	C("coro_switch", ev->a.count[SS_EV_CORO_SWITCH]);
	C("migrations", ev->a.migrations);
	C("tlb_flush", ev->a.tlb_switch);
	C("tlb_flush_full", ev->a.tlb_flush_full);
	C("tlb_flush_partial", ev->a.tlb_flush_partial);
	if (ev->sides) {
		C("sides", ev->nsides);
		C("sides_seen", ev->sides_seen);
		C("side_migrations", ev->side_migrations);
		C("side_wakings", ev->side_wakings);
		C("side_wakings_cross_cpu", ev->side_wakings_cross);
		C("handover_wakings", ev->handover_wakings);
		C("handover_wakings_cross_cpu", ev->handover_wakings_cross);
		C("side_tlb_flush", ev->side_tlb);
		C("side_tlb_flush_full", ev->side_tlb_full);
		C("side_tlb_flush_partial", ev->side_tlb_partial);
		if (ev->have_syscalls) {
			C("side_syscalls", ev->side_syscalls);
			C("side_faults", ev->side_faults);
		}
	}
	if (ev->have_syscalls && ev->a.count[SS_EV_CORO_SWITCH]) {
		C("verify_switches", ev->v.switches);
		C("verify_kernel_entries", ev->v.entries);
		C("verify_violating_switches", ev->v.violations);
		C("verify_preemptions", ev->v.preemptions);
		C("verify_excluded_probe_syscalls", ev->v.excluded_uprobe);
	}
#undef C
}
