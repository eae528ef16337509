/* Running ss-lab-ipc, the lab's ping-pong, for figures and for evidence. */
#include <string.h>

#include "lab.h"
#include "pingpong.h"
#include "ss.h"

int lab_pp_run(struct lab *L, const struct lab_pp *p, const char *name, unsigned int flags,
	       struct lab_out *out)
{
	char rounds[32], pairs[32];
	const char *argv[] = { "ss-lab-ipc", "--kind", p->kind, "--via", p->via, "--cpus",
			       p->cpus ? p->cpus : "0", "--rounds", rounds, "--pairs", pairs,
			       NULL };

	snprintf(rounds, sizeof(rounds), "%llu", (unsigned long long)p->rounds);
	snprintf(pairs, sizeof(pairs), "%u", p->pairs ? p->pairs : 1);
	return lab_run(L, argv, p->env, name, flags, out);
}

int lab_pp_measure(struct lab *L, const struct lab_pp *p, struct lab_samples *wall,
		   struct lab_samples *cpu, struct lab_samples *apart)
{
	struct lab_out out;
	double v;

	if (lab_pp_run(L, p, NULL, 0, &out))
		return -1;
	if (lab_field(out.text, "lab-ipc", "ns_per_handover", &v))
		return -1;
	lab_sample(wall, v);
	if (cpu && lab_field(out.text, "lab-ipc", "cpu_ns_per_handover", &v) == 0)
		lab_sample(cpu, v);
	if (apart && lab_field(out.text, "lab-ipc", "apart", &v) == 0)
		lab_sample(apart, v);
	return 0;
}

int lab_pp_evidence(struct lab *L, struct lab_row *r, const struct lab_pp *p, const char *name,
		    unsigned int flags, struct lab_ev *ev, double *handovers)
{
	static char tids[8192];
	struct lab_out out;
	int code;

	if (!L->trace_ok)
		return -1;
	if (!strcmp(p->kind, "coro"))
		flags |= LAB_PROBES;
	if (lab_pp_run(L, p, name, flags | LAB_TRACE, &out))
		return -1;
	if (!out.traced) {
		lab_missing(r, "%s", out.why);
		return -1;
	}
	if (lab_field(out.text, "lab-ipc", "handovers", handovers) ||
	    lab_field_str(out.text, "lab-ipc", "tids", tids, sizeof(tids)))
		return -1;
	code = lab_evidence(out.trace, tids, ev);
	if (code != SS_OK) {
		lab_missing(r, "%s could not be read (exit code %d)", out.trace_rel, code);
		return -1;
	}
	if (r->ntraces < LAB_MAX_TRACES)
		snprintf(r->trace[r->ntraces++], sizeof(r->trace[0]), "%s", out.trace_rel);
	lab_evidence_counts(r, name, ev);
	{
		char k[48];

		snprintf(k, sizeof(k), "%s.handovers", name);
		lab_count(r, k, *handovers);
	}
	return 0;
}
