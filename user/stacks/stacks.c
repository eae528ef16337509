/* The stacks table (stacks.h): ss_stack, ss_map and ss_sym records kept by
 * (tgid, id) and (tgid, addr), and frames named from them.
 *
 * Everything here comes from a file that may be damaged or hostile: a
 * record whose nr does not fit its size is dropped (counted), a second
 * stack record of an id keeps the first (counted when its addresses
 * differ: two stacks under one id would make every view lie), strings are
 * copied with their lengths checked against the record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "demangle.h"
#include "resolve.h"
#include "ss.h"
#include "stacks.h"
#include "trace.h"

struct stack {
	uint64_t id;
	uint32_t tgid;
	uint16_t nr, flags;
	uint64_t *ip;
	struct ss_frame *frames;	/* named on first use */
	uint16_t skip;		/* innermost frames that are the tracer's own */
};

struct sym {
	uint64_t addr;
	uint32_t tgid;
	uint32_t off;
	char *name, *obj;
};

struct map {
	uint32_t tgid;
	uint64_t start, end, pgoff;
	char *path;
	struct ss_map *rec;	/* the record, for the resolver */
};

/* Open addressing from (tgid, key) to an index of one of the arrays. */
struct slot {
	uint64_t key;
	uint32_t tgid;
	uint32_t idx;	/* index + 1; 0: empty */
};

struct table {
	struct slot *s;
	size_t cap, n;	/* cap: a power of two */
};

struct ss_stacks {
	struct stack *st;
	size_t nst, capst;
	struct sym *sy;
	size_t nsy, capsy;
	struct map *mp;
	size_t nmp, capmp;
	struct table by_id, by_addr;
	struct ss_stacks_damage dmg;
	/* addresses without an ss_sym record: this machine's files by the
	 * trace's ss_map records, kallsyms when the trace is of this boot */
	struct ss_resolver *res;
	int res_tried;
	int kernel_here;
	/* the resolver's C++ names demangled, by the name's address */
	struct table by_func;
	char **dm;
	size_t ndm, capdm;
};

static uint64_t mix(uint64_t k, uint32_t tgid)
{
	k ^= (uint64_t)tgid * 0x9e3779b97f4a7c15ull;
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static int64_t tget(const struct table *t, uint32_t tgid, uint64_t key)
{
	if (!t->cap)
		return -1;
	for (size_t i = mix(key, tgid) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->s[i].idx)
			return -1;
		if (t->s[i].key == key && t->s[i].tgid == tgid)
			return t->s[i].idx - 1;
	}
}

static void tplace(struct slot *s, size_t cap, struct slot v)
{
	size_t i = mix(v.key, v.tgid) & (cap - 1);

	while (s[i].idx)
		i = (i + 1) & (cap - 1);
	s[i] = v;
}

