/* Which cgroup each traced thread is in, over time, and the switches and
 * run-queue latency of each cgroup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cgroups.h"
#include "idmap.h"

/* A membership: the thread (or, for a whole-process move, every thread
 * of the process) is in cg from record number seq on; the newer of a
 * thread's own and its process's wins. */
struct asg {
	uint32_t cg;
	uint64_t seq;
};

struct ss_cgroups {
	struct ss_cgstat **cg;
	size_t n, cap;
	struct asg *asg;
	size_t nasg, cap_asg;
	struct ss_idmap *by_id;		/* cgroup id -> cg index */
	struct ss_idmap *by_tid;	/* tid -> asg index */
	struct ss_idmap *by_tgid;	/* tgid -> asg index (whole-process moves) */
	struct ss_idmap *counted;	/* tid -> cg index it was last counted in */
	struct ss_idmap *in_tgids;	/* processes ever in a chosen cgroup */
	uint64_t seq;
};

struct ss_cgroups *ss_cgroups_new(void)
{
	struct ss_cgroups *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->by_id = ss_idmap_new();
	c->by_tid = ss_idmap_new();
	c->by_tgid = ss_idmap_new();
	c->counted = ss_idmap_new();
	c->in_tgids = ss_idmap_new();
	if (!c->by_id || !c->by_tid || !c->by_tgid || !c->counted || !c->in_tgids) {
		ss_cgroups_free(c);
		return NULL;
	}
	return c;
}

void ss_cgroups_free(struct ss_cgroups *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->cg[i]->path);
		free(c->cg[i]);
	}
	free(c->cg);
	free(c->asg);
	ss_idmap_free(c->by_id);
	ss_idmap_free(c->by_tid);
	ss_idmap_free(c->by_tgid);
	ss_idmap_free(c->counted);
	ss_idmap_free(c->in_tgids);
	free(c);
}

/* The cgroup with this id, made if new; -1 out of memory. */
static int64_t cg_get(struct ss_cgroups *c, uint64_t id)
{
	int64_t i = ss_idmap_get(c->by_id, id);
	struct ss_cgstat *s;

	if (i >= 0)
		return i;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 16;
		struct ss_cgstat **v = realloc(c->cg, nc * sizeof(*v));

		if (!v)
			return -1;
		c->cg = v;
		c->cap = nc;
	}
	s = calloc(1, sizeof(*s));
	if (!s || ss_idmap_put(c->by_id, id, c->n)) {
		free(s);
		return -1;
	}
	s->id = id;
	c->cg[c->n] = s;
	return c->n++;
}

static int assign(struct ss_cgroups *c, struct ss_idmap *m, uint64_t key, uint32_t cg)
{
	int64_t i = ss_idmap_get(m, key);

	if (i < 0) {
		if (c->nasg == c->cap_asg) {
			size_t nc = c->cap_asg ? c->cap_asg * 2 : 64;
			struct asg *v = realloc(c->asg, nc * sizeof(*v));

			if (!v)
				return -1;
			c->asg = v;
			c->cap_asg = nc;
		}
		if (ss_idmap_put(m, key, c->nasg))
			return -1;
		i = c->nasg++;
	}
	c->asg[i] = (struct asg){ cg, ++c->seq };
	return 0;
}

int ss_cgroups_record(struct ss_cgroups *c, const struct ss_hdr *h)
{
	const struct ss_cgroup *r = (const void *)h;
	struct ss_cgstat *s;
	int64_t i;

	if (h->size < sizeof(*r) || r->path_len > h->size - sizeof(*r))
		return 0;
	i = cg_get(c, r->id);
	if (i < 0)
		return -1;
	s = c->cg[i];
	s->level = r->level;
	s->chosen |= !!(r->flags & SS_CGROUP_CHOSEN);
	s->in |= !!(r->flags & SS_CGROUP_IN);
	if (r->path_len && !s->path) {
		s->path = strndup((const char *)(r + 1), r->path_len);
		if (!s->path)
			return -1;
	}
	if (!r->tid)
		return 0;
	if ((r->flags & SS_CGROUP_IN) && r->tgid && ss_idmap_put(c->in_tgids, r->tgid, 1))
		return -1;
	if ((r->flags & SS_CGROUP_PROCESS) && r->tgid)
		return assign(c, c->by_tgid, r->tgid, i);
	return assign(c, c->by_tid, r->tid, i);
}

