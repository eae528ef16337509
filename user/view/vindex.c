/* Building the view's index: an export sink (user/export/model.h) that
 * files each slice and mark into its lanes' blocks (see vindex.h). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../export/model.h"
#include "ss.h"
#include "stacks.h"
#include "vindex.h"
#include "vsummary.h"

#define BLK_BYTES	(VBLK * sizeof(struct vrec))
#define WBUF_BYTES	(1u << 20)
#define SBUF_ENTS	(65536 / sizeof(struct vstk))

struct vsink {
	struct xsink s;
	struct vindex *x;
	struct xthread **threads;	/* by index */
	size_t nthreads, cap;
	int took_stacks;		/* x->stacks is the index's now */
};

void vclass(const struct vlane *l, const struct vrec *r, double c[VNCLS])
{
	memset(c, 0, VNCLS * sizeof(*c));
	vacc(l->type, r, c);
}

/* ---- building ---- */

static int wflush(struct vindex *x)
{
	size_t done = 0;

	while (done < x->wlen) {
		ssize_t n = pwrite(x->fd, x->wbuf + done, x->wlen - done, x->off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			x->ioerr = n < 0 ? errno : EIO;
			return -1;
		}
		done += n;
	}
	x->off += x->wlen;
	x->wlen = 0;
	return 0;
}

/* The lane's block buffer goes to the write buffer (a partial last block
 * too: the rest of it is never read). */
static void close_block(struct vindex *x, struct vlane *l)
{
	uint32_t b = l->nblk;

	if (b + 1 >= l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 16;
		struct vblk *nb = realloc(l->blk, (size_t)(cap + 1) * sizeof(*nb));
		double *ne = nb ? realloc(l->end, cap * sizeof(*ne)) : NULL;

		if (nb && !l->blk)
			memset(nb, 0, sizeof(*nb));
		if (nb)
			l->blk = nb;
		if (!ne) {
			x->nomem = 1;
			return;
		}
		l->end = ne;
		l->cap = cap;
	}
	if (x->wlen + BLK_BYTES > WBUF_BYTES && wflush(x))
		return;
	memcpy(x->wbuf + x->wlen, l->buf, BLK_BYTES);
	l->blk[b].off = x->off + x->wlen;
	l->end[b] = l->last;
	x->wlen += BLK_BYTES;
	memset(&l->blk[b + 1], 0, sizeof(l->blk[b + 1]));
	for (int k = 0; k < VNCLS; k++) {
		l->blk[b + 1].pre[k] = l->blk[b].pre[k] + l->bsum[k];
		l->bsum[k] = 0;
	}
	l->nblk++;
	x->blocks++;
}

static void add(struct vindex *x, struct vlane *l, const struct vrec *r)
{
	double c[VNCLS];
	uint32_t at;

	if (x->nomem || x->ioerr)
		return;
	if (!l->buf) {
		l->buf = calloc(VBLK, sizeof(*l->buf));
		if (!l->buf) {
			x->nomem = 1;
			return;
		}
	}
	/* Per lane, slices end in time order and do not overlap; damaged
	 * input can break that: the lane is sorted once built. */
	if (r->t0 < l->last)
		l->sorted_again = 1;
	l->last = l->type == VL_MARKS ? r->t0 : r->t1;
	at = l->n % VBLK;
	l->buf[at] = *r;
	vclass(l, r, c);
	for (int k = 0; k < VNCLS; k++)
		l->bsum[k] += c[k];
	l->n++;
	x->entries++;
	vsum_add(x->wsum, l, l - x->lanes, r);
	if (at == VBLK - 1)
		close_block(x, l);
}

static int add_lane(struct vindex *x, uint8_t type, uint32_t owner)
{
	struct vlane *l;

	if (x->nlanes == x->lanes_cap) {
		size_t cap = x->lanes_cap ? x->lanes_cap * 2 : 64;
		struct vlane *n = realloc(x->lanes, cap * sizeof(*n));

		if (!n)
			return -1;
		x->lanes = n;
		x->lanes_cap = cap;
	}
	l = &x->lanes[x->nlanes++];
	memset(l, 0, sizeof(*l));
	l->type = type;
	l->owner = owner;
	l->last = -1e300;
	return 0;
}

