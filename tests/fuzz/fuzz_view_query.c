/* libFuzzer target: the request parser of `switchscope view`
 * (user/view/vquery.c) on arbitrary URIs. Whatever arrives, it returns 0 or
 * -1 with a message, and what it returns holds together. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vquery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *uri = malloc(size + 1), err[256];
	struct vreq r;
	int rc;

	if (!uri)
		return 0;
	memcpy(uri, data, size);
	uri[size] = 0;
	rc = vq_parse(uri, &r, err, sizeof(err));
	if (rc == 0 && err[0])
		abort();
	if (rc != 0 && !err[0])
		abort();
	if (r.has_token && strlen(r.token) != VQ_TOKEN_LEN)
		abort();
	if (rc == 0 && r.path == VP_WINDOW &&
	    (!(r.t1 > r.t0) || r.px < 1 || r.px > VQ_MAX_PX))
		abort();
	if (rc == 0 && r.path == VP_STACK &&
	    (!r.has_lane || !r.has_t || r.lane == UINT32_MAX || !(r.t >= 0)))
		abort();
	if (r.nlanes > VQ_MAX_LANES || (r.nlanes && !r.lanes))
		abort();
	for (size_t i = 0; i < r.nlanes; i++)
		if (r.lanes[i] == UINT32_MAX)
			abort();
	vq_free(&r);
	free(uri);
	return 0;
}