int ss_cgroups_tgid_in(const struct ss_cgroups *c, uint32_t tgid)
{
	return c && tgid && ss_idmap_get(c->in_tgids, tgid) >= 0;
}

/* The cgroup the thread is in now, or NULL. */
static struct ss_cgstat *cg_of(struct ss_cgroups *c, uint32_t tid, uint32_t tgid)
{
	int64_t t = ss_idmap_get(c->by_tid, tid);
	int64_t p = tgid ? ss_idmap_get(c->by_tgid, tgid) : -1;
	const struct asg *a;
	struct ss_cgstat *s;

	if (t < 0 && p < 0)
		return NULL;
	a = t < 0 ? &c->asg[p] : p < 0 ? &c->asg[t] :
	    c->asg[t].seq > c->asg[p].seq ? &c->asg[t] : &c->asg[p];
	s = c->cg[a->cg];
	if (ss_idmap_get(c->counted, tid) != a->cg) {
		s->threads++;
		ss_idmap_put(c->counted, tid, a->cg);
	}
	return s;
}

void ss_cgroups_switch(struct ss_cgroups *c, const struct ss_switch *e,
		       const struct ss_switch_info *info)
{
	struct ss_cgstat *s;

	if (e->prev_tid && (s = cg_of(c, e->prev_tid, e->prev_tgid))) {
		s->switches++;
		if (e->prev_state == SS_TASK_RUNNING)
			s->invol++;
		else
			s->vol++;
		s->run_ns += info->prev_ran;
	}
	if (e->next_tid && info->next_wait && (s = cg_of(c, e->next_tid, e->next_tgid)))
		ss_hist_add(&s->wait, info->next_wait);
}

static int by_path(const void *x, const void *y)
{
	const struct ss_cgstat *a = *(struct ss_cgstat *const *)x;
	const struct ss_cgstat *b = *(struct ss_cgstat *const *)y;

	if (a->path && b->path)
		return strcmp(a->path, b->path);
	if (a->path || b->path)
		return a->path ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

struct ss_cgstat **ss_cgroups_list(const struct ss_cgroups *c, size_t *n)
{
	struct ss_cgstat **v;
	size_t k = 0;

	*n = 0;
	if (!c || !c->n || !(v = malloc(c->n * sizeof(*v))))
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		if (c->cg[i]->switches || c->cg[i]->wait.count)
			v[k++] = c->cg[i];
	qsort(v, k, sizeof(*v), by_path);
	*n = k;
	return v;
}

void ss_cgroup_fill(struct ss_cgroup_buf *b, uint64_t ts, uint32_t cpu, uint64_t id,
		    uint32_t tid, uint32_t tgid, uint16_t flags, uint32_t level,
		    const char *path)
{
	size_t len = path ? strlen(path) : 0;

	if (len > SS_CGROUP_PATH_MAX - 1)
		len = SS_CGROUP_PATH_MAX - 1;
	memset(b, 0, sizeof(*b));
	b->c.hdr.type = SS_EV_CGROUP;
	b->c.hdr.size = sizeof(b->c) + ((len + 7) & ~7ul);
	b->c.hdr.cpu = cpu;
	b->c.hdr.ts = ts;
	b->c.id = id;
	b->c.tid = tid;
	b->c.tgid = tgid;
	b->c.path_len = len;
	b->c.flags = flags;
	b->c.level = level;
	memcpy(b->path, path ? path : "", len);
}

const char *ss_cgroup_name(const struct ss_cgstat *s, char *buf, size_t len)
{
	if (s->path)
		return s->path;
	snprintf(buf, len, "cgroup id %llu", (unsigned long long)s->id);
	return buf;
}
