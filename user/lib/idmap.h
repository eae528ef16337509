/* Open-addressing hash map from a 64-bit key to a 32-bit index. */
#ifndef SS_IDMAP_H
#define SS_IDMAP_H

#include <stdint.h>

struct ss_idmap;

struct ss_idmap *ss_idmap_new(void);
void ss_idmap_free(struct ss_idmap *m);
/* Index stored for key, or -1. */
int64_t ss_idmap_get(const struct ss_idmap *m, uint64_t key);
/* Store key -> idx (replacing). Returns 0 or -1 on allocation failure. */
int ss_idmap_put(struct ss_idmap *m, uint64_t key, uint32_t idx);

#endif
