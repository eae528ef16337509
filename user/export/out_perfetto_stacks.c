/* Interned callstacks for the Perfetto export (out_perfetto_stacks.h).
 * Frames carry no mapping (mapping_id 0): the names are ours, from the
 * trace, and trace_processor keeps such frames in its dummy mapping. */
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "out_perfetto_stacks.h"
#include "stacks.h"

#define P(x) Perfetto__Protos__##x
#define MAXF (SS_STACK_MAX_DEPTH + 1)

struct cs_key {
	uint32_t tgid;
	uint64_t k, u;
};

struct pfs {
	struct ss_stacks *st;
	struct ss_idmap *names, *frames, *stacks;
	char **name;		/* by iid - 1 */
	size_t nname, capname;
	struct cs_key *cs;	/* by iid - 1 */
	size_t ncs, capcs;
	/* what the next packet interns */
	P(InternedData) data;
	P(InternedString) **pn;
	P(Frame) **pf;
	P(Callstack) **pc;
	size_t capn, capf, capc;
	int taken;
	int nomem;
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

struct pfs *pfs_new(struct ss_stacks *st)
{
	struct pfs *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->st = st;
	p->names = ss_idmap_new();
	p->frames = ss_idmap_new();
	p->stacks = ss_idmap_new();
	p->data = (P(InternedData))PERFETTO__PROTOS__INTERNED_DATA__INIT;
	if (!p->names || !p->frames || !p->stacks) {
		pfs_free(p);
		return NULL;
	}
	return p;
}

/* Drop what the last packet interned (it is written). */
static void clear_pending(struct pfs *p)
{
	for (size_t i = 0; i < p->data.n_function_names; i++)
		free(p->pn[i]);
	for (size_t i = 0; i < p->data.n_frames; i++)
		free(p->pf[i]);
	for (size_t i = 0; i < p->data.n_callstacks; i++) {
		free(p->pc[i]->frame_ids);
		free(p->pc[i]);
	}
	p->data.n_function_names = p->data.n_frames = p->data.n_callstacks = 0;
	p->taken = 0;
}

void pfs_free(struct pfs *p)
{
	if (!p)
		return;
	clear_pending(p);
	for (size_t i = 0; i < p->nname; i++)
		free(p->name[i]);
	free(p->name);
	free(p->cs);
	free(p->pn);
	free(p->pf);
	free(p->pc);
	ss_idmap_free(p->names);
	ss_idmap_free(p->frames);
	ss_idmap_free(p->stacks);
	free(p);
}

int pfs_nomem(const struct pfs *p)
{
	return p->nomem;
}

static int room(struct pfs *p, void ***v, size_t *cap, size_t n)
{
	void **nv;

	if (n < *cap)
		return 0;
	nv = realloc(*v, (*cap ? *cap * 2 : 64) * sizeof(*nv));
	if (!nv) {
		p->nomem = 1;
		return -1;
	}
	*v = nv;
	*cap = *cap ? *cap * 2 : 64;
	return 0;
}

static uint64_t name_iid(struct pfs *p, const char *s)
{
	uint64_t h = fnv(s);
	int64_t i = ss_idmap_get(p->names, h);
	P(InternedString) *m;

	if (i >= 0 && !strcmp(p->name[i], s))
		return i + 1;
	if (room(p, (void ***)&p->name, &p->capname, p->nname) ||
	    room(p, (void ***)&p->pn, &p->capn, p->data.n_function_names) ||
	    !(m = malloc(sizeof(*m))))
		return 0;
	if (!(p->name[p->nname] = strdup(s))) {
		free(m);
		p->nomem = 1;
		return 0;
	}
	/* a hash taken by another string keeps it: this one is interned
	 * again at each use, which costs bytes only */
	if (i < 0 && ss_idmap_put(p->names, h, p->nname))
		p->nomem = 1;
	*m = (P(InternedString))PERFETTO__PROTOS__INTERNED_STRING__INIT;
	m->has_iid = m->has_str = 1;
	m->iid = ++p->nname;
	m->str.data = (uint8_t *)p->name[m->iid - 1];
	m->str.len = strlen(s);
	p->pn[p->data.n_function_names++] = m;
	return m->iid;
}

/* A frame is its name and whether it is the kernel's: iid name * 2 + k. */
static uint64_t frame_iid(struct pfs *p, const char *s, int kernel)
{
	uint64_t n = name_iid(p, s), iid = n * 2 + !!kernel;
	P(Frame) *f;

	if (!n)
		return 0;
	if (ss_idmap_get(p->frames, iid) >= 0)
		return iid;
	if (room(p, (void ***)&p->pf, &p->capf, p->data.n_frames) || !(f = malloc(sizeof(*f))))
		return 0;
	if (ss_idmap_put(p->frames, iid, 0)) {
		free(f);
		p->nomem = 1;
		return 0;
	}
	*f = (P(Frame))PERFETTO__PROTOS__FRAME__INIT;
	f->has_iid = f->has_function_name_id = f->has_kind = 1;
	f->iid = iid;
	f->function_name_id = n;
	f->kind = kernel ? PERFETTO__PROTOS__FRAME__KIND__KIND_KERNEL :
		  PERFETTO__PROTOS__FRAME__KIND__KIND_NATIVE;
	p->pf[p->data.n_frames++] = f;
	return iid;
}

/* The frames of one stack, root first, appended to ids. */
static void add_frames(struct pfs *p, uint32_t tgid, uint64_t id, int kernel, uint64_t *ids,
		       size_t *n)
{
	struct ss_frame fr[MAXF];
	char name[256];
	int nf;

	if (!id)
		return;
	nf = ss_stacks_frames(p->st, kernel ? 0 : tgid, id, fr, MAXF);
	if (nf < 0) {
		ids[(*n)++] = frame_iid(p, kernel ? "[kernel stack not in trace]" :
					"[user stack not in trace]", kernel);
		return;
	}
	if (nf > MAXF)
		nf = MAXF;
	if (!kernel && ss_stacks_one_frame(p->st, tgid, id))
		ids[(*n)++] = frame_iid(p, "[one frame: no frame pointers]", 0);
	for (int i = nf - 1; i >= 0; i--)
		ids[(*n)++] = frame_iid(p, ss_frame_func(&fr[i], name, sizeof(name)), kernel);
}

uint64_t pfs_callstack(struct pfs *p, uint32_t tgid, uint64_t k, uint64_t u)
{
	uint64_t h = (k * 0x9e3779b97f4a7c15ull) ^ (u * 0xc2b2ae3d27d4eb4full) ^ tgid;
	int64_t i = ss_idmap_get(p->stacks, h);
	uint64_t *ids;
	P(Callstack) *c;
	size_t n = 0;

	if (!k && !u)
		return 0;
	if (p->taken)
		clear_pending(p);
	if (i >= 0 && p->cs[i].tgid == tgid && p->cs[i].k == k && p->cs[i].u == u)
		return i + 1;
	if (room(p, (void ***)&p->pc, &p->capc, p->data.n_callstacks))
		return 0;
	if (p->ncs == p->capcs) {
		size_t cap = p->capcs ? p->capcs * 2 : 64;
		struct cs_key *ncs = realloc(p->cs, cap * sizeof(*ncs));

		if (!ncs) {
			p->nomem = 1;
			return 0;
		}
		p->cs = ncs;
		p->capcs = cap;
	}
	ids = malloc(2 * (MAXF + 1) * sizeof(*ids));
	c = malloc(sizeof(*c));
	if (!ids || !c) {
		free(ids);
		free(c);
		p->nomem = 1;
		return 0;
	}
	add_frames(p, tgid, u, 0, ids, &n);
	add_frames(p, tgid, k, 1, ids, &n);
	for (size_t j = 0; j < n; j++)
		if (!ids[j]) {		/* out of memory on the way */
			free(ids);
			free(c);
			return 0;
		}
	p->cs[p->ncs] = (struct cs_key){ tgid, k, u };
	if (i < 0 && ss_idmap_put(p->stacks, h, p->ncs))
		p->nomem = 1;
	*c = (P(Callstack))PERFETTO__PROTOS__CALLSTACK__INIT;
	c->has_iid = 1;
	c->iid = ++p->ncs;
	c->n_frame_ids = n;
	c->frame_ids = ids;
	p->pc[p->data.n_callstacks++] = c;
	return c->iid;
}

P(InternedData) *pfs_take(struct pfs *p)
{
	if (p->taken)
		clear_pending(p);
	if (!p->data.n_function_names && !p->data.n_frames && !p->data.n_callstacks)
		return NULL;
	p->data.function_names = p->pn;
	p->data.frames = p->pf;
	p->data.callstacks = p->pc;
	p->taken = 1;
	return &p->data;
}