static uint32_t idx_of(struct vsink *v, struct xthread *t)
{
	struct vindex *x = v->x;

	if (!t)
		return UINT32_MAX;
	if (t->out_idx < 0) {
		if (v->nthreads == v->cap) {
			size_t cap = v->cap ? v->cap * 2 : 256;
			struct xthread **n = realloc(v->threads, cap * sizeof(*n));

			if (!n) {
				x->nomem = 1;
				return UINT32_MAX;
			}
			v->threads = n;
			v->cap = cap;
		}
		if (add_lane(x, VL_THREAD, v->nthreads) || add_lane(x, VL_CORO, v->nthreads) ||
		    add_lane(x, VL_MARKS, v->nthreads)) {
			x->nomem = 1;
			return UINT32_MAX;
		}
		t->out_idx = v->nthreads;
		v->threads[v->nthreads++] = t;
	}
	return t->out_idx;
}

static struct vlane *thread_lane(struct vindex *x, uint32_t idx, int which)
{
	return &x->lanes[VL_FIRST_THREAD(x->ncpu) + 3 * (size_t)idx + which];
}

static int tmp_file(const char *dir);

static int sflush(struct vindex *x)
{
	size_t n = x->sblen * sizeof(*x->sbuf), done = 0;

	while (done < n) {
		ssize_t k = write(x->sfd, (const char *)x->sbuf + done, n - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			x->ioerr = k < 0 ? errno : EIO;
			return -1;
		}
		done += k;
	}
	x->sblen = 0;
	return 0;
}

/* An interval's or park's stacks into the side table (its file is made
 * at the first). */
static void add_stk(struct vindex *x, size_t lane, const struct vstk *e)
{
	if (x->nomem || x->ioerr)
		return;
	if (!x->sbuf) {
		x->sbuf = malloc(SBUF_ENTS * sizeof(*x->sbuf));
		x->sfd = x->sbuf ? tmp_file(x->dir) : -1;
		if (!x->sbuf) {
			x->nomem = 1;
			return;
		}
		if (x->sfd < 0) {
			x->ioerr = errno;
			return;
		}
	}
	x->sbuf[x->sblen] = *e;
	x->sbuf[x->sblen++].lane = lane;
	x->nstk++;
	if (x->sblen == SBUF_ENTS)
		sflush(x);
}

static int cmp_stk(const void *a, const void *b)
{
	const struct vstk *p = a, *q = b;

	if (p->lane != q->lane)
		return p->lane < q->lane ? -1 : 1;
	return p->t0 < q->t0 ? -1 : p->t0 > q->t0;
}

/* The side table written: mapped, sorted in place (its pages are the
 * file's), then read-only. */
static int finish_stk(struct vindex *x)
{
	size_t n = x->nstk * sizeof(struct vstk);
	void *p;

	if (x->nstk && sflush(x))
		return -1;
	free(x->sbuf);
	x->sbuf = NULL;
	if (!x->nstk)
		return 0;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, x->sfd, 0);
	if (p == MAP_FAILED) {
		x->ioerr = errno;
		return -1;
	}
	qsort(p, x->nstk, sizeof(struct vstk), cmp_stk);
	mprotect(p, n, PROT_READ);
	x->stk = p;
	return 0;
}

const struct vstk *vindex_stack(const struct vindex *x, uint32_t lane, double t)
{
	uint64_t lo = 0, hi = x->nstk;

	/* the first entry after (lane, t) */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		const struct vstk *e = &x->stk[mid];

		if (e->lane > lane || (e->lane == lane && e->t0 > t))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo && x->stk[lo - 1].lane == lane ? &x->stk[lo - 1] : NULL;
}

