/* record --stacks in user space (rec_stacks.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "backend.h"
#include "idmap.h"
#include "procmaps.h"
#include "rec_stacks.h"
#include "resolve.h"
#include "ss.h"

/* A process's maps are read again for an address outside them at most
 * this often (a library loaded since; a JIT's code never maps a file),
 * but the first REREAD_FREE times at once: a program's first stacks come
 * while the dynamic loader maps its libraries, and a program that ends
 * sooner than REREAD_NS would keep its libraries' frames unnamed. */
#define REREAD_NS	(100ull * 1000000)
#define REREAD_FREE	4
#define NAME_MAX_LEN	2048
#define OBJ_MAX_LEN	1024

struct addr {
	uint64_t addr;
	uint32_t tgid;		/* 0: kernel */
	uint8_t ret;		/* seen as a return address (not innermost) */
	uint8_t done;		/* its ss_sym is written (or it has none) */
};

struct range {
	uint64_t start, end;
	int exec;
};

struct proc {
	uint32_t tgid;
	int read;		/* maps read since its last exec */
	int maps_ok;		/* and they could be read */
	uint64_t last_read;	/* ts of the record that made us read */
	int rereads;		/* reads for an address outside them, since exec */
	struct range *x;	/* every mapping (exec: code, files or JIT) */
	size_t nx, capx;
};

struct rec_stacks {
	struct ss_sink *sink;
	struct ss_resolver *res;
	int lost_fd;
	struct ss_idmap *addr_idx;	/* hash(tgid, addr) (+ probe) -> addrs[] */
	struct addr *addrs;
	size_t naddrs, capaddrs;
	struct ss_idmap *proc_idx;	/* tgid -> procs[] */
	struct proc *procs;
	size_t nprocs, capprocs;
	struct rec_stacks_stats st;
	int oom_said;
	int eager;		/* name addresses as their stacks arrive */
	union {
		struct ss_stack s;
		char b[sizeof(struct ss_stack) + 8 * SS_STACK_MAX_DEPTH];
	} cut;			/* a stack whose walk broke off, cut */
};

static int grow(void **p, size_t *cap, size_t n, size_t elem)
{
	size_t nc;
	void *np;

	if (n <= *cap)
		return 0;
	nc = *cap ? *cap * 2 : 256;
	while (nc < n)
		nc *= 2;
	np = realloc(*p, nc * elem);
	if (!np)
		return -1;
	*p = np;
	*cap = nc;
	return 0;
}

struct rec_stacks *rec_stacks_new(struct ss_sink *sink, int stack_lost_fd)
{
	struct rec_stacks *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->sink = sink;
	s->lost_fd = stack_lost_fd;
	s->res = ss_resolver_new();
	s->addr_idx = ss_idmap_new();
	s->proc_idx = ss_idmap_new();
	if (!s->res || !s->addr_idx || !s->proc_idx) {
		rec_stacks_free(s);
		return NULL;
	}
	return s;
}

void rec_stacks_free(struct rec_stacks *s)
{
	if (!s)
		return;
	ss_resolver_free(s->res);
	ss_idmap_free(s->addr_idx);
	ss_idmap_free(s->proc_idx);
	free(s->addrs);
	for (size_t i = 0; i < s->nprocs; i++)
		free(s->procs[i].x);
	free(s->procs);
	free(s);
}

static void oom(struct rec_stacks *s)
{
	if (!s->oom_said)
		ss_warn("out of memory: some stack addresses will have no symbol");
	s->oom_said = 1;
}

static uint64_t addr_key(uint32_t tgid, uint64_t addr, unsigned int probe)
{
	uint64_t k = (addr ^ ((uint64_t)tgid << 40) ^ ((uint64_t)tgid >> 24)) +
		     probe * 0x9e3779b97f4a7c15ull;

	return k * 0xbf58476d1ce4e5b9ull;
}

static void addr_add(struct rec_stacks *s, uint32_t tgid, uint64_t addr, int ret)
{
	for (unsigned int probe = 0;; probe++) {
		uint64_t k = addr_key(tgid, addr, probe);
		int64_t i = ss_idmap_get(s->addr_idx, k);

		if (i >= 0) {
			struct addr *a = &s->addrs[i];

			if (a->addr != addr || a->tgid != tgid)
				continue;
			a->ret |= ret;
			return;
		}
		if (grow((void **)&s->addrs, &s->capaddrs, s->naddrs + 1, sizeof(*s->addrs)) ||
		    ss_idmap_put(s->addr_idx, k, s->naddrs)) {
			oom(s);
			return;
		}
		s->addrs[s->naddrs++] = (struct addr){ addr, tgid, ret, 0 };
		return;
	}
}

static struct proc *proc_get(struct rec_stacks *s, uint32_t tgid, int create)
{
	int64_t i = ss_idmap_get(s->proc_idx, tgid);

