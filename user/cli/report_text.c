/* switchscope report as tables: a header row, a units row, a rule. */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "ss.h"
#include "trigger_desc.h"

#define RULE "--------------------------------------------------------------------------------"

static void section(FILE *f, const char *title)
{
	fprintf(f, "\n%s\n%.*s\n", title, (int)strlen(title), RULE);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0;
}

static void print_lost(FILE *f, struct ss_analysis *a)
{
	section(f, "LOST EVENTS");
	fprintf(f, "%llu records were lost before reaching the file; figures below "
		"are missing them.\n", (unsigned long long)a->lost);
	for (unsigned int i = 0; i < a->ncpu; i++)
		if (a->lost_cpu[i])
			fprintf(f, "  cpu %-4u %llu lost\n", i,
				(unsigned long long)a->lost_cpu[i]);
}

/* A flight recorder dump: what made it, at the top. */
static void print_triggers(FILE *f, struct ss_analysis *a)
{
	char desc[256], at[SS_DUR_BUF];

	section(f, "TRIGGERS (record --flight)");
	for (uint64_t i = 0; i < a->ntriggers && i < SS_ANALYSIS_TRIGGERS; i++) {
		const struct ss_trigger *t = &a->triggers[i];

		fprintf(f, "  at %s, cpu %u: %s%s\n",
			ss_fmt_dur(at, sizeof(at), t->hdr.ts > a->start_ns ? t->hdr.ts - a->start_ns : 0),
			t->hdr.cpu, ss_trigger_desc(desc, sizeof(desc), t, a->meta->machine),
			t->dump ? "" : " (started no dump: one was pending or too recent)");
	}
	if (a->ntriggers > SS_ANALYSIS_TRIGGERS)
		fprintf(f, "  and %llu more\n",
			(unsigned long long)(a->ntriggers - SS_ANALYSIS_TRIGGERS));
}

static void print_header(FILE *f, struct ss_analysis *a, const struct report_opts *o)
{
	const struct ss_meta *m = a->meta;
	char d[SS_DUR_BUF];

	fprintf(f, "switchscope report: %s\n", o->path);
	fprintf(f, "  host %s, %s %s %s, %u CPUs, backend %s\n", m->hostname,
		m->sysname, m->release, m->machine, m->ncpu,
		m->backend == SS_BACKEND_KMOD ? "kmod" : "bpf");
	fprintf(f, "  traced: %s\n", m->cmdline);
	fprintf(f, "  %llu records over %s\n", (unsigned long long)a->records,
		ss_fmt_dur(d, sizeof(d), a->end_ns > a->start_ns ? a->end_ns - a->start_ns : 0));
}

static void print_classes(FILE *f, struct ss_analysis *a)
{
	uint64_t total = 0, vol = 0, invol = 0;

	section(f, "SWITCHES BY CLASS");
	fprintf(f, "%-12s %10s %7s %10s %10s\n", "class", "switches", "share",
		"voluntary", "involuntary");
	fprintf(f, "%-12s %10s %7s %10s %10s\n", "", "", "%", "(blocked)", "(preempted)");
	for (unsigned int c = 0; c < SS_CLASS_MAX; c++)
		total += a->sw_class[c];
	for (unsigned int c = 0; c < SS_CLASS_MAX; c++) {
		fprintf(f, "%-12s %10llu %7.1f %10llu %10llu\n", ss_class_name(c),
			(unsigned long long)a->sw_class[c], pct(a->sw_class[c], total),
			(unsigned long long)a->sw_class_vol[c],
			(unsigned long long)a->sw_class_invol[c]);
		vol += a->sw_class_vol[c];
		invol += a->sw_class_invol[c];
	}
	fprintf(f, "%-12s %10llu %7.1f %10llu %10llu\n", "total",
		(unsigned long long)total, total ? 100.0 : 0, (unsigned long long)vol,
		(unsigned long long)invol);
	fprintf(f, "thread: same address space; process: mm switch. %llu switches "
		"had the kernel's preempt flag.\n", (unsigned long long)a->sw_preempt_flag);
	if (a->tlb_switch) {
		struct ss_tlb_counts t = { a->tlb_switch, a->tlb_flush_full, a->tlb_flush_partial };
		struct ss_cpu_caps c = { 0 };
		char w[400];

		/* the trace does not carry the CPU's flags: this machine's are
		 * the recording CPU's only when it was recorded here, this boot */
		if (ss_meta_this_boot(a->meta))
			ss_cpu_caps_read(&c);
		fprintf(f, "mm switches seen by tlb_flush: %llu (full flush %llu, partial %llu, "
			"no flush %llu)\n", (unsigned long long)t.mm_switches,
			(unsigned long long)t.full, (unsigned long long)t.partial,
			(unsigned long long)(t.mm_switches - t.full - t.partial));
		ss_wrap(f, "", 0, 80, ss_tlb_words(w, sizeof(w), &t, c.pcid,
						   "the recording CPU (this host, this boot)"));
	}
}

