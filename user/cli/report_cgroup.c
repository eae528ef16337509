/* switchscope report: the per-cgroup table of a --cgroup trace. */
#include <stdlib.h>

#include "cgroups.h"
#include "report.h"
#include "ss.h"

void report_cgroups_text(FILE *f, struct ss_analysis *a, const struct report_opts *o)
{
	size_t n;
	struct ss_cgstat **v = ss_cgroups_list(a->cgroups, &n);
	char name[48], run[SS_DUR_BUF];

	/* one cgroup: the tables above are already its own */
	if (n >= 2) {
		fprintf(f, "\nPER CGROUP (switches out of its threads; run-queue latency "
			"of its threads)\n%s\n", "-----------------------------------"
			"---------------------------------------------");
		fprintf(f, "%-24s %4s %9s %8s %8s %9s %9s %9s %9s %9s\n", "cgroup", "thr",
			"switches", "vol", "invol", "run", "waits", "p50", "p90", "p99");
		for (size_t i = 0; i < n && (!o->max_rows || i < o->max_rows); i++) {
			const struct ss_cgstat *s = v[i];
			char b[3][SS_DUR_BUF];

			fprintf(f, "%-24s %4llu %9llu %8llu %8llu %9s %9llu %9s %9s %9s\n",
				ss_cgroup_name(s, name, sizeof(name)),
				(unsigned long long)s->threads,
				(unsigned long long)s->switches, (unsigned long long)s->vol,
				(unsigned long long)s->invol,
				ss_fmt_dur(run, sizeof(run), s->run_ns),
				(unsigned long long)s->wait.count,
				ss_fmt_dur(b[0], SS_DUR_BUF, ss_hist_quantile(&s->wait, 0.50)),
				ss_fmt_dur(b[1], SS_DUR_BUF, ss_hist_quantile(&s->wait, 0.90)),
				ss_fmt_dur(b[2], SS_DUR_BUF, ss_hist_quantile(&s->wait, 0.99)));
		}
		if (o->max_rows && n > o->max_rows)
			fprintf(f, "(%zu more; -n 0 shows all)\n", n - o->max_rows);
	}
	free(v);
}

void report_cgroups_json(FILE *f, struct ss_analysis *a)
{
	size_t n;
	struct ss_cgstat **v = ss_cgroups_list(a->cgroups, &n);

	fprintf(f, "\"cgroups\":[");
	for (size_t i = 0; i < n; i++) {
		const struct ss_cgstat *s = v[i];

		fprintf(f, "%s{\"id\":%llu,\"path\":", i ? "," : "",
			(unsigned long long)s->id);
		if (s->path)
			ss_json_str(f, s->path);
		else
			fputs("null", f);
		fprintf(f, ",\"level\":%u,\"chosen\":%s,\"threads\":%llu,\"switches\":%llu,"
			"\"voluntary\":%llu,\"involuntary\":%llu,\"run_ns\":%llu,"
			"\"runqueue_latency\":", s->level, s->chosen ? "true" : "false",
			(unsigned long long)s->threads, (unsigned long long)s->switches,
			(unsigned long long)s->vol, (unsigned long long)s->invol,
			(unsigned long long)s->run_ns);
		ss_hist_json(f, &s->wait);
		fputc('}', f);
	}
	fprintf(f, "],");
	free(v);
}