/* Add a key known to be absent. */
static int tput(struct table *t, uint32_t tgid, uint64_t key, size_t idx)
{
	if ((t->n + 1) * 2 > t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 256;
		struct slot *ns = calloc(nc, sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		for (size_t i = 0; i < t->cap; i++)
			if (t->s[i].idx)
				tplace(ns, nc, t->s[i]);
		free(t->s);
		t->s = ns;
		t->cap = nc;
	}
	tplace(t->s, t->cap, (struct slot){ key, tgid, (uint32_t)idx + 1 });
	t->n++;
	return 0;
}

static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t nc;
	void *nv;

	if (n < *cap)
		return 0;
	if (n >= UINT32_MAX - 1)	/* indexes are 32-bit in the tables */
		return -ENOMEM;
	nc = *cap ? *cap * 2 : 64;
	nv = realloc(*v, nc * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

static char *dup_len(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	memcpy(s, p, n);
	s[n] = 0;
	/* a name is printed on one line and inside folded stacks */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
	return s;
}

struct ss_stacks *ss_stacks_new(void)
{
	return calloc(1, sizeof(struct ss_stacks));
}

void ss_stacks_free(struct ss_stacks *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nst; i++) {
		free(s->st[i].ip);
		free(s->st[i].frames);
	}
	for (size_t i = 0; i < s->nsy; i++) {
		free(s->sy[i].name);
		free(s->sy[i].obj);
	}
	for (size_t i = 0; i < s->nmp; i++) {
		free(s->mp[i].path);
		free(s->mp[i].rec);
	}
	for (size_t i = 0; i < s->ndm; i++)
		free(s->dm[i]);
	free(s->dm);
	free(s->by_func.s);
	ss_resolver_free(s->res);
	free(s->st);
	free(s->sy);
	free(s->mp);
	free(s->by_id.s);
	free(s->by_addr.s);
	free(s);
}

static int add_stack(struct ss_stacks *s, const struct ss_stack *r)
{
	const uint64_t *ip = (const uint64_t *)(r + 1);
	size_t room = (r->hdr.size - sizeof(*r)) / sizeof(uint64_t);
	uint32_t tgid = r->flags & SS_STACK_KERNEL ? 0 : r->tgid;
	struct stack *st;
	int64_t old;

	if (r->nr > room || !r->id || (r->flags & SS_STACK_FAILED && r->nr)) {
		s->dmg.bad++;
		return 0;
	}
	old = tget(&s->by_id, tgid, r->id);
	if (old >= 0) {
		st = &s->st[old];
		if (st->nr != r->nr || st->flags != r->flags ||
		    memcmp(st->ip, ip, r->nr * sizeof(*ip)))
			s->dmg.conflicts++;
		return 0;
	}
	if (grow((void **)&s->st, &s->capst, s->nst, sizeof(*s->st)))
		return -ENOMEM;
	st = &s->st[s->nst];
	memset(st, 0, sizeof(*st));
	st->ip = malloc(r->nr ? r->nr * sizeof(*ip) : 1);
	if (!st->ip)
		return -ENOMEM;
	memcpy(st->ip, ip, r->nr * sizeof(*ip));
	st->id = r->id;
	st->tgid = tgid;
	st->nr = r->nr;
	st->flags = r->flags;
	if (tput(&s->by_id, tgid, r->id, s->nst)) {
		free(st->ip);
		return -ENOMEM;
	}
	s->nst++;
	return 0;
}

static int add_sym(struct ss_stacks *s, const struct ss_sym *r)
{
	const char *p = (const char *)(r + 1);
	struct sym *y;

	if ((size_t)r->name_len + r->obj_len > r->hdr.size - sizeof(*r) || !r->name_len) {
		s->dmg.bad++;
		return 0;
	}
	if (tget(&s->by_addr, r->tgid, r->addr) >= 0) {
		s->dmg.dup_syms++;	/* the first one names the address */
		return 0;
	}
	if (grow((void **)&s->sy, &s->capsy, s->nsy, sizeof(*s->sy)))
		return -ENOMEM;
	y = &s->sy[s->nsy];
	y->addr = r->addr;
	y->tgid = r->tgid;
	y->off = r->off;
	y->name = dup_len(p, r->name_len);
	y->obj = dup_len(p + r->name_len, r->obj_len);
	if (y->name) {
		char *d = ss_demangle(y->name);	/* (the trace keeps the symbol) */

		if (d) {
			free(y->name);
			y->name = d;
		}
	}
	if (!y->name || !y->obj || tput(&s->by_addr, r->tgid, r->addr, s->nsy)) {
		free(y->name);
		free(y->obj);
		return -ENOMEM;
	}
	s->nsy++;
	return 0;
}

static int add_map(struct ss_stacks *s, const struct ss_map *r)
{
	struct map *m;

	if (r->path_len > r->hdr.size - sizeof(*r) || r->end <= r->start ||
	    r->build_id_len > sizeof(r->build_id)) {
		s->dmg.bad++;
		return 0;
	}
	if (grow((void **)&s->mp, &s->capmp, s->nmp, sizeof(*s->mp)))
		return -ENOMEM;
	m = &s->mp[s->nmp];
	m->tgid = r->tgid;
	m->start = r->start;
	m->end = r->end;
	m->pgoff = r->pgoff;
	m->path = dup_len((const char *)(r + 1), r->path_len);
	m->rec = malloc(r->hdr.size);
	if (!m->path || !m->rec) {
		free(m->path);
		free(m->rec);
		return -ENOMEM;
	}
	memcpy(m->rec, r, r->hdr.size);
	s->nmp++;
	return 0;
}

int ss_stacks_add(struct ss_stacks *s, const struct ss_hdr *h)
{
	unsigned int min = ss_type_min_size(h->type);

	if (min && h->size < min)
		return 0;	/* the reader drops these; a caller may not */
	switch (h->type) {
	case SS_EV_STACK:
		return add_stack(s, (const void *)h);
	case SS_EV_SYM:
		return add_sym(s, (const void *)h);
	case SS_EV_MAP:
		return add_map(s, (const void *)h);
	default:
		return 0;
	}
}

struct ss_stacks *ss_stacks_load(struct ss_reader *r)
{
	struct ss_stacks *s = ss_stacks_new();
	const struct ss_hdr *h;

	if (!s)
		return NULL;
	s->kernel_here = ss_meta_this_boot(ss_reader_meta(r));
	while (ss_reader_next(r, &h) == 1) {
		if (ss_stacks_add(s, h)) {
			ss_stacks_free(s);
			ss_reader_rewind(r);
			errno = ENOMEM;
			return NULL;
		}
	}
	ss_reader_rewind(r);
	return s;
}

size_t ss_stacks_count(const struct ss_stacks *s)
{
	return s ? s->nst : 0;
}

const struct ss_stacks_damage *ss_stacks_damage(const struct ss_stacks *s)
{
	return &s->dmg;
}

static struct stack *find(const struct ss_stacks *s, uint32_t tgid, uint64_t id)
{
	int64_t i;

	if (!s || !id)
		return NULL;
	i = tget(&s->by_id, tgid, id);
	return i < 0 ? NULL : &s->st[i];
}

static int name_all(struct ss_stacks *s, struct stack *st);

int ss_stacks_info(const struct ss_stacks *s, uint32_t tgid, uint64_t id,
		   struct ss_stack_info *info)
{
	struct stack *st = find(s, tgid, id);

	if (!st)
		return -ENOENT;
	/* the frames are named to know how many are the tracer's */
	if (name_all((struct ss_stacks *)s, st))
		return -ENOMEM;
	info->tgid = st->tgid;
	info->nr = st->nr - st->skip;
	info->flags = st->flags;
	return 0;
}

/* The mapping of a process that holds ip (the last one recorded wins: a
 * later mapping of the same range replaced the earlier one). */
static const struct map *map_of(const struct ss_stacks *s, uint32_t tgid, uint64_t ip)
{
	for (size_t i = s->nmp; i-- > 0;)
		if (s->mp[i].tgid == tgid && ip >= s->mp[i].start && ip < s->mp[i].end)
			return &s->mp[i];
	return NULL;
}

static struct ss_resolver *resolver(struct ss_stacks *s)
{
	if (s->res_tried)
		return s->res;
	s->res_tried = 1;
	s->res = ss_resolver_new();
	for (size_t i = 0; s->res && i < s->nmp; i++)
		ss_resolver_add_map_rec(s->res, s->mp[i].rec);	/* a file not here: no names */
	return s->res;
}

/* The resolver's name func demangled, once per name (func itself when it
 * is no C++ name or memory is short). */
static const char *demangled(struct ss_stacks *s, const char *func)
{
	uint64_t key = (uintptr_t)func;
	int64_t i;
	char *d;

	if (strncmp(func, "_Z", 2))
		return func;
	if ((i = tget(&s->by_func, 0, key)) >= 0)
		return s->dm[i] ? s->dm[i] : func;
	if (grow((void **)&s->dm, &s->capdm, s->ndm, sizeof(*s->dm)))
		return func;
	d = ss_demangle(func);
	if (tput(&s->by_func, 0, key, s->ndm)) {
		free(d);
		return func;
	}
	s->dm[s->ndm++] = d;
	return d ? d : func;
}

/* Name ip (frame k of its stack) on this machine: 0 when it could. */
static int resolve_here(struct ss_stacks *s, const struct stack *st, uint64_t ip,
			unsigned int k, struct ss_frame *f)
{
	uint64_t at = ss_lookup_ip(ip, k), off;
	const char *func = NULL, *obj = NULL;
	struct ss_resolver *r;
	int rc;

	if (f->kernel && !s->kernel_here)
		return -1;	/* another boot's kernel: KASLR moved it */
	if (!f->kernel && !map_of(s, st->tgid, ip))
		return -1;
	if (!(r = resolver(s)))
		return -1;
	rc = f->kernel ? ss_resolver_kernel(r, at, &func, &off, &obj) :
	     ss_resolver_user(r, st->tgid, at, &func, &off, &obj);
	if (rc || !func)
		return -1;
	f->func = f->kernel ? func : demangled(s, func);
	f->off = off + (ip - at);
	f->obj = obj;
	return 0;
}

static void name_frame(struct ss_stacks *s, const struct stack *st, unsigned int k,
		       struct ss_frame *f)
{
	uint64_t ip = st->ip[k];
	int64_t i = tget(&s->by_addr, st->tgid, ip);
	const struct map *m;

	memset(f, 0, sizeof(*f));
	f->ip = ip;
	f->kernel = !!(st->flags & SS_STACK_KERNEL);
	if (i >= 0) {
		f->func = s->sy[i].name;
		f->off = s->sy[i].off;
		f->obj = s->sy[i].obj;
		return;
	}
	if (resolve_here(s, st, ip, k, f) == 0)
		return;
	if (f->kernel)
		return;
	m = map_of(s, st->tgid, ip);
	if (m) {
		f->obj = m->path;
		f->off = ip - m->start + m->pgoff;
	}
}

/* A kernel stack taken at a tracepoint begins in the tracer: the BPF
 * program and the tracepoint's calls into it. They say nothing about why
 * the task left the CPU, and would be the root of every flame graph. */
static int tracer_frame(const struct ss_frame *f)
{
	static const char *const pfx[] = {
		"bpf_prog_", "bpf_trace_run", "__traceiter_", "__bpf_trace_",
		"perf_trace_", "trace_event_raw_event_",
	};

	if (!f->kernel || !f->func)
		return 0;
	if (f->obj && !strcmp(f->obj, "bpf"))
		return 1;
	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (!strncmp(f->func, pfx[i], strlen(pfx[i])))
			return 1;
	return 0;
}

static int name_all(struct ss_stacks *s, struct stack *st)
{
	if (st->frames || !st->nr)
		return 0;
	st->frames = calloc(st->nr, sizeof(*st->frames));
	if (!st->frames)
		return -ENOMEM;
	for (unsigned int k = 0; k < st->nr; k++)
		name_frame(s, st, k, &st->frames[k]);
	/* never all of it: a stack of tracer frames only stays as it is */
	while (st->skip + 1 < st->nr && tracer_frame(&st->frames[st->skip]))
		st->skip++;
	return 0;
}

int ss_stacks_frames(struct ss_stacks *s, uint32_t tgid, uint64_t id,
		     struct ss_frame *out, int max)
{
	struct stack *st = find(s, tgid, id);
	int n;

	if (!st)
		return -ENOENT;
	if (name_all(s, st))
		return -ENOMEM;
	n = st->nr - st->skip;
	for (int k = 0; k < max && k < n; k++)
		out[k] = st->frames[st->skip + k];
	return n;
}

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');

	return b && b[1] ? b + 1 : p;
}

const char *ss_frame_name(const struct ss_frame *f, char *buf, size_t len)
{
	if (f->func && f->off)
		snprintf(buf, len, "%s+0x%llx", f->func, (unsigned long long)f->off);
	else if (f->func)
		snprintf(buf, len, "%s", f->func);
	else if (f->obj && *f->obj)
		snprintf(buf, len, "%s+0x%llx", base_name(f->obj), (unsigned long long)f->off);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)f->ip);
	return buf;
}

const char *ss_frame_func(const struct ss_frame *f, char *buf, size_t len)
{
	if (f->func)
		snprintf(buf, len, "%s", f->func);
	else
		ss_frame_name(f, buf, len);
	return buf;
}

int ss_stacks_one_frame(struct ss_stacks *s, uint32_t tgid, uint64_t id)
{
	struct ss_frame f;
	struct ss_stack_info in;

	if (!tgid || ss_stacks_info(s, tgid, id, &in) || in.nr != 1 || (in.flags & SS_STACK_KERNEL) ||
	    ss_stacks_frames(s, tgid, id, &f, 1) != 1)
		return 0;
	return !f.func || strcmp(f.func, "_start");
}
