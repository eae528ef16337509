/* libFuzzer target: the trace reader and the analysis on arbitrary bytes.
 * Whatever the input, no read past the end, no crash, no undefined
 * behaviour: damage is reported, records are validated. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analysis.h"
#include "ss.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	const struct ss_task *tasks;
	const uint32_t *targets;
	const struct ss_hdr *h;
	struct ss_analysis a;
	struct ss_reader *r;
	size_t ntasks, ntargets;
	char err[256];
	int code;

	if (fd < 0)
		fd = memfd_create("fuzz-trace", 0);
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	r = ss_reader_fdopen(fd, err, sizeof(err), &code);
	if (!r)
		return 0;
	tasks = ss_reader_tasks(r, &ntasks);
	if (ss_analysis_init(&a, ss_reader_meta(r), tasks, ntasks) == 0) {
		targets = ss_reader_targets(r, &ntargets);
		ss_analysis_targets(&a, targets, ntargets);
		while (ss_reader_next(r, &h) == 1) {
			struct ss_switch_info si;

			ss_analysis_add(&a, h, &si);
		}
		ss_analysis_finish(&a, 0);
	}
	ss_analysis_free(&a);
	ss_reader_close(r);
	return 0;
}
