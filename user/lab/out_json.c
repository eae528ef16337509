/* The lab as JSON (docs/LAB-JSON.md): the same rows as the table, with
 * every figure's spread, every trace count and every check. */
#include <math.h>
#include <string.h>

#include "lab.h"
#include "ss.h"

#define U(x) ((unsigned long long)(x))

static const char *const unit_name[] = { "ns", "bytes", "count", "per_handover" };

static void num(FILE *f, double v)
{
	if (!isfinite(v))
		fputs("null", f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.4g", v);
}

static void str_or_null(FILE *f, const char *s)
{
	if (s && *s)
		ss_json_str(f, s);
	else
		fputs("null", f);
}

static const char *flag(int v)
{
	return v == SS_FLAG_YES ? "true" : v == SS_FLAG_NO ? "false" : "null";
}

static void fig(FILE *f, const struct lab_fig *g)
{
	if (!g->n) {
		fputs("null", f);
		return;
	}
	fputs("{\"value\":", f);
	num(f, g->v);
	fputs(",\"min\":", f);
	num(f, g->lo);
	fputs(",\"max\":", f);
	num(f, g->hi);
	fprintf(f, ",\"runs\":%d}", g->n);
}

static void ratio(FILE *f, const struct lab_fig *a, const struct lab_fig *b)
{
	double r = lab_ratio(a, b);

	if (r)
		num(f, r);
	else
		fputs("null", f);
}

static void row(FILE *f, const struct lab_row *r)
{
	fputs("{\"id\":", f);
	ss_json_str(f, r->id);
	fputs(",\"claim\":", f);
	ss_json_str(f, r->claim);
	fputs(",\"measure\":", f);
	ss_json_str(f, r->measure);
	fputs(",\"lines\":[", f);
	for (int i = 0; i < r->nlines; i++) {
		const struct lab_line *l = &r->line[i];

		fprintf(f, "%s{\"label\":", i ? "," : "");
		ss_json_str(f, l->label);
		fprintf(f, ",\"unit\":\"%s\",\"vm_dependent\":%s", unit_name[l->unit],
			l->vm ? "true" : "false");
		for (int k = 0; k < LAB_KINDS; k++) {
			fprintf(f, ",\"%s\":", lab_kind_name[k]);
			fig(f, &l->f[k]);
		}
		fputs(",\"ratio\":{\"process_thread\":", f);
		ratio(f, &l->f[LAB_PROC], &l->f[LAB_THREAD]);
		fputs(",\"thread_coroutine\":", f);
		ratio(f, &l->f[LAB_THREAD], &l->f[LAB_CORO]);
		fputs("}}", f);
	}
	fprintf(f, "],\"verdict\":\"%s\",\"reason\":", lab_verdict_name[r->verdict]);
	ss_json_str(f, r->reason);
	fprintf(f, ",\"trace\":{\"available\":%s,\"missing\":",
		r->ntraces && !r->missing[0] ? "true" : "false");
	str_or_null(f, r->missing);
	fputs(",\"text\":", f);
	str_or_null(f, r->evidence);
	fputs(",\"files\":[", f);
	for (int i = 0; i < r->ntraces; i++) {
		fputs(i ? "," : "", f);
		ss_json_str(f, r->trace[i]);
	}
	fputs("],\"counts\":{", f);
	for (int i = 0; i < r->ncounts; i++) {
		fputs(i ? "," : "", f);
		ss_json_str(f, r->count[i].key);
		fputc(':', f);
		num(f, r->count[i].v);
	}
	fputs("}},\"checks\":[", f);
	for (int i = 0; i < r->nchecks; i++) {
		fprintf(f, "%s{\"what\":", i ? "," : "");
		ss_json_str(f, r->check[i].what);
		fprintf(f, ",\"ok\":%s,\"got\":", r->check[i].ok ? "true" : "false");
		ss_json_str(f, r->check[i].got);
		fputc('}', f);
	}
	fprintf(f, "],\"elapsed_ns\":%llu}", U(r->elapsed_ns));
}

static void limits(FILE *f, const struct lab_limits *l)
{
	fprintf(f, "{\"pid_max\":%llu,\"threads_max\":%llu,\"tasks_now\":%llu,"
		"\"rlimit_nproc\":%llu,\"rlimit_nproc_applies\":%s,\"user_tasks\":%llu,"
		"\"max_map_count\":%llu,\"mem_available\":%llu,\"cgroup_pids_max\":%llu,"
		"\"cgroup_pids_current\":%llu,\"cgroup_memory_max\":%llu,"
		"\"cgroup_memory_current\":%llu,\"overcommit_memory\":%d,\"caps\":{",
		U(l->pid_max), U(l->threads_max), U(l->tasks_now), U(l->nproc),
		l->nproc_applies ? "true" : "false", U(l->user_tasks), U(l->max_map_count),
		U(l->mem_avail), U(l->cg_pids_max), U(l->cg_pids_cur), U(l->cg_mem_max),
		U(l->cg_mem_cur), l->overcommit);
	for (int k = 0; k < LAB_KINDS; k++) {
		fprintf(f, "%s\"%s\":{\"max\":%llu,\"why\":", k ? "," : "", lab_kind_name[k],
			U(l->cap[k]));
		ss_json_str(f, l->cap_why[k]);
		fputc('}', f);
	}
	fprintf(f, "},\"budget_bytes\":%llu,\"budget_why\":", U(l->budget));
	ss_json_str(f, l->budget_why);
	fprintf(f, ",\"time_limit_ms\":%llu}", U(l->time_limit_ms));
}

void lab_print_json(FILE *f, const struct lab *L)
{
	int checks = 0, failed = 0;

	for (int i = 0; i < L->nrows; i++)
		for (int j = 0; j < L->row[i].nchecks; j++) {
			checks++;
			failed += !L->row[i].check[j].ok;
		}
	fprintf(f, "{\"lab_version\":1,\"quick\":%s,\"host\":{\"hostname\":",
		L->o.quick ? "true" : "false");
	ss_json_str(f, L->host);
	fputs(",\"release\":", f);
	ss_json_str(f, L->release);
	fprintf(f, ",\"ncpu\":%u},\"cpu\":{\"pcid\":%s,\"invpcid\":%s,\"hypervisor\":%s,"
		"\"cpuidle\":", L->ncpu, flag(L->lim.cpu.pcid), flag(L->lim.cpu.invpcid),
		flag(L->lim.cpu.hypervisor));
	str_or_null(f, L->lim.cpu.idle);
	fprintf(f, "},\"elapsed_ns\":%llu,\"dir\":", U(L->elapsed_ns));
	ss_json_str(f, L->dir);
	fprintf(f, ",\"trace\":{\"available\":%s,\"backend\":\"bpf\",\"missing\":",
		L->trace_ok ? "true" : "false");
	str_or_null(f, L->trace_ok ? NULL : L->trace_why);
	fputs("},\"limits\":", f);
	limits(f, &L->lim);
	fputs(",\"rows\":[", f);
	for (int i = 0; i < L->nrows; i++) {
		fputs(i ? "," : "", f);
		row(f, &L->row[i]);
	}
	fprintf(f, "],\"checks\":{\"total\":%d,\"failed\":%d},\"timeline\":{\"html\":",
		checks, failed);
	str_or_null(f, L->mixed_html);
	fputs(",\"trace\":", f);
	str_or_null(f, L->mixed_trace);
	fprintf(f, ",\"records\":%llu,\"missing\":", U(L->mixed_records));
	str_or_null(f, L->mixed_html[0] ? NULL : L->mixed_why);
	fputs("}}\n", f);
}