static void v_slice(struct xsink *s, const struct xslice *sl)
{
	struct vsink *v = (struct vsink *)s;
	struct vindex *x = v->x;
	struct vrec r = {
		.kind = sl->kind, .flags = sl->flags, .cpu = sl->cpu,
		.t0 = sl->t0, .t1 = sl->t1,
	};

	r.idx = idx_of(v, sl->t);
	if (r.idx == UINT32_MAX)
		return;
	if (sl->kind == XK_WAIT && sl->waker) {
		r.a = idx_of(v, sl->waker) + 1;
	} else if (sl->kind == XK_CORO) {
		r.a = (uint32_t)sl->coro;
		r.b = sl->coro_dur > UINT32_MAX ? UINT32_MAX : sl->coro_dur;
	}
	if (x->stacks && (sl->kind == XK_WAIT || sl->kind == XK_SLEEP) &&
	    (sl->stk.k || sl->stk.u || sl->stk.wk || sl->stk.wu)) {
		struct vstk e = {
			.waker = sl->stk.waker ? idx_of(v, sl->stk.waker) + 1 : 0,
			.tgid = sl->t->tgid, .wtgid = sl->stk.wtgid, .t0 = r.t0,
			.k = sl->stk.k, .u = sl->stk.u, .wk = sl->stk.wk, .wu = sl->stk.wu,
		};

		add_stk(x, thread_lane(x, r.idx, 0) - x->lanes, &e);
	}
	switch (sl->kind) {
	case XK_RUN:
		add(x, thread_lane(x, r.idx, 0), &r);
		if (sl->cpu < x->ncpu)
			add(x, &x->lanes[VL_CPU0 + sl->cpu], &r);
		break;
	case XK_WAIT:
	case XK_SLEEP:
		add(x, thread_lane(x, r.idx, 0), &r);
		break;
	case XK_CORO:
		add(x, thread_lane(x, r.idx, 1), &r);
		break;
	}
}

static void add_trig(struct vindex *x, const struct xmark *mk, uint32_t idx)
{
	if (x->ntrig == VTRIG_MAX) {
		x->trig_more++;
		return;
	}
	if (x->ntrig == x->trig_cap) {
		size_t cap = x->trig_cap ? x->trig_cap * 2 : 16;
		struct vtrig *n = realloc(x->trig, cap * sizeof(*n));

		if (!n) {
			x->nomem = 1;
			return;
		}
		x->trig = n;
		x->trig_cap = cap;
	}
	x->trig[x->ntrig++] = (struct vtrig){ .ts = mk->ts, .kind = mk->b, .idx = idx, .value = mk->a };
}

static int cmp_trig(const void *a, const void *b)
{
	const struct vtrig *p = a, *q = b;

	return p->ts < q->ts ? -1 : p->ts > q->ts;
}

/* What /api/meta adds to the viewer's metadata: the triggers ([time,
 * kind, thread index or -1, measured ns], in time order) and whether
 * /api/stack has stacks to give. */
static void meta_more(FILE *f, const struct vindex *x)
{
	if (x->ntrig)
		qsort(x->trig, x->ntrig, sizeof(*x->trig), cmp_trig);
	fprintf(f, ",\"view_stacks\":%d,\"triggers_more\":%llu,\"triggers\":[", x->nstk > 0,
		(unsigned long long)x->trig_more);
	for (size_t i = 0; i < x->ntrig; i++) {
		const struct vtrig *g = &x->trig[i];

		fprintf(f, "%s[%.0f,%u,%d,%llu]", i ? "," : "", g->ts, g->kind,
			g->idx == UINT32_MAX ? -1 : (int)g->idx, (unsigned long long)g->value);
	}
	fputs("]", f);
}

