/* libFuzzer target: the trace reader and the analysis on arbitrary bytes.
 * Whatever the input, no read past the end, no crash, no undefined
 * behaviour: damage is reported, records are validated. Each input is read
 * twice: as it is, and with the CRCs of its 2.x chunks made to match, so
 * that mutated payloads (compressed ones too) get past the CRC check to
 * the decompressor and the record checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analysis.h"
#include "fix_crcs.h"
#include "ss.h"
#include "trace.h"

static void read_trace(const uint8_t *data, size_t size)
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
		return;
	r = ss_reader_fdopen(fd, err, sizeof(err), &code);
	if (!r)
		return;
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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	read_trace(data, size);
	if (copy) {
		memcpy(copy, data, size);
		fix_crcs(copy, size);
		if (memcmp(copy, data, size))
			read_trace(copy, size);
		free(copy);
	}
	return 0;
}
