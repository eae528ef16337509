/* Answers of `switchscope view`'s API from its index (vindex.h) to a parsed
 * request (vquery.h). */
#ifndef SS_VIEW_VAPI_H
#define SS_VIEW_VAPI_H

#include <stddef.h>
#include <sys/types.h>

#include "vindex.h"
#include "vquery.h"

/* The most one lane of a window answer can take: a column of at most
 * four aggregates and one slice that ends in the next, slices of a pixel
 * or more (at most px + 2 of them), 33 bytes a record at most. A window
 * is made a lane at a time: this is a connection's memory for it. */
#define VAPI_LANE_BYTES	((6u * VQ_MAX_PX + 16) * 33 + 12)

struct vanswer {
	int status;		/* HTTP status */
	const char *type;	/* content type */
	char *body;		/* malloc'ed */
	size_t len;
};

/* Fill a for r (r's token already checked; /api/window: below). Returns
 * 0, or -1 when out of memory. */
int vapi_answer(struct vindex *x, const struct vreq *r, const char *page,
		size_t pagelen, struct vanswer *a);
/* /api/window, sent as it is made: vapi_window_open() returns 0 with *s
 * set, or 0 with an error answer in a (*s NULL), or -1 when out of memory;
 * vapi_window_read() gives the next at most max bytes (0: the end, -1: out
 * of memory). */
struct vstream;
int vapi_window_open(struct vindex *x, const struct vreq *r, struct vstream **s,
		     struct vanswer *a);
ssize_t vapi_window_read(struct vstream *s, void *buf, size_t max);
void vapi_window_close(struct vstream *s);

/* A plain-text error answer. */
int vapi_error(struct vanswer *a, int status, const char *msg);

/* The viewer's page: CSS, JavaScript (with web/remote.js), no data. */
char *vapi_page(const struct vindex *x, const char *title, size_t *len);

#endif