static void stats_header(FILE *f, const char *first)
{
	fprintf(f, "%-12s %9s %9s %9s %9s %9s %9s %9s\n", first, "count", "min",
		"avg", "p50", "p90", "p99", "max");
}

static void print_switch_in(FILE *f, struct ss_analysis *a)
{
	int any = 0;

	for (unsigned int c = 0; c < SS_CLASS_MAX; c++)
		any |= a->swin_class[c].count != 0;
	section(f, "SWITCH-IN PATH (sched_switch -> the task's return to user mode)");
	if (!(a->meta->flags & SS_META_SWITCH_IN)) {
		fprintf(f, "not recorded (switchscope record --switch-in)\n");
		return;
	}
	if (!any) {
		fprintf(f, "no switch-in ended in a traced sys_exit\n");
		return;
	}
	stats_header(f, "class");
	for (unsigned int c = 0; c < SS_CLASS_MAX; c++) {
		if (!a->swin_class[c].count)
			continue;
		fprintf(f, "%-12s", ss_class_name(c));
		ss_hist_row(f, &a->swin_class[c]);
		fputc('\n', f);
	}
}

static void print_wait(FILE *f, struct ss_analysis *a)
{
	section(f, "RUN-QUEUE LATENCY (runnable -> on CPU), traced tasks");
	if (!a->wait_all.count) {
		fprintf(f, "no wait measured\n");
		return;
	}
	stats_header(f, "");
	fprintf(f, "%-12s", "all");
	ss_hist_row(f, &a->wait_all);
	fputc('\n', f);
	fputc('\n', f);
	ss_hist_print_log2(f, &a->wait_all, "usecs", 1000);
}

struct proc_row {
	uint32_t tgid;
	const char *comm;
	uint64_t threads, out, vol, invol, cls[SS_CLASS_MAX], coro;
};

static void print_processes(FILE *f, struct ss_analysis *a, struct ss_thread **v,
			    size_t n, const struct report_opts *o)
{
	struct proc_row *p = calloc(n + 1, sizeof(*p));
	size_t np = 0;

	if (!p)
		return;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < np && p[j].tgid != v[i]->tgid; j++)
			;
		if (j == np) {
			p[np].tgid = v[i]->tgid;
			p[np].comm = ss_thread_name(a, v[i]->tgid);
			np++;
		}
		p[j].threads++;
		p[j].out += v[i]->sw_out;
		p[j].vol += v[i]->vol;
		p[j].invol += v[i]->invol;
		p[j].coro += v[i]->coro_sw;
		for (unsigned int c = 0; c < SS_CLASS_MAX; c++)
			p[j].cls[c] += v[i]->out_by_class[c];
	}
	section(f, "PER PROCESS (switches out of its threads)");
	fprintf(f, "%7s %-16s %4s %9s %8s %8s %8s %8s %9s\n", "pid", "comm", "thr",
		"switches", "thread", "process", "vol", "invol", "coroutine");
	for (size_t j = 0; j < np && (!o->max_rows || j < o->max_rows); j++)
		fprintf(f, "%7u %-16s %4llu %9llu %8llu %8llu %8llu %8llu %9llu\n",
			p[j].tgid, p[j].comm, (unsigned long long)p[j].threads,
			(unsigned long long)p[j].out,
			(unsigned long long)p[j].cls[SS_CLASS_THREAD],
			(unsigned long long)p[j].cls[SS_CLASS_PROCESS],
			(unsigned long long)p[j].vol, (unsigned long long)p[j].invol,
			(unsigned long long)p[j].coro);
	if (o->max_rows && np > o->max_rows)
		fprintf(f, "(%zu more; -n 0 shows all)\n", np - o->max_rows);
	free(p);
}

