/* switchscope report --json: the schema is docs/REPORT-JSON.md. */
#include <stdlib.h>

#include "report.h"
#include "ss.h"
#include "trigger_desc.h"

#define U(x) ((unsigned long long)(x))

static void classes_json(FILE *f, const uint64_t v[SS_CLASS_MAX])
{
	fputc('{', f);
	for (unsigned int c = 0; c < SS_CLASS_MAX; c++)
		fprintf(f, "%s\"%s\":%llu", c ? "," : "", ss_class_name(c), U(v[c]));
	fputc('}', f);
}

static const char *flag_json(int flag)
{
	return flag == SS_FLAG_YES ? "true" : flag == SS_FLAG_NO ? "false" : "null";
}

static void hist_or_null(FILE *f, const struct ss_hist *h)
{
	static const struct ss_hist none;

	ss_hist_json(f, h ? h : &none);
}

static void thread_json(FILE *f, const struct ss_thread *t)
{
	fprintf(f, "{\"tid\":%u,\"pid\":%u,\"comm\":", t->tid, t->tgid);
	ss_json_str(f, t->comm);
	fprintf(f, ",\"switches_in\":%llu,\"switches_out\":%llu,\"voluntary\":%llu,"
		"\"involuntary\":%llu,\"out_by_class\":", U(t->sw_in), U(t->sw_out),
		U(t->vol), U(t->invol));
	classes_json(f, t->out_by_class);
	fprintf(f, ",\"run_ns\":%llu,\"sleep_ns\":%llu,\"wait_ns\":%llu,"
		"\"migrations\":%llu,\"runqueue_latency\":", U(t->run_ns),
		U(t->sleep_ns), U(t->wait_ns), U(t->migrations));
	hist_or_null(f, t->wait);
	fprintf(f, ",\"switch_in_path\":");
	hist_or_null(f, t->swin);
	fprintf(f, ",\"created_processes\":%llu,\"created_threads\":%llu,"
		"\"coro_switches\":%llu,\"coro_switch_cost\":", U(t->made_procs),
		U(t->made_threads), U(t->coro_sw));
	hist_or_null(f, t->coro_cost);
	fprintf(f, ",\"coro_stats\":{\"switches\":%llu,\"switch_ns\":%llu}}",
		U(t->stats_switches), U(t->stats_ns));
}

static void coro_json(FILE *f, const struct ss_coro *c)
{
	static const char *const reason[SS_PARK_MAX] = {
		"unknown", "channel", "fd", "sleep", "join", "yield", "other",
	};

	fprintf(f, "{\"pid\":%u,\"tid\":%u,\"id\":%llu,\"entry\":%llu,"
		"\"stack_size\":%llu,\"switches_in\":%llu,\"run_ns\":%llu,"
		"\"preempted\":%llu,\"blocked\":%llu,\"moves\":%llu,\"creates\":%llu,\"created_ns\":%llu,"
		"\"exit_ns\":%llu,\"parked_ns\":{", c->tgid, c->tid, U(c->id),
		U(c->entry), U(c->stack_size), U(c->switches_in), U(c->run_ns),
		U(c->preempted), U(c->blocked), U(c->moves), U(c->creates), U(c->created_ts),
		U(c->exit_ts));
	for (int r = 1; r < SS_PARK_MAX; r++)
		fprintf(f, "%s\"%s\":%llu", r > 1 ? "," : "", reason[r], U(c->parked_ns[r]));
	fprintf(f, "}}");
}

/* Flight recorder triggers: "triggers":[{kind, ts_ns, ...}], always. */
static void triggers_json(FILE *f, struct ss_analysis *a)
{
	char desc[256];

	fprintf(f, "\"triggers\":[");
	for (uint64_t i = 0; i < a->ntriggers && i < SS_ANALYSIS_TRIGGERS; i++) {
		const struct ss_trigger *t = &a->triggers[i];

		fprintf(f, "%s{\"kind\":\"%s\",\"ts_ns\":%llu,\"cpu\":%u,\"tid\":%u,"
			"\"tgid\":%u,\"dump\":%u,\"threshold_ns\":%llu,\"value_ns\":%llu,"
			"\"since_ns\":%llu,\"entry\":%u,\"nr\":%u,\"text\":", i ? "," : "",
			ss_trigger_name(t->kind), U(t->hdr.ts), t->hdr.cpu, t->tid, t->tgid,
			t->dump, U(t->threshold_ns), U(t->value_ns), U(t->since_ns), t->entry, t->nr);
		ss_json_str(f, ss_trigger_desc(desc, sizeof(desc), t, a->meta->machine));
		fputc('}', f);
	}
	fprintf(f, "],");
}