static void v_mark(struct xsink *s, const struct xmark *mk)
{
	struct vsink *v = (struct vsink *)s;
	struct vindex *x = v->x;
	struct vrec r = {
		.kind = XK_MARK, .flags = mk->kind, .cpu = mk->cpu, .t0 = mk->ts,
		.t1 = mk->a, .a = (uint32_t)mk->b, .b = mk->b >> 32,
	};

	r.idx = idx_of(v, mk->t);
	if (mk->kind == XM_TRIGGER) {
		/* the ruler's, as in the HTML viewer (web/data.js) */
		add_trig(x, mk, r.idx);
		return;
	}
	if (mk->kind == XM_CORO_PARK && mk->ustack && r.idx != UINT32_MAX && x->stacks) {
		struct vstk e = { .tgid = mk->t->tgid, .t0 = r.t0, .u = mk->ustack };

		add_stk(x, thread_lane(x, r.idx, 2) - x->lanes, &e);
	}
	if (mk->kind == XM_LOST)
		add(x, &x->lanes[VL_LOST], &r);
	else if (mk->kind == XM_WAKE)
		add(x, &x->lanes[VL_WAKES], &r);
	else if (r.idx != UINT32_MAX)
		add(x, thread_lane(x, r.idx, 2), &r);
}

static int v_begin(struct xsink *s, struct xmodel *m)
{
	struct vsink *v = (struct vsink *)s;
	struct vindex *x = v->x;

	x->ncpu = m->ncpu;
	x->stacks = m->stacks;
	vsum_init(x->wsum, m->from, INFINITY);
	if (add_lane(x, VL_MARKS, UINT32_MAX) || add_lane(x, VL_MARKS, UINT32_MAX))
		return -1;
	for (uint32_t c = 0; c < m->ncpu; c++)
		if (add_lane(x, VL_CPU, c))
			return -1;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct vrec *p = a, *q = b;

	return p->t0 < q->t0 ? -1 : p->t0 > q->t0;
}

/* A lane whose entries came out of order (damaged input), sorted by start
 * in place in the file, its sums redone. Costs the lane's size in memory,
 * once. */
static int sort_lane(struct vindex *x, struct vlane *l)
{
	struct vrec *all = malloc(l->n * sizeof(*all));
	double c[VNCLS];

	if (!all)
		return -1;
	for (uint64_t i = 0; i < l->n; i++)
		all[i] = *vent(x, l, i);
	qsort(all, l->n, sizeof(*all), cmp_start);
	memset(l->blk[0].pre, 0, sizeof(l->blk[0].pre));
	for (uint32_t b = 0; b < l->nblk; b++) {
		uint64_t lo = (uint64_t)b * VBLK, hi = lo + VBLK < l->n ? lo + VBLK : l->n;
		double sum[VNCLS] = { 0 };

		if (pwrite(x->fd, all + lo, (hi - lo) * sizeof(*all), l->blk[b].off) !=
		    (ssize_t)((hi - lo) * sizeof(*all))) {
			free(all);
			return -1;
		}
		for (uint64_t i = lo; i < hi; i++) {
			vclass(l, &all[i], c);
			for (int k = 0; k < VNCLS; k++)
				sum[k] += c[k];
		}
		l->end[b] = l->type == VL_MARKS ? all[hi - 1].t0 : all[hi - 1].t1;
		for (int k = 0; k < VNCLS; k++)
			l->blk[b + 1].pre[k] = l->blk[b].pre[k] + sum[k];
	}
	free(all);
	return 0;
}

