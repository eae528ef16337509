/* libFuzzer target: what record --stacks and the views parse. The input is
 * one /proc/PID/maps line (parsed as the recorder does), then, as an
 * ss_map record, given to the resolver the views feed from a trace (its
 * path untrusted), and looked up. No crash, no read out of bounds, no
 * undefined behaviour; the parser's answer is checked against the line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "procmaps.h"
#include "resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct ss_resolver *r;
	struct ss_procmap m;
	const char *func, *obj;
	uint64_t off;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = 0;
	if (ss_procmap_parse(line, &m) == 0) {
		/* what it says lies inside the line, and makes sense */
		if (m.end < m.start || strlen(m.perms) != 4 ||
		    m.path < line || m.path > line + size)
			abort();
		(void)ss_procmap_is_exec_file(&m);
	}
	free(line);

	r = ss_resolver_new();
	if (r && size >= sizeof(struct ss_map)) {
		uint8_t *rec = malloc(size);
		struct ss_map *mp = (void *)rec;

		if (rec) {
			memcpy(rec, data, size);
			/* the size as a reader would have checked it */
			mp->hdr.size = size > 65535 ? 65535 : size;
			if (ss_resolver_add_map_rec(r, mp) != -EINVAL)
				(void)ss_resolver_user(r, mp->tgid, mp->start, &func, &off, &obj);
			free(rec);
		}
	}
	ss_resolver_free(r);
	return 0;
}