static void print_threads(FILE *f, struct ss_analysis *a, struct ss_thread **v,
			  size_t n, const struct report_opts *o)
{
	char b[6][SS_DUR_BUF];
	size_t rows = o->max_rows && n > o->max_rows ? o->max_rows : n;

	section(f, "PER THREAD");
	fprintf(f, "%7s %7s %-15s %6s %6s %6s %6s %8s %8s %8s\n", "tid", "pid",
		"comm", "in", "out", "vol", "invol", "run", "sleep", "wait");
	for (size_t i = 0; i < rows; i++) {
		struct ss_thread *t = v[i];

		fprintf(f, "%7u %7u %-15.15s %6llu %6llu %6llu %6llu %8s %8s %8s\n",
			t->tid, t->tgid, t->comm, (unsigned long long)t->sw_in,
			(unsigned long long)t->sw_out, (unsigned long long)t->vol,
			(unsigned long long)t->invol,
			ss_fmt_dur(b[0], SS_DUR_BUF, t->run_ns),
			ss_fmt_dur(b[1], SS_DUR_BUF, t->sleep_ns),
			ss_fmt_dur(b[2], SS_DUR_BUF, t->wait_ns));
	}
	if (rows < n)
		fprintf(f, "(%zu more; -n 0 shows all)\n", n - rows);

	section(f, "PER THREAD LATENCY: run-queue wait and switch-in path");
	fprintf(f, "%7s %-15s %8s %8s %8s %8s %8s %8s %8s\n", "tid", "comm",
		"waits", "p50", "p99", "max", "swin", "p50", "p99");
	for (size_t i = 0; i < rows; i++) {
		struct ss_thread *t = v[i];
		static const struct ss_hist none;
		const struct ss_hist *w = t->wait ? t->wait : &none;
		const struct ss_hist *s = t->swin ? t->swin : &none;

		fprintf(f, "%7u %-15.15s %8llu %8s %8s %8s %8llu %8s %8s\n", t->tid,
			t->comm, (unsigned long long)w->count,
			ss_fmt_dur(b[0], SS_DUR_BUF, ss_hist_quantile(w, 0.5)),
			ss_fmt_dur(b[1], SS_DUR_BUF, ss_hist_quantile(w, 0.99)),
			ss_fmt_dur(b[2], SS_DUR_BUF, w->max), (unsigned long long)s->count,
			ss_fmt_dur(b[3], SS_DUR_BUF, ss_hist_quantile(s, 0.5)),
			ss_fmt_dur(b[4], SS_DUR_BUF, ss_hist_quantile(s, 0.99)));
		if (o->hist && t->wait) {
			fprintf(f, "\n  run-queue latency of %s[%u]\n", t->comm, t->tid);
			ss_hist_print_log2(f, t->wait, "usecs", 1000);
			fputc('\n', f);
		}
	}
}

static void print_created(FILE *f, struct ss_analysis *a, struct ss_thread **v,
			  size_t n)
{
	section(f, "TASKS CREATED");
	fprintf(f, "%llu processes (fork/clone without CLONE_THREAD), %llu threads "
		"(CLONE_THREAD)\n", (unsigned long long)a->procs_created,
		(unsigned long long)a->threads_created);
	if (!a->procs_created && !a->threads_created)
		return;
	fprintf(f, "%7s %7s %-16s %10s %10s\n", "tid", "pid", "parent", "processes",
		"threads");
	for (size_t i = 0; i < a->nthreads; i++) {
		struct ss_thread *t = a->threads[i];

		if (t->made_procs || t->made_threads)
			fprintf(f, "%7u %7u %-16s %10llu %10llu\n", t->tid, t->tgid,
				t->comm, (unsigned long long)t->made_procs,
				(unsigned long long)t->made_threads);
	}
	(void)v;
	(void)n;
}