static int v_end(struct xsink *s, struct xmodel *m)
{
	struct vsink *v = (struct vsink *)s;
	struct vindex *x = v->x;
	FILE *f;

	for (size_t i = 0; i < x->nlanes; i++) {
		struct vlane *l = &x->lanes[i];

		if (l->n % VBLK)
			close_block(x, l);
		free(l->buf);
		l->buf = NULL;
	}
	if (!x->nomem && !x->ioerr)
		wflush(x);
	free(x->wbuf);
	x->wbuf = NULL;
	x->from = m->from;
	x->end = m->end;
	x->records = m->records;
	x->thr = calloc(v->nthreads ? v->nthreads : 1, sizeof(*x->thr));
	if (!x->thr)
		x->nomem = 1;
	for (size_t i = 0; x->thr && i < v->nthreads; i++) {
		struct xthread *t = v->threads[i];

		x->thr[i].tid = t->tid;
		x->thr[i].tgid = t->tgid;
		memcpy(x->thr[i].comm, t->comm, SS_COMM_LEN);
		x->thr[i].comm[SS_COMM_LEN - 1] = 0;
		x->thr[i].traced = xmodel_traced(m, t);
	}
	x->nthr = v->nthreads;
	f = open_memstream(&x->meta, &x->metalen);
	if (!f) {
		x->nomem = 1;
	} else {
		xs_meta_json(f, m, v->threads, v->nthreads, s->items);
		meta_more(f, x);
		fputs("}", f);
		if (fclose(f))
			x->nomem = 1;
	}
	free(v->threads);
	/* the stack table stays for /api/stack (the model's teardown skips it) */
	m->stacks = NULL;
	v->took_stacks = 1;
	if (!x->nomem && !x->ioerr)
		finish_stk(x);
	x->wsum->b = x->end;
	if (!x->nomem && vsum_json(x->wsum, x, &x->whole, &x->wholelen))
		x->nomem = 1;
	vsum_free(x->wsum);
	if (x->nomem)
		return SS_EXIT_INTERNAL;
	if (x->ioerr)
		return SS_EXIT_IO;
	if (x->off) {
		void *p = mmap(NULL, x->off, PROT_READ, MAP_SHARED, x->fd, 0);

		if (p == MAP_FAILED) {
			x->ioerr = errno;
			return SS_EXIT_IO;
		}
		x->map = p;
		x->maplen = x->off;
	}
	for (size_t i = 0; i < x->nlanes; i++) {
		if (x->lanes[i].sorted_again && sort_lane(x, &x->lanes[i])) {
			x->ioerr = errno ? errno : EIO;
			return SS_EXIT_IO;
		}
	}
	return SS_OK;
}

