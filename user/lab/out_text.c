/* The lab's table, 80 columns: a header row, a units note per row, a
 * rule; under each claim its measured lines, the trace evidence and the
 * verdict with its reason. */
#include <string.h>

#include "lab.h"
#include "ss.h"

#define WIDTH 79

static void wrap(FILE *f, const char *first, int indent, const char *text)
{
	ss_wrap(f, first, indent, WIDTH, text);
}

void lab_cpu_words(char *buf, size_t len, const struct ss_cpu_caps *c)
{
	static const char *const yn[] = { "unknown", "no", "yes" };

	if (c->pcid == SS_FLAG_UNKNOWN)
		snprintf(buf, len, "no x86 flags in /proc/cpuinfo: PCID does not apply%s%s",
			 c->idle[0] ? "; cpuidle " : "", c->idle);
	else
		snprintf(buf, len, "PCID %s, INVPCID %s, hypervisor %s (/proc/cpuinfo flags)%s%s",
			 yn[c->pcid], yn[c->invpcid], yn[c->hypervisor],
			 c->idle[0] ? "; cpuidle " : "", c->idle);
}

void lab_vm_note(char *buf, size_t len, const struct ss_cpu_caps *c)
{
	if (c->hypervisor == SS_FLAG_YES)
		snprintf(buf, len, "across CPUs: a side that waits is woken from the other CPU. This is a VM "
			 "(hypervisor CPU flag%s%s): where the other vCPU had gone idle and "
			 "halted, it is woken through the hypervisor, so these figures depend "
			 "on the VM as well as on the scheduler. Compare the pinned one-CPU "
			 "figures.",
			 c->idle[0] ? ", cpuidle " : "", c->idle);
	else
		snprintf(buf, len, "across CPUs: a side that waits is woken from the other CPU, so these "
			 "figures depend on how soon this machine wakes an idle CPU%s%s%s. "
			 "Compare the pinned one-CPU figures.", c->idle[0] ? " (cpuidle " : "",
			 c->idle, c->idle[0] ? ")" : "");
}

static const char *fmt_fig(char *buf, size_t len, const struct lab_fig *g, enum lab_unit u)
{
	if (!g->n)
		return "-";
	switch (u) {
	case LAB_NS:
		return lab_fmt_ns(buf, len, g->v);
	case LAB_BYTES:
		return lab_fmt_bytes(buf, len, g->v);
	case LAB_COUNT:
		snprintf(buf, len, "%.0f", g->v);
		return buf;
	case LAB_RATE:
		snprintf(buf, len, "%.2f", g->v);
		return buf;
	}
	return "-";
}

static const char *fmt_ratio(char *buf, size_t len, const struct lab_fig *a,
			     const struct lab_fig *b)
{
	double r = lab_ratio(a, b);

	if (!r)
		return "-";
	snprintf(buf, len, r >= 100 ? "%.0fx" : r >= 10 ? "%.1fx" : "%.2fx", r);
	return buf;
}

static void header(FILE *f, const struct lab *L)
{
	const struct lab_limits *l = &L->lim;
	char a[32], b[32], t[SS_DUR_BUF], line[400];

	fprintf(f, "switchscope lab on %s: Linux %s, %u CPUs, %s%s\n", L->host, L->release,
		L->ncpu, ss_fmt_dur(t, sizeof(t), L->elapsed_ns), L->o.quick ? " (--quick)" : "");
	if (L->trace_ok)
		snprintf(line, sizeof(line), "recorded with bpf into %s/traces/; every trace "
			 "count below is read back from those files", L->o.dir);
	else
		snprintf(line, sizeof(line), "NOT RECORDED: %s. The figures are measured; the "
			 "trace evidence is missing.", L->trace_why);
	wrap(f, "trace:", 7, line);
	snprintf(line, sizeof(line), "pid_max %llu (%llu tasks now), threads-max %llu, "
		 "RLIMIT_NPROC %s, vm.max_map_count %llu, MemAvailable %s%s%s; runs capped at "
		 "%llu processes, %llu threads, %llu coroutines, %s of memory (%s), %.1f s each",
		 (unsigned long long)l->pid_max, (unsigned long long)l->tasks_now,
		 (unsigned long long)l->threads_max,
		 l->nproc_applies ? "applies" : "not applied (root)",
		 (unsigned long long)l->max_map_count,
		 lab_fmt_bytes(a, sizeof(a), (double)l->mem_avail),
		 l->cg_pids_max ? ", cgroup pids.max " : "",
		 l->cg_pids_max ? (snprintf(b, sizeof(b), "%llu", (unsigned long long)l->cg_pids_max), b) : "",
		 (unsigned long long)l->cap[LAB_PROC], (unsigned long long)l->cap[LAB_THREAD],
		 (unsigned long long)l->cap[LAB_CORO],
		 lab_fmt_bytes(t, sizeof(t), (double)l->budget), l->budget_why,
		 l->time_limit_ms / 1000.0);
	wrap(f, "limits:", 8, line);
	lab_cpu_words(line, sizeof(line), &L->lim.cpu);
	wrap(f, "cpu:", 5, line);
	wrap(f, "figures:", 9, "untraced, the median of repetitions; trace: a traced run of "
	     "the same workload");
	fputc('\n', f);
	fprintf(f, "   %-21s %10s %10s %10s %8s %8s\n", "", "process", "thread", "coroutine",
		"p/t", "t/c");
	fprintf(f, "%.*s\n", WIDTH, "------------------------------------------------------"
		"------------------------------------------------------");
}