	if (i >= 0)
		return &s->procs[i];
	if (!create)
		return NULL;
	if (grow((void **)&s->procs, &s->capprocs, s->nprocs + 1, sizeof(*s->procs)) ||
	    ss_idmap_put(s->proc_idx, tgid, s->nprocs)) {
		oom(s);
		return NULL;
	}
	s->procs[s->nprocs] = (struct proc){ .tgid = tgid };
	return &s->procs[s->nprocs++];
}

static void emit_map(struct rec_stacks *s, const struct ss_hdr *at, uint32_t tgid,
		     const struct ss_procmap *pm, const uint8_t *bid, uint32_t bidlen)
{
	size_t plen = strlen(pm->path), size;
	char buf[sizeof(struct ss_map) + 4096 + 8];
	struct ss_map *m = (void *)buf;

	if (plen > 4096)
		plen = 4096;
	size = (sizeof(*m) + plen + 7) & ~7ul;
	memset(buf, 0, size);
	m->hdr = (struct ss_hdr){ SS_EV_MAP, size, at->cpu, at->ts };
	m->tgid = tgid;
	m->build_id_len = bidlen;
	m->start = pm->start;
	m->end = pm->end;
	m->pgoff = pm->pgoff;
	memcpy(m->build_id, bid, bidlen);
	m->path_len = plen;
	memcpy(m + 1, pm->path, plen);
	ss_sink_add(s->sink, &m->hdr);
	s->st.maps++;
}

/* The executable file mappings of tgid not known yet: into the resolver
 * (their files opened now, so they read after the process is gone) and
 * the trace. */
static void read_maps(struct rec_stacks *s, struct proc *p, const struct ss_hdr *at)
{
	char path[64], line[4096 + 256];
	struct ss_procmap pm;
	FILE *f;

	p->read = 1;
	p->last_read = at->ts;
	snprintf(path, sizeof(path), "/proc/%u/maps", p->tgid);
	f = fopen(path, "re");
	if (!f) {
		if (!p->maps_ok)
			s->st.procs_gone++;
		return;
	}
	p->maps_ok = 1;
	p->nx = 0;
	while (fgets(line, sizeof(line), f)) {
		uint8_t bid[20] = { 0 };
		uint32_t bidlen = 0;
		int fd;

		if (ss_procmap_parse(line, &pm))
			continue;
		if (!grow((void **)&p->x, &p->capx, p->nx + 1, sizeof(*p->x)))
			p->x[p->nx++] = (struct range){ pm.start, pm.end, pm.perms[2] == 'x' };
		if (!ss_procmap_is_exec_file(&pm))
			continue;
		if (ss_resolver_has_map(s->res, p->tgid, pm.start) &&
		    ss_resolver_has_map(s->res, p->tgid, pm.end - 1))
			continue;
		/* the mapped file itself, even when deleted or replaced since */
		snprintf(path, sizeof(path), "/proc/%u/map_files/%llx-%llx", p->tgid,
			 (unsigned long long)pm.start, (unsigned long long)pm.end);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (ss_resolver_add_map_fd(s->res, p->tgid, pm.start, pm.end, pm.pgoff, fd,
					   pm.path, bid, &bidlen) == -ENOEXEC)
			continue;
		emit_map(s, at, p->tgid, &pm, bid, bidlen);
	}
	fclose(f);
}

static void emit_sym(struct rec_stacks *s, const struct addr *a, const char *func,
		     uint64_t off, const char *obj, uint64_t ts)
{
	size_t nl = strlen(func), ol = obj ? strlen(obj) : 0, size;
	char buf[sizeof(struct ss_sym) + NAME_MAX_LEN + OBJ_MAX_LEN + 8];
	struct ss_sym *y = (void *)buf;

	if (nl > NAME_MAX_LEN)
		nl = NAME_MAX_LEN;
	if (ol > OBJ_MAX_LEN)
		ol = OBJ_MAX_LEN;
	size = (sizeof(*y) + nl + ol + 7) & ~7ul;
	memset(buf, 0, size);
	y->hdr = (struct ss_hdr){ SS_EV_SYM, size, 0, ts };
	y->addr = a->addr;
	y->tgid = a->tgid;
	y->off = off > UINT32_MAX ? UINT32_MAX : off;
	y->name_len = nl;
	y->obj_len = ol;
	memcpy(y + 1, func, nl);
	if (ol)
		memcpy((char *)(y + 1) + nl, obj, ol);
	ss_sink_add(s->sink, &y->hdr);
	s->st.syms++;
}

/* ss_sym records of the addresses from index `from` on not written yet
 * (only tgid's, unless all). The offset is from the recorded address,
 * whatever was looked up. */
static void flush_syms(struct rec_stacks *s, size_t from, int all, uint32_t tgid,
		       uint64_t ts)
{
	for (size_t i = from; i < s->naddrs; i++) {
		struct addr *a = &s->addrs[i];
		uint64_t look = a->ret ? a->addr - 1 : a->addr, off;
		const char *func, *obj;
		int rc;

		if (a->done || (!all && a->tgid != tgid))
			continue;
		a->done = 1;
		if (a->tgid)
			rc = ss_resolver_user(s->res, a->tgid, look, &func, &off, &obj);
		else
			rc = ss_resolver_kernel(s->res, look, &func, &off, &obj);
		if (rc || !func) {
			s->st.unnamed++;
			continue;
		}
		emit_sym(s, a, func, off + (a->addr - look), obj, ts);
	}
}

