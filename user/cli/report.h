/* switchscope report: text tables and JSON from one analysis. */
#ifndef SS_REPORT_H
#define SS_REPORT_H

#include <stdio.h>

#include "analysis.h"

struct report_opts {
	const char *path;
	int json;
	int hist;		/* per-thread histograms */
	int offcpu;		/* --offcpu: off-CPU time by stack */
	int folded;		/* --folded: its folded stacks */
	size_t max_rows;	/* 0: all */
	int damaged;
};

/* Traced threads sorted by switches, most first; *n set. malloc'd. */
struct ss_thread **report_threads(struct ss_analysis *a, size_t *n);

void report_text(FILE *f, struct ss_analysis *a, const struct report_opts *o);
void report_json(FILE *f, struct ss_analysis *a, const struct report_opts *o);
/* --cgroup traces: a table when the trace spans several cgroups; the JSON
 * "cgroups" member and its comma (an empty list without). */
void report_cgroups_text(FILE *f, struct ss_analysis *a, const struct report_opts *o);
void report_cgroups_json(FILE *f, struct ss_analysis *a);

/* --offcpu: a second pass over r; returns an ss_exit code. */
struct ss_reader;
int report_offcpu(FILE *f, struct ss_analysis *a, struct ss_reader *r,
		  const struct report_opts *o);
/* The frames of one stack, one a line after indent; kernel: a kernel
 * stack (tgid 0). timehist -g prints the same. */
struct ss_stacks;
void report_stack(FILE *f, struct ss_stacks *s, uint32_t tgid, uint64_t id, int kernel,
		  const char *indent);

#endif
