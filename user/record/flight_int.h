/* Inside the flight recorder: the records carried over from blocks that
 * left the window (flight.h says which and why). */
#ifndef SS_FLIGHT_INT_H
#define SS_FLIGHT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "switchscope.h"

struct ss_idmap;

struct carry {
	char *buf;
	size_t len, cap;
	size_t compacted;		/* len after the last compaction */
	/* tid -> carry offset / 8 at its exit: its records before it are
	 * dead; the same for (tgid, coroutine id) */
	struct ss_idmap *gone_tid, *gone_coro;
	int gone;			/* something died since compaction */
	uint64_t peak;			/* most bytes held */
};

int carry_init(struct carry *c);
void carry_free(struct carry *c);
/* A record leaving the window: kept if it is one of those carried,
 * noted if it ends the life of something carried. */
void carry_keep(struct carry *c, const struct ss_hdr *h);
/* Drop what died and what a later record replaced, once the store has
 * doubled since the last time. */
void carry_compact(struct carry *c);
/* Each record kept, in order, with ts as its timestamp. */
void carry_each(const struct carry *c, uint64_t ts,
		void (*fn)(void *ctx, const struct ss_hdr *h, uint64_t ts), void *ctx);

#endif