static void print_coroutines(FILE *f, struct ss_analysis *a, struct ss_thread **v,
			     size_t n, const struct report_opts *o)
{
	char b[6][SS_DUR_BUF];
	size_t rows = 0, reused = 0;

	section(f, "KERNEL vs COROUTINE SWITCHES, per thread");
	fprintf(f, "%7s %-15s %8s %9s %8s %8s %8s %8s\n", "tid", "comm", "kernel",
		"coroutine", "co/s", "co p50", "co p99", "swin p50");
	for (size_t i = 0; i < n; i++) {
		struct ss_thread *t = v[i];
		double secs = (a->end_ns - a->start_ns) / 1e9;

		if (!t->coro_sw)
			continue;
		if (o->max_rows && rows++ >= o->max_rows)
			break;
		fprintf(f, "%7u %-15.15s %8llu %9llu %8.0f %8s %8s %8s\n", t->tid, t->comm,
			(unsigned long long)(t->sw_in + t->sw_out),
			(unsigned long long)t->coro_sw, secs > 0 ? t->coro_sw / secs : 0,
			ss_fmt_dur(b[0], SS_DUR_BUF, ss_hist_quantile(t->coro_cost, 0.5)),
			ss_fmt_dur(b[1], SS_DUR_BUF, ss_hist_quantile(t->coro_cost, 0.99)),
			t->swin ? ss_fmt_dur(b[2], SS_DUR_BUF, ss_hist_quantile(t->swin, 0.5)) : "-");
	}
	fprintf(f, "\ncoroutine switch cost (user-measured), all threads:\n");
	stats_header(f, "");
	fprintf(f, "%-12s", "coroutine");
	ss_hist_row(f, &a->coro_cost);
	fputc('\n', f);

	section(f, "PER COROUTINE");
	fprintf(f, "%7s %8s %8s %8s %8s %8s %8s %6s %5s %6s\n", "pid", "coro", "in",
		"run", "parked", "chan", "fd", "sleep", "preem", "moves");
	rows = 0;
	for (size_t i = 0; i < a->ncoros; i++) {
		struct ss_coro *c = a->coros[i];
		uint64_t parked = 0;

		if (o->max_rows && rows++ >= o->max_rows) {
			fprintf(f, "(%zu more; -n 0 shows all)\n", a->ncoros - o->max_rows);
			break;
		}
		for (int r = 0; r < SS_PARK_MAX; r++)
			parked += c->parked_ns[r];
		fprintf(f, "%7u %8llu %8llu %8s %8s %8s %8s %6s %5llu %6llu\n", c->tgid,
			(unsigned long long)c->id, (unsigned long long)c->switches_in,
			ss_fmt_dur(b[0], SS_DUR_BUF, c->run_ns),
			ss_fmt_dur(b[1], SS_DUR_BUF, parked),
			ss_fmt_dur(b[2], SS_DUR_BUF, c->parked_ns[SS_PARK_CHANNEL]),
			ss_fmt_dur(b[3], SS_DUR_BUF, c->parked_ns[SS_PARK_FD]),
			ss_fmt_dur(b[4], SS_DUR_BUF, c->parked_ns[SS_PARK_SLEEP]),
			(unsigned long long)c->preempted, (unsigned long long)c->moves);
	}
	fprintf(f, "preem: involuntary kernel switches of the thread while this "
		"coroutine ran; moves: switches in on another thread than its last\n");
	for (size_t i = 0; i < a->ncoros; i++)
		reused += a->coros[i]->creates > 1;
	if (reused)
		fprintf(f, "coroutine ids created more than once: %zu (the runtime "
			"reuses ids); a row sums every coroutine of its id\n", reused);
}

void report_text(FILE *f, struct ss_analysis *a, const struct report_opts *o)
{
	size_t n;
	struct ss_thread **v = report_threads(a, &n);

	print_header(f, a, o);
	if (a->ntriggers)
		print_triggers(f, a);
	if (a->lost)
		print_lost(f, a);
	print_classes(f, a);
	print_switch_in(f, a);
	print_wait(f, a);
	report_cgroups_text(f, a, o);
	if (v) {
		print_processes(f, a, v, n, o);
		print_threads(f, a, v, n, o);
	}
	print_created(f, a, v, n);
	if (a->coro_switches || a->ncoros)
		print_coroutines(f, a, v, n, o);
	free(v);
}
