/* Timeline export: one pass over a trace into an HTML viewer, a Perfetto
 * protobuf trace or Chrome JSON trace events. */
#ifndef SS_EXPORT_H
#define SS_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "trace.h"

enum ss_export_format {
	SS_EXPORT_HTML,
	SS_EXPORT_PERFETTO,
	SS_EXPORT_JSON,
};

struct ss_export_opts {
	int format;		/* enum ss_export_format */
	uint64_t from_ns;	/* window start, ns after the recording start */
	uint64_t to_ns;		/* window end (UINT64_MAX: the end) */
	const uint32_t *pids;	/* only these processes (NULL: all) */
	size_t npids;
	const char *title;	/* HTML title (NULL: the traced command) */
};

/* What an export wrote, for the CLI's summary line and the benchmarks. */
struct ss_export_stats {
	uint64_t records;	/* trace records read */
	uint64_t items;		/* slices, marks, events written */
	uint64_t lost;		/* records lost while recording */
};

/* Write the export of r to out. Returns an ss_exit value: SS_OK,
 * SS_EXIT_DAMAGED when the trace was damaged (the output covers what is
 * intact), SS_EXIT_IO when out could not be written, SS_EXIT_INTERNAL. */
int ss_export(struct ss_reader *r, const struct ss_export_opts *o, FILE *out,
	      struct ss_export_stats *st);

/* How big the HTML export of r with o would be, about (a pass of the
 * model without output; r is rewound after). Returns an ss_exit value. */
int ss_export_html_size(struct ss_reader *r, const struct ss_export_opts *o,
			uint64_t *bytes);

/* Above this estimated size `export --format html` refuses (--max-size):
 * browsers do not open such files (440 MB: no first frame in 120 s). */
#define SS_HTML_MAX_DEFAULT	(200ull << 20)

#endif
