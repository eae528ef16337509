/* The HTTP server of `switchscope view` (libmicrohttpd): loopback only, a
 * random token that every request must carry, GET only. */
#ifndef SS_VIEW_VSERVER_H
#define SS_VIEW_VSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "vindex.h"

#define VSERVER_THREADS		2	/* answers computed at once */
#define VSERVER_CONNECTIONS	8	/* connections at once (one answer each) */

struct vserver;

/* Listen on 127.0.0.1:port (0: any free port) and serve x with page.
 * Returns NULL with a message in err (*code: an ss_exit value). Signals
 * should be blocked in the caller: the server's threads inherit the mask. */
struct vserver *vserver_start(struct vindex *x, char *page, size_t pagelen,
			      uint16_t port, char *err, size_t errlen, int *code);
uint16_t vserver_port(const struct vserver *s);
const char *vserver_token(const struct vserver *s);
/* Stop answering, close every connection and free the server (and page). */
void vserver_stop(struct vserver *s);

#endif
