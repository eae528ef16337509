/* Stacks for the Perfetto export: the trace's stacks as Perfetto's
 * interned callstacks (InternedData.function_names, frames, callstacks on
 * the track event sequence), named by the stacks table, each string,
 * frame and callstack once. A callstack is root first: the user frames,
 * then the kernel's. */
#ifndef SS_OUT_PERFETTO_STACKS_H
#define SS_OUT_PERFETTO_STACKS_H

#include <stdint.h>

#include "perfetto_trace.pb-c.h"

struct ss_stacks;
struct pfs;

struct pfs *pfs_new(struct ss_stacks *st);
void pfs_free(struct pfs *p);
/* The iid of the callstack of kernel stack k and user stack u of tgid
 * (0: both 0, or out of memory: see pfs_nomem). What it interned anew
 * is pending until pfs_take. */
uint64_t pfs_callstack(struct pfs *p, uint32_t tgid, uint64_t k, uint64_t u);
/* The iid of an event name, of a category (interned as names are). */
uint64_t pfs_event_name(struct pfs *p, const char *name);
uint64_t pfs_category(struct pfs *p, const char *name);
/* The pending InternedData (NULL: nothing new), valid until the next
 * pfs_callstack or pfs_free: write it in the packet that names the iids. */
Perfetto__Protos__InternedData *pfs_take(struct pfs *p);
int pfs_nomem(const struct pfs *p);

#endif
