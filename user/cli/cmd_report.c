#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "ss.h"
#include "trace.h"

static const char help[] =
"usage: switchscope report [options] [FILE]\n"
"\n"
"Tables from a trace (default FILE: switchscope.trace): lost events, switches\n"
"by class (thread, process, to/from idle, kernel thread), voluntary vs\n"
"involuntary, switch-in path cost by class, run-queue latency, per cgroup\n"
"(record --cgroup traces that span several), per process and per thread,\n"
"tasks created, and coroutines side by side with kernel switches when the\n"
"trace has them.\n"
"\n"
"  --json          machine-readable output (docs/REPORT-JSON.md)\n"
"  --offcpu        off-CPU time by stack instead (a trace recorded with\n"
"                  --stacks): per thread and over all threads, sleeping\n"
"                  (blocked until woken, with the waker's stacks) and waiting\n"
"                  (runnable, on a run queue) apart, coroutines' parked time\n"
"  --folded        with --offcpu: folded stacks for flamegraph.pl, inferno or\n"
"                  speedscope: one line per stack, frames root first joined\n"
"                  by ';' (kind;comm-tid;user frames;kernel frames_[k]), a\n"
"                  blank, then the off-CPU time in nanoseconds\n"
"  --hist          log2 histograms per thread\n"
"  -n, --rows N    at most N rows per table (default 20, 0: all)\n"
"  -h, --help      this text\n"
"\n"
"Exit status: 0, or 2 usage (also --offcpu on a trace without stacks), 6 not\n"
"a readable trace, 7 trace damaged (results cover its intact part).\n";

static int cmp_threads(const void *x, const void *y)
{
	const struct ss_thread *a = *(struct ss_thread *const *)x;
	const struct ss_thread *b = *(struct ss_thread *const *)y;
	uint64_t sa = a->sw_in + a->sw_out + a->coro_sw;
	uint64_t sb = b->sw_in + b->sw_out + b->coro_sw;

	if (sa != sb)
		return sa > sb ? -1 : 1;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

struct ss_thread **report_threads(struct ss_analysis *a, size_t *n)
{
	struct ss_thread **v = malloc((a->nthreads + 1) * sizeof(*v));
	size_t k = 0;

	if (!v) {
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < a->nthreads; i++) {
		struct ss_thread *t = a->threads[i];

		if (t->traced && (t->sw_in || t->sw_out || t->coro_sw ||
				  t->made_procs || t->made_threads))
			v[k++] = t;
	}
	qsort(v, k, sizeof(*v), cmp_threads);
	*n = k;
	return v;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "hist", no_argument, NULL, 'H' },
		{ "offcpu", no_argument, NULL, 'o' },
		{ "folded", no_argument, NULL, 'f' },
		{ "rows", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct report_opts o = { .path = "switchscope.trace", .max_rows = 20 };
	struct ss_analysis a;
	struct ss_reader *r;
	uint64_t v;
	int c, code;

	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = 1;
			break;
		case 'H':
			o.hist = 1;
			break;
		case 'o':
			o.offcpu = 1;
			break;
		case 'f':
			o.folded = 1;
			break;
		case 'n':
			if (ss_parse_u64(optarg, &v))
				return cli_usage("report", "bad row count '%s'", optarg);
			o.max_rows = v;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("report", "unknown option");
		}
	}
	if (optind < argc)
		o.path = argv[optind++];
	if (optind < argc)
		return cli_usage("report", "one trace file at a time");
	if (o.folded && !o.offcpu)
		return cli_usage("report", "--folded goes with --offcpu");
	if (o.folded && o.json)
		return cli_usage("report", "--folded or --json, not both");
	code = ss_analyse_file(o.path, &a, &r, &o.damaged);
	if (code)
		return code;
	if (o.offcpu) {
		code = report_offcpu(stdout, &a, r, &o);
		ss_analysis_free(&a);
		ss_reader_close(r);
		return code ? code : o.damaged ? SS_EXIT_DAMAGED : SS_OK;
	}
	if (o.json)
		report_json(stdout, &a, &o);
	else
		report_text(stdout, &a, &o);
	ss_analysis_free(&a);
	ss_reader_close(r);
	return o.damaged ? SS_EXIT_DAMAGED : SS_OK;
}
