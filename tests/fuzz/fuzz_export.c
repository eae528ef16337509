/* libFuzzer target: what reads a trace past the reader, on arbitrary
 * bytes: the three export formats, and `view`'s index with its answers
 * (meta, a window of every lane, a stack, the off-CPU sums, a search).
 * The reader validates each record's size and type; the values in them
 * (CPUs, times, tids, ids) are anything here, and nothing may crash,
 * read out of bounds or leak. CRCs are made to match as in fuzz_reader.c,
 * so that mutated records get past the chunk checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "export.h"
#include "fix_crcs.h"
#include "ss.h"
#include "trace.h"
#include "vapi.h"
#include "vindex.h"
#include "vquery.h"

static struct ss_reader *open_trace(int fd)
{
	char err[256];
	int code;

	return ss_reader_fdopen(fd, err, sizeof(err), &code);
}

static void ask(struct vindex *x, const char *uri)
{
	struct vanswer a = { 0 };
	struct vstream *s = NULL;
	char err[256], buf[65536];
	struct vreq q;

	if (vq_parse(uri, &q, err, sizeof(err))) {
		fprintf(stderr, "fuzz_export: %s: %s\n", uri, err);
		abort();	/* the queries here are well formed */
	}
	if (q.path == VP_WINDOW) {
		if (vapi_window_open(x, &q, &s, &a) == 0 && s) {
			while (vapi_window_read(s, buf, sizeof(buf)) > 0)
				;
			vapi_window_close(s);
		}
	} else {
		vapi_answer(x, &q, "", 0, &a);
	}
	free(a.body);
	vq_free(&q);
}

static void view(int fd)
{
	struct ss_export_opts o = { .format = SS_EXPORT_HTML, .to_ns = UINT64_MAX };
	struct ss_reader *r = open_trace(fd);
	struct vindex *x = NULL;
	char err[256], uri[256];
	const char *tok = "0123456789abcdef0123456789abcdef";
	int code;

	if (!r)
		return;
	code = vindex_build(r, &o, "/tmp", &x, err, sizeof(err));
	ss_reader_close(r);
	if ((code != SS_OK && code != SS_EXIT_DAMAGED) || !x)
		return;
	snprintf(uri, sizeof(uri), "/api/meta?token=%s", tok);
	ask(x, uri);
	snprintf(uri, sizeof(uri), "/api/window?token=%s&t0=0&t1=10000000000&px=97", tok);
	ask(x, uri);
	snprintf(uri, sizeof(uri), "/api/window?token=%s&t0=0&t1=5000&px=8192", tok);
	ask(x, uri);
	for (int lane = 0; lane < 8; lane++) {
		snprintf(uri, sizeof(uri), "/api/stack?token=%s&lane=%d&t=1000", tok, lane);
		ask(x, uri);
	}
	snprintf(uri, sizeof(uri), "/api/offcpu?token=%s&t0=0&t1=1000000000000", tok);
	ask(x, uri);
	snprintf(uri, sizeof(uri), "/api/search?token=%s&q=a", tok);
	ask(x, uri);
	vindex_free(x);
}

static void export_all(int fd)
{
	static const int formats[] = { SS_EXPORT_HTML, SS_EXPORT_PERFETTO, SS_EXPORT_JSON };
	FILE *out = fopen("/dev/null", "w");

	if (!out)
		return;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct ss_export_opts o = { .format = formats[i], .to_ns = UINT64_MAX };
		struct ss_export_stats st;
		struct ss_reader *r = open_trace(fd);

		if (!r)
			break;
		ss_export(r, &o, out, &st);
		ss_reader_close(r);
	}
	fclose(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	uint8_t *fixed;

	if (fd < 0)
		fd = memfd_create("fuzz-export", 0);
	fixed = malloc(size ? size : 1);
	if (!fixed)
		return 0;
	memcpy(fixed, data, size);
	fix_crcs(fixed, size);
	if (ftruncate(fd, 0) == 0 && pwrite(fd, fixed, size, 0) == (ssize_t)size) {
		export_all(fd);
		view(fd);
	}
	free(fixed);
	return 0;
}
