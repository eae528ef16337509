/* The requests `switchscope view` answers, parsed from the raw request URI
 * (path and query string) by code of ours, so that what a browser, a
 * script or an attacker sends meets one strict parser (fuzzed:
 * tests/fuzz/fuzz_view_query.c):
 *
 *   /                  the viewer
 *   /api/meta          the viewer's metadata (out_html.c's ss-meta)
 *   /api/lanes         the lanes: type, owner, entries
 *   /api/window        t0, t1 (ns), px (1..VQ_MAX_PX), lanes (optional)
 *   /api/summary       t0, t1: the counts of a range
 *   /api/search        q: coroutine ids ("coro 5") to the lanes that ran them
 *   /api/stack         lane (a thread's states or marks), t (ns): the
 *                      stacks of the interval or coroutine park there
 *   /api/offcpu        t0, t1: off-CPU time of the range by stack
 *
 * Every request carries token=. Parameters: decimal numbers (t0, t1 may
 * have a fraction), lanes as "all" or ids and ranges "0-3,7"; each at most
 * once; unknown ones are an error. */
#ifndef SS_VIEW_VQUERY_H
#define SS_VIEW_VQUERY_H

#include <stddef.h>
#include <stdint.h>

#define VQ_MAX_PX	8192
#define VQ_MAX_LANES	65536	/* ids in one lanes= list */
#define VQ_MAX_Q	256
#define VQ_TOKEN_LEN	32	/* hex digits */

enum vpath {
	VP_UNKNOWN,
	VP_PAGE,
	VP_META,
	VP_LANES,
	VP_WINDOW,
	VP_SUMMARY,
	VP_SEARCH,
	VP_STACK,
	VP_OFFCPU,
};

struct vreq {
	int path;			/* enum vpath */
	char token[VQ_TOKEN_LEN + 1];
	int has_token;
	double t0, t1;
	int has_t0, has_t1;
	uint32_t px;
	uint32_t *lanes;		/* NULL with all_lanes */
	size_t nlanes;
	int all_lanes;
	char q[VQ_MAX_Q + 1];
	int has_q;
	uint32_t lane;
	int has_lane;
	double t;
	int has_t;
};

/* Parse uri into r. Returns 0, or -1 with a message in err (the token is
 * still taken when the rest is bad, so that an answer without it stays a
 * 403). r->lanes is allocated: vq_free(). */
int vq_parse(const char *uri, struct vreq *r, char *err, size_t errlen);
void vq_free(struct vreq *r);

#endif
