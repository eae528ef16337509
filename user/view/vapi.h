/* Answers of `switchscope view`'s API from its index (vindex.h) to a parsed
 * request (vquery.h). */
#ifndef SS_VIEW_VAPI_H
#define SS_VIEW_VAPI_H

#include <stddef.h>

#include "vindex.h"
#include "vquery.h"

/* The largest window answer: beyond it the client is told to ask for fewer
 * lanes or pixels (it asks for the lanes on screen). */
#define VAPI_MAX_BYTES	(64u << 20)

struct vanswer {
	int status;		/* HTTP status */
	const char *type;	/* content type */
	char *body;		/* malloc'ed */
	size_t len;
};

/* Fill a for r (r's token already checked). Returns 0, or -1 when out of
 * memory. */
int vapi_answer(struct vindex *x, const struct vreq *r, const char *page,
		size_t pagelen, struct vanswer *a);
/* A plain-text error answer. */
int vapi_error(struct vanswer *a, int status, const char *msg);

/* The viewer's page: CSS, JavaScript (with web/remote.js), no data. */
char *vapi_page(const struct vindex *x, const char *title, size_t *len);

#endif