/* An unlinked file: nothing is left behind, whatever ends the server. */
static int tmp_file(const char *dir)
{
	char path[4096];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	if ((size_t)snprintf(path, sizeof(path), "%s/switchscope-view.XXXXXX", dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

int vindex_build(struct ss_reader *r, const struct ss_export_opts *o,
		 const char *dir, struct vindex **out, char *err, size_t errlen)
{
	struct vindex *x = calloc(1, sizeof(*x));
	struct vsink v = { 0 };
	struct vsum whole;
	uint64_t t0 = ss_now_ns();
	int code;

	*out = NULL;
	if (!x || !(x->wbuf = malloc(WBUF_BYTES))) {
		free(x);
		snprintf(err, errlen, "out of memory");
		return SS_EXIT_INTERNAL;
	}
	x->wsum = &whole;
	x->sfd = -1;
	x->dir = dir;
	pthread_mutex_init(&x->stk_lock, NULL);
	vsum_init(&whole, 0, INFINITY);
	x->fd = tmp_file(dir);
	if (x->fd < 0) {
		snprintf(err, errlen, "cannot create the index file in %s: %s", dir,
			 strerror(errno));
		free(x->wbuf);
		free(x);
		return SS_EXIT_IO;
	}
	v.x = x;
	v.s.begin = v_begin;
	v.s.slice = v_slice;
	v.s.mark = v_mark;
	v.s.end = v_end;
	code = xmodel_run(r, o, &v.s, NULL);
	x->dir = NULL;
	if (!v.took_stacks)
		x->stacks = NULL;	/* (the model's: freed by it) */
	vsum_free(&whole);
	x->wsum = NULL;
	x->build_s = (ss_now_ns() - t0) / 1e9;
	if (code == SS_OK || code == SS_EXIT_DAMAGED) {
		*out = x;
		return code;
	}
	if (x->ioerr)
		snprintf(err, errlen, "cannot write the index file in %s: %s", dir,
			 strerror(x->ioerr));
	else
		snprintf(err, errlen, "building the index failed: out of memory");
	vindex_free(x);
	return code;
}

/* The index file's pages mapped into the server ahead of the requests
 * that read them: a window's first reads of a page fault it in (the file
 * was written, so its pages are in the kernel's cache), one fault per
 * block of a lane at the views of the whole trace, ~60k of them. In
 * pieces, so that stopping is quick; not when the file would not fit in
 * half of the free memory (the kernel would read it from disk). */
#define PREFAULT_STEP	(16u << 20)

static void *prefault(void *arg)
{
	struct vindex *x = arg;

	for (size_t off = 0; off < x->maplen && !atomic_load(&x->prefault_stop);
	     off += PREFAULT_STEP) {
		size_t n = x->maplen - off < PREFAULT_STEP ? x->maplen - off : PREFAULT_STEP;

		if (madvise((void *)(x->map + off), n, MADV_POPULATE_READ))
			break;		/* (before Linux 5.14: EINVAL) */
	}
	return NULL;
}

void vindex_prefault(struct vindex *x)
{
	long page = sysconf(_SC_PAGESIZE), avail = sysconf(_SC_AVPHYS_PAGES);

	if (!x->map || x->prefaulting || page <= 0 || avail <= 0 ||
	    x->maplen > (size_t)avail * (size_t)page / 2)
		return;
	x->prefaulting = !pthread_create(&x->prefaulter, NULL, prefault, x);
}

void vindex_free(struct vindex *x)
{
	if (!x)
		return;
	if (x->prefaulting) {
		atomic_store(&x->prefault_stop, 1);
		pthread_join(x->prefaulter, NULL);
	}
	for (size_t i = 0; i < x->nlanes; i++) {
		free(x->lanes[i].blk);
		free(x->lanes[i].end);
		free(x->lanes[i].buf);
	}
	if (x->map)
		munmap((void *)x->map, x->maplen);
	if (x->stk)
		munmap((void *)x->stk, x->nstk * sizeof(*x->stk));
	if (x->sfd >= 0)
		close(x->sfd);
	free(x->sbuf);
	free(x->trig);
	ss_stacks_free(x->stacks);
	pthread_mutex_destroy(&x->stk_lock);
	if (x->fd >= 0)
		close(x->fd);
	free(x->lanes);
	free(x->thr);
	free(x->meta);
	free(x->whole);
	free(x->wbuf);
	free(x);
}

size_t vindex_heap(const struct vindex *x)
{
	size_t n = sizeof(*x) + x->lanes_cap * sizeof(*x->lanes) +
		   x->nthr * sizeof(*x->thr) + x->metalen + x->wholelen +
		   x->trig_cap * sizeof(*x->trig);

	for (size_t i = 0; i < x->nlanes; i++)
		n += x->lanes[i].blk ? (x->lanes[i].cap + 1) * sizeof(struct vblk) +
		     x->lanes[i].cap * sizeof(double) : 0;
	return n;
}

/* ---- reading ---- */

void vcum(const struct vindex *x, const struct vlane *l, uint64_t i,
	  double c[VNCLS])
{
	uint64_t b = i / VBLK;

	if (!l->blk) {
		memset(c, 0, VNCLS * sizeof(*c));
		return;
	}
	memcpy(c, l->blk[b].pre, VNCLS * sizeof(*c));
	if (i > b * VBLK) {
		const struct vrec *r = vent(x, l, b * VBLK);

		for (uint64_t k = 0; k < i - b * VBLK; k++)
			vacc(l->type, r + k, c);
	}
}


uint64_t vlower_end(const struct vindex *x, const struct vlane *l, double t)
{
	uint64_t lo = 0, hi = l->n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (vend_key(l, vent(x, l, mid)) >= t)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

uint64_t vupper_end(const struct vindex *x, const struct vlane *l, double t,
		    uint64_t lo)
{
	uint64_t hi = l->n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (vend_key(l, vent(x, l, mid)) > t)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

uint64_t vupper_start(const struct vindex *x, const struct vlane *l, double t)
{
	uint64_t lo = 0, hi = l->n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (vent(x, l, mid)->t0 > t)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}
