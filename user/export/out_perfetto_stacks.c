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

/* Strings interned by iid in one InternedData field. */
struct strtab {
	struct ss_idmap *map;	/* hash -> index */
	char **s;		/* by iid - 1 */
	size_t n, cap;
};

struct pfs {
	struct ss_stacks *st;
	struct ss_idmap *frames, *stacks;
	struct strtab fn, ev, cat;	/* function, event and category names */
	struct cs_key *cs;	/* by iid - 1 */
	size_t ncs, capcs;
	/* what the next packet interns */
	P(InternedData) data;
	P(InternedString) **pn;
	P(Frame) **pf;
	P(Callstack) **pc;
	P(EventName) **pe;
	P(EventCategory) **pk;
	size_t capn, capf, capc, cape, capk;
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
	p->fn.map = ss_idmap_new();
	p->ev.map = ss_idmap_new();
	p->cat.map = ss_idmap_new();
	p->frames = ss_idmap_new();
	p->stacks = ss_idmap_new();
	p->data = (P(InternedData))PERFETTO__PROTOS__INTERNED_DATA__INIT;
	if (!p->fn.map || !p->ev.map || !p->cat.map || !p->frames || !p->stacks) {
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
	for (size_t i = 0; i < p->data.n_event_names; i++)
		free(p->pe[i]);
	for (size_t i = 0; i < p->data.n_event_categories; i++)
		free(p->pk[i]);
	p->data.n_function_names = p->data.n_frames = p->data.n_callstacks = 0;
	p->data.n_event_names = p->data.n_event_categories = 0;
	p->taken = 0;
}

static void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	ss_idmap_free(t->map);
}

void pfs_free(struct pfs *p)
{
	if (!p)
		return;
	clear_pending(p);
	strtab_free(&p->fn);
	strtab_free(&p->ev);
	strtab_free(&p->cat);
	free(p->cs);
	free(p->pn);
	free(p->pf);
	free(p->pc);
	free(p->pe);
	free(p->pk);
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

/* The iid of s in t: *fresh set when it is new (the caller interns it). */
static uint64_t str_iid(struct pfs *p, struct strtab *t, const char *s, int *fresh)
{
	uint64_t h = fnv(s);
	int64_t i = ss_idmap_get(t->map, h);

	*fresh = 0;
	if (i >= 0 && !strcmp(t->s[i], s))
		return i + 1;
	if (room(p, (void ***)&t->s, &t->cap, t->n))
		return 0;
	if (!(t->s[t->n] = strdup(s))) {
		p->nomem = 1;
		return 0;
	}
	/* a hash taken by another string keeps it: this one is interned
	 * again at each use, which costs bytes only */
	if (i < 0 && ss_idmap_put(t->map, h, t->n))
		p->nomem = 1;
	*fresh = 1;
	return ++t->n;
}

static void begin_pending(struct pfs *p)
{
	if (p->taken)
		clear_pending(p);
}

static uint64_t name_iid(struct pfs *p, const char *s)
{
	P(InternedString) *m;
	int fresh;
	uint64_t iid = str_iid(p, &p->fn, s, &fresh);

	if (!fresh)
		return iid;
	if (room(p, (void ***)&p->pn, &p->capn, p->data.n_function_names) ||
	    !(m = malloc(sizeof(*m)))) {
		p->nomem = 1;
		return 0;
	}
	*m = (P(InternedString))PERFETTO__PROTOS__INTERNED_STRING__INIT;
	m->has_iid = m->has_str = 1;
	m->iid = iid;
	m->str.data = (uint8_t *)p->fn.s[iid - 1];
	m->str.len = strlen(s);
	p->pn[p->data.n_function_names++] = m;
	return iid;
}

uint64_t pfs_event_name(struct pfs *p, const char *s)
{
	P(EventName) *m;
	int fresh;
	uint64_t iid;

	begin_pending(p);
	iid = str_iid(p, &p->ev, s, &fresh);
	if (!fresh)
		return iid;
	if (room(p, (void ***)&p->pe, &p->cape, p->data.n_event_names) ||
	    !(m = malloc(sizeof(*m)))) {
		p->nomem = 1;
		return 0;
	}
	*m = (P(EventName))PERFETTO__PROTOS__EVENT_NAME__INIT;
	m->has_iid = 1;
	m->iid = iid;
	m->name = p->ev.s[iid - 1];
	p->pe[p->data.n_event_names++] = m;
	return iid;
}

uint64_t pfs_category(struct pfs *p, const char *s)
{
	P(EventCategory) *m;
	int fresh;
	uint64_t iid;

	begin_pending(p);
	iid = str_iid(p, &p->cat, s, &fresh);
	if (!fresh)
		return iid;
	if (room(p, (void ***)&p->pk, &p->capk, p->data.n_event_categories) ||
	    !(m = malloc(sizeof(*m)))) {
		p->nomem = 1;
		return 0;
	}
	*m = (P(EventCategory))PERFETTO__PROTOS__EVENT_CATEGORY__INIT;
	m->has_iid = 1;
	m->iid = iid;
	m->name = p->cat.s[iid - 1];
	p->pk[p->data.n_event_categories++] = m;
	return iid;
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
	begin_pending(p);
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
	begin_pending(p);
	if (!p->data.n_function_names && !p->data.n_frames && !p->data.n_callstacks &&
	    !p->data.n_event_names && !p->data.n_event_categories)
		return NULL;
	p->data.function_names = p->pn;
	p->data.frames = p->pf;
	p->data.callstacks = p->pc;
	p->data.event_names = p->pe;
	p->data.event_categories = p->pk;
	p->taken = 1;
	return &p->data;
}