void report_json(FILE *f, struct ss_analysis *a, const struct report_opts *o)
{
	const struct ss_meta *m = a->meta;
	struct ss_cpu_caps caps = { 0 };
	uint64_t total = 0;
	struct ss_thread **v;
	size_t n;

	for (unsigned int c = 0; c < SS_CLASS_MAX; c++)
		total += a->sw_class[c];
	fprintf(f, "{\"format\":\"switchscope-report\",\"version\":1,\"trace\":{\"path\":");
	ss_json_str(f, o->path);
	fprintf(f, ",\"host\":");
	ss_json_str(f, m->hostname);
	fprintf(f, ",\"release\":");
	ss_json_str(f, m->release);
	fprintf(f, ",\"machine\":");
	ss_json_str(f, m->machine);
	fprintf(f, ",\"cmdline\":");
	ss_json_str(f, m->cmdline);
	fprintf(f, ",\"backend\":\"%s\",\"ncpu\":%u,\"start_ns\":%llu,\"end_ns\":%llu,"
		"\"duration_ns\":%llu,\"records\":%llu,\"damaged\":%s},",
		m->backend == SS_BACKEND_KMOD ? "kmod" : "bpf", m->ncpu, U(a->start_ns),
		U(a->end_ns), U(a->end_ns > a->start_ns ? a->end_ns - a->start_ns : 0),
		U(a->records), o->damaged ? "true" : "false");

	fprintf(f, "\"records_by_type\":{");
	for (unsigned int t = 1, first = 1; t < SS_EV_MAX; t++) {
		if (!ss_type_min_size(t))
			continue;
		fprintf(f, "%s\"%s\":%llu", first ? "" : ",", ss_type_name(t), U(a->count[t]));
		first = 0;
	}
	fprintf(f, "},\"lost\":{\"total\":%llu,\"per_cpu\":[", U(a->lost));
	for (unsigned int i = 0; i < a->ncpu; i++)
		fprintf(f, "%s%llu", i ? "," : "", U(a->lost_cpu[i]));
	fprintf(f, "]},");
	triggers_json(f, a);

	fprintf(f, "\"switches\":{\"total\":%llu,\"preempt_flag\":%llu,\"by_class\":",
		U(total), U(a->sw_preempt_flag));
	classes_json(f, a->sw_class);
	fprintf(f, ",\"voluntary_by_class\":");
	classes_json(f, a->sw_class_vol);
	fprintf(f, ",\"involuntary_by_class\":");
	classes_json(f, a->sw_class_invol);
	/* the trace does not carry the CPU's flags: this machine's are the
	 * recording CPU's only when it was recorded here, this boot */
	if (ss_meta_this_boot(m))
		ss_cpu_caps_read(&caps);
	fprintf(f, "},\"mm_switches\":{\"total\":%llu,\"full_flush\":%llu,"
		"\"partial_flush\":%llu,\"no_flush\":%llu,\"pcid\":%s,\"invpcid\":%s},"
		"\"migrations\":%llu,",
		U(a->tlb_switch), U(a->tlb_flush_full), U(a->tlb_flush_partial),
		U(a->tlb_switch - a->tlb_flush_full - a->tlb_flush_partial),
		flag_json(caps.pcid), flag_json(caps.invpcid), U(a->migrations));

	fprintf(f, "\"switch_in_path\":{");
	for (unsigned int c = 0; c < SS_CLASS_MAX; c++) {
		fprintf(f, "%s\"%s\":", c ? "," : "", ss_class_name(c));
		ss_hist_json(f, &a->swin_class[c]);
	}
	fprintf(f, "},\"runqueue_latency\":");
	ss_hist_json(f, &a->wait_all);
	fprintf(f, ",\"runqueue_latency_log2_us\":[");
	{
		uint64_t slots[64];
		int used = ss_hist_log2(&a->wait_all, 1000, slots);

		for (int i = 0; i < used; i++)
			fprintf(f, "%s%llu", i ? "," : "", U(slots[i]));
	}
	fprintf(f, "],\"tasks_created\":{\"processes\":%llu,\"threads\":%llu,"
		"\"by_parent\":[", U(a->procs_created), U(a->threads_created));
	for (size_t i = 0, first = 1; i < a->nthreads; i++) {
		const struct ss_thread *t = a->threads[i];

		if (!t->made_procs && !t->made_threads)
			continue;
		fprintf(f, "%s{\"tid\":%u,\"pid\":%u,\"comm\":", first ? "" : ",",
			t->tid, t->tgid);
		ss_json_str(f, t->comm);
		fprintf(f, ",\"processes\":%llu,\"threads\":%llu}", U(t->made_procs),
			U(t->made_threads));
		first = 0;
	}
	fprintf(f, "]},");
	report_cgroups_json(f, a);
	fprintf(f, "\"threads\":[");
	v = report_threads(a, &n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		thread_json(f, v[i]);
	}
	free(v);
	fprintf(f, "],\"coroutines\":{\"switches\":%llu,\"switch_cost\":",
		U(a->coro_switches));
	ss_hist_json(f, &a->coro_cost);
	fprintf(f, ",\"list\":[");
	for (size_t i = 0; i < a->ncoros; i++) {
		if (i)
			fputc(',', f);
		coro_json(f, a->coros[i]);
	}
	fprintf(f, "]}}\n");
}