enum where { CODE, DATA, UNKNOWN };

/* Code, not code (a data mapping, below every mapping, kernel half), or
 * not known: mapped since the maps were read, maybe. */
static enum where where(const struct proc *p, uint64_t ip)
{
	if (!p->nx || ip < p->x[0].start || ip >= (1ull << 63))
		return p->nx ? DATA : UNKNOWN;
	for (size_t i = 0; i < p->nx; i++)
		if (ip >= p->x[i].start && ip < p->x[i].end)
			return p->x[i].exec ? CODE : DATA;
	return UNKNOWN;
}

/*
 * A frame-pointer walk through code built without frame pointers reads
 * whatever the register held: the frames after the first that point into
 * no executable mapping are not return addresses. Cut the stack before the
 * first of them and flag it truncated, so that a view says the stack is
 * incomplete (one frame left: rebuild with -fno-omit-frame-pointer) instead
 * of showing garbage as callers.
 */
static const struct ss_hdr *cut_broken(struct rec_stacks *s, const struct proc *p,
				       const struct ss_stack *st, int fresh)
{
	const uint64_t *ip = (const uint64_t *)(st + 1);
	unsigned int keep = st->nr;

	if (!p->maps_ok || !p->nx || st->nr > SS_STACK_MAX_DEPTH)
		return &st->hdr;
	for (unsigned int i = 1; i < st->nr; i++) {
		enum where w = where(p, ip[i]);

		/* not known, with maps older than the stack: cannot tell */
		if (w == UNKNOWN && !fresh)
			break;
		if (w != CODE) {
			keep = i;
			break;
		}
	}
	if (keep == st->nr)
		return &st->hdr;
	s->st.cut++;
	memcpy(&s->cut.s, st, sizeof(*st) + keep * 8);
	s->cut.s.hdr.size = sizeof(*st) + keep * 8;
	s->cut.s.nr = keep;
	s->cut.s.flags |= SS_STACK_TRUNCATED;
	return &s->cut.s.hdr;
}

const struct ss_hdr *rec_stacks_record(struct rec_stacks *s, const struct ss_hdr *h)
{
	const struct ss_stack *st = (const void *)h;
	const uint64_t *ip = (const uint64_t *)(st + 1);
	struct proc *p = NULL;
	int unknown = 0, fresh = 0;
	size_t first;

	if (h->type == SS_EV_EXEC && h->size >= sizeof(struct ss_exec)) {
		uint32_t tgid = ((const struct ss_exec *)h)->tgid;

		/* another program in the same process: name the old one's
		 * addresses now, then its mappings are history */
		p = proc_get(s, tgid, 0);
		if (p && p->read) {
			flush_syms(s, 0, 0, tgid, h->ts);
			ss_resolver_forget(s->res, tgid);
			p->read = 0;
			p->maps_ok = 0;
			p->rereads = 0;
		}
		return h;
	}
	if (h->type != SS_EV_STACK || h->size < sizeof(*st) ||
	    st->nr > (h->size - sizeof(*st)) / 8)
		return h;
	s->st.stacks++;
	if (st->tgid && !(st->flags & SS_STACK_KERNEL)) {
		p = proc_get(s, st->tgid, 1);
		if (p && !p->read) {
			read_maps(s, p, h);
			fresh = 1;
		}
	}
	for (unsigned int i = 0; p && i < st->nr; i++)
		unknown |= where(p, ip[i]) == UNKNOWN;
	if (unknown && !fresh && (p->rereads < REREAD_FREE || h->ts - p->last_read >= REREAD_NS)) {
		p->rereads++;
		read_maps(s, p, h);
		fresh = 1;
	}
	if (p) {
		h = cut_broken(s, p, st, fresh);
		st = (const void *)h;
		ip = (const uint64_t *)(st + 1);
	}
	first = s->naddrs;
	for (unsigned int i = 0; i < st->nr; i++)
		addr_add(s, st->flags & SS_STACK_KERNEL ? 0 : st->tgid, ip[i], i > 0);
	/* only the addresses this stack added: new ones go at the end */
	if (s->eager)
		flush_syms(s, first, 1, 0, h->ts);
	return h;
}

void rec_stacks_eager(struct rec_stacks *s)
{
	s->eager = 1;
}

void rec_stacks_finish(struct rec_stacks *s, uint64_t ts, struct rec_stacks_stats *st)
{
	unsigned int ncpu = ss_ncpu();
	uint64_t lost[ncpu];
	__u32 zero = 0;

	flush_syms(s, 0, 1, 0, ts);
	if (s->lost_fd >= 0 && bpf_map_lookup_elem(s->lost_fd, &zero, lost) == 0)
		for (unsigned int i = 0; i < ncpu; i++)
			s->st.lost += lost[i];
	s->st.addrs = s->naddrs;
	*st = s->st;
}