static void row(FILE *f, const struct lab *L, const struct lab_row *r, int num, int *vm_seen)
{
	char head[16], verdict[32], a[32], b[32], c[32], d[32], e[32];

	snprintf(head, sizeof(head), "%d.", num);
	wrap(f, head, 3, r->claim);
	wrap(f, "  ", 3, r->measure);
	for (int i = 0; i < r->nlines; i++) {
		const struct lab_line *l = &r->line[i];
		char label[32];

		snprintf(label, sizeof(label), "%s%s", l->label, l->vm ? " *" : "");
		*vm_seen |= l->vm;
		fprintf(f, "   %-21s %10s %10s %10s %8s %8s\n", label,
			fmt_fig(a, sizeof(a), &l->f[LAB_PROC], l->unit),
			fmt_fig(b, sizeof(b), &l->f[LAB_THREAD], l->unit),
			fmt_fig(c, sizeof(c), &l->f[LAB_CORO], l->unit),
			fmt_ratio(d, sizeof(d), &l->f[LAB_PROC], &l->f[LAB_THREAD]),
			fmt_ratio(e, sizeof(e), &l->f[LAB_THREAD], &l->f[LAB_CORO]));
	}
	if (r->evidence[0])
		wrap(f, "   trace:", 10, r->evidence);
	if (!L->trace_ok) {
		wrap(f, "   trace:", 10, "missing: nothing was recorded (see \"trace:\" at the top)");
	} else if (r->missing[0]) {
		char m[400];

		snprintf(m, sizeof(m), "missing: %s", r->missing);
		wrap(f, "   trace:", 10, m);
	}
	for (int i = 0; i < r->nchecks; i++)
		if (!r->check[i].ok) {
			char m[256];

			snprintf(m, sizeof(m), "%s: got %s", r->check[i].what, r->check[i].got);
			wrap(f, "   CHECK FAILED:", 17, m);
		}
	snprintf(verdict, sizeof(verdict), "   %s:", lab_verdict_name[r->verdict]);
	for (char *p = verdict; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p -= 'a' - 'A';
	wrap(f, verdict, 5, r->reason);
	fputc('\n', f);
}

void lab_print_text(FILE *f, const struct lab *L)
{
	int vm = 0, failed = 0;

	header(f, L);
	for (int i = 0; i < L->nrows; i++)
		row(f, L, &L->row[i], i + 1, &vm);
	if (vm) {
		char line[400];

		lab_vm_note(line, sizeof(line), &L->lim.cpu);
		wrap(f, "*", 2, line);
	}
	for (int i = 0; i < L->nrows; i++)
		for (int j = 0; j < L->row[i].nchecks; j++)
			failed += !L->row[i].check[j].ok;
	fprintf(f, "%s", vm ? "\n" : "");
	{
		int checks = 0;
		char line[200];

		for (int i = 0; i < L->nrows; i++)
			checks += L->row[i].nchecks;
		snprintf(line, sizeof(line), "%d of %d consistency checks between the "
			 "workloads and their traces passed", checks - failed, checks);
		wrap(f, "checks:", 8, line);
	}
	if (L->mixed_html[0]) {
		char line[PATH_MAX * 2 + 100];

		snprintf(line, sizeof(line), "%s/mixed.html (open it in a browser), from "
			 "%s/traces/mixed.trace (%llu records of processes, threads and "
			 "coroutines running at once)", L->o.dir, L->o.dir,
			 (unsigned long long)L->mixed_records);
		wrap(f, "timeline:", 10, line);
	} else if (L->mixed_why[0]) {
		wrap(f, "timeline:", 10, L->mixed_why);
	}
}
