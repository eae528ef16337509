/* The answers of `switchscope view` (see vapi.h).
 *
 * /api/window: the records of a window per lane, with the viewer's level of
 * detail (web/render.js) done here: a slice at least a pixel wide is sent
 * as it is, a pixel column holding several narrower slices as at most four
 * aggregate records (cpu VREC_AGG, b = slices folded in) that lay out the
 * time each state takes in the column, so that the renderer's own per-pixel
 * shares come out the same. A lane's answer is thus at most about 5 records
 * per pixel, whatever the trace holds. Binary layout, little-endian:
 *   u32 lanes, u32 px, then per lane u32 id, u32 records, u32 bytes
 *   followed by its records (a lane is made while the one before is sent
 *   and decoded: vapi_window_read), each in a compact
 *   form of the 32-byte records (out_html.c's layout) that web/remote.js
 *   turns back into those, bit for bit: per record a byte m, then
 *     m & 1: u32 kind | flags << 8 | cpu << 16 (else the previous record's)
 *     m & 2: u32 idx, m & 4: u32 a, m & 8: u32 b (else the previous ones)
 *     t0 after the previous record's t1, by m & 0x30: 0x10 none (the same
 *         time), 0x30 u16 half ns, 0 u32 half ns, 0x20 f64 (t0 itself)
 *     t1 after t0, by m & 0xc0: 0x80 u16 half ns, 0 u32, 0x40 f64 (t1)
 *   ("previous" at a lane's first record: zeros). Times are whole or half
 *   ns (halves from aggregates), so most fit the short forms; any other is
 *   sent as it is. An answer is 30-38% of the 32-byte records' bytes in the
 *   windows tried. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../export/model.h"
#include "vapi.h"
#include "vsummary.h"
#include "web_remote.h"

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int full;		/* past VAPI_LANE_BYTES */
	int nomem;
};

static void put(struct wbuf *w, const void *d, size_t n)
{
	if (w->full || w->nomem)
		return;
	if (w->len + n > VAPI_LANE_BYTES) {
		w->full = 1;
		return;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1 << 16;
		uint8_t *np;

		while (cap < w->len + n)
			cap *= 2;
		np = realloc(w->p, cap);
		if (!np) {
			w->nomem = 1;
			return;
		}
		w->p = np;
		w->cap = cap;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

struct wctx {
	const struct vindex *x;
	const struct vlane *l;
	struct wbuf *w;
	uint64_t ci;		/* vcum() at ci is cc (consecutive columns) */
	double cc[VNCLS];
	uint32_t count;
	uint32_t pw, pidx, pa, pb;	/* the previous record's fields */
	double pt1;
};

/* A time as u32 half ns after base when that gives t back exactly (the
 * client adds the same way), else -1. */
static int64_t half_ns(double base, double t)
{
	double h = (t - base) * 2;

	if (!(h >= 0 && h < UINT32_MAX) || h != floor(h) || base + (uint32_t)h * 0.5 != t)
		return -1;
	return (int64_t)h;
}

static void put32(uint8_t **p, uint32_t v)
{
	memcpy(*p, &v, 4);
	*p += 4;
}

/* h as u16 when it fits (returns 1), else u32. */
static int put_half(uint8_t **p, uint32_t h)
{
	uint16_t v = h;

	if (h > UINT16_MAX) {
		put32(p, h);
		return 0;
	}
	memcpy(*p, &v, 2);
	*p += 2;
	return 1;
}

/* Record r in the answer's compact form (see the top comment). */
static void emit(struct wctx *c, const struct vrec *r)
{
	uint8_t b[1 + 4 * 4 + 2 * 8], *p = b + 1, m = 0;
	uint32_t w = r->kind | (uint32_t)r->flags << 8 | (uint32_t)r->cpu << 16;
	int64_t h;

	if (w != c->pw) {
		m |= 1;
		put32(&p, c->pw = w);
	}
	if (r->idx != c->pidx) {
		m |= 2;
		put32(&p, c->pidx = r->idx);
	}
	if (r->a != c->pa) {
		m |= 4;
		put32(&p, c->pa = r->a);
	}
	if (r->b != c->pb) {
		m |= 8;
		put32(&p, c->pb = r->b);
	}
	if (r->t0 == c->pt1 && !signbit(r->t0) == !signbit(c->pt1)) {
		m |= 0x10;
	} else if ((h = half_ns(c->pt1, r->t0)) >= 0) {
		m |= put_half(&p, (uint32_t)h) ? 0x30 : 0;
	} else {
		m |= 0x20;
		memcpy(p, &r->t0, 8);
		p += 8;
	}
	if ((h = half_ns(r->t0, r->t1)) >= 0) {
		m |= put_half(&p, (uint32_t)h) ? 0x80 : 0;
	} else {
		m |= 0x40;
		memcpy(p, &r->t1, 8);
		p += 8;
	}
	c->pt1 = r->t1;
	b[0] = m;
	put(c->w, b, p - b);
	c->count++;
}

/* vcum() at i, from the last one when i is a little after it in the same
 * block (the next pixel column's usually is). */
static void cum(struct wctx *c, uint64_t i, double out[VNCLS])
{
	if (c->ci != UINT64_MAX && i > c->ci && i / VBLK == c->ci / VBLK) {
		const struct vrec *r = vent(c->x, c->l, c->ci);

		for (uint64_t k = 0; k < i - c->ci; k++)
			vacc(c->l->type, r + k, c->cc);
		c->ci = i;
	} else if (i != c->ci) {
		vcum(c->x, c->l, i, c->cc);
		c->ci = i;
	}
	memcpy(out, c->cc, sizeof(c->cc));
}

/* The first block from lo's on whose last end is > t (nblk: none): a
 * galloping search of the in-memory block ends, as the next column's end
 * is usually near. */
static uint64_t block_after(const struct vlane *l, double t, uint64_t lo)
{
	uint64_t b = lo / VBLK, step = 1, hi = b;

	while (hi < l->nblk && l->end[hi] <= t) {
		b = hi + 1;
		hi += step;
		step *= 2;
	}
	if (hi > l->nblk)
		hi = l->nblk;
	while (b < hi) {
		uint64_t mid = b + (hi - b) / 2;

		if (l->end[mid] > t)
			hi = mid;
		else
			b = mid + 1;
	}
	return b;
}

/* The first entry from lo on in block b whose end is > t, or the block's
 * end: a scan, not a search, as the column's sums read those entries next
 * (a search's reads are misses of the mapped file, a scan's are not). */
static uint64_t scan_block(struct wctx *c, double t, uint64_t lo, uint64_t b)
{
	const struct vlane *l = c->l;
	uint64_t e = (b + 1) * VBLK < l->n ? (b + 1) * VBLK : l->n;
	const struct vrec *r;

	if (b >= l->nblk)
		return l->n;
	lo = lo > b * VBLK ? lo : b * VBLK;
	if (lo >= e)
		return e;
	for (r = vent(c->x, l, lo); lo < e && vend_key(l, r) <= t; r++)
		lo++;
	return lo;
}

/* The first entry from lo on whose end is > t: in lo's block, else in the
 * first block after it that ends past t. */
static uint64_t next_after(struct wctx *c, double t, uint64_t lo)
{
	uint64_t j;

	if (lo >= c->l->n)
		return c->l->n;
	j = scan_block(c, t, lo, lo / VBLK);
	if (j % VBLK || j >= c->l->n)
		return j;
	return scan_block(c, t, j, block_after(c->l, t, j));
}

struct piece {
	uint8_t kind, flags;
	uint32_t a;
	double dur;
};

/* The slices [i, j) of one pixel column as pieces of time per state. */
static void aggregate(struct wctx *c, uint64_t i, uint64_t j)
{
	const struct vrec *first = vent(c->x, c->l, i);
	double S = first->t0, d[VNCLS], e[VNCLS];
	/* (a column cut at a block boundary ends where that block does) */
	double E = j % VBLK ? vent(c->x, c->l, j - 1)->t1 : c->l->end[j / VBLK - 1];
	struct piece p[4];
	int np = 0;

	cum(c, i, d);
	cum(c, j, e);
	for (int k = 0; k < VNCLS; k++)
		d[k] = e[k] - d[k];
	switch (c->l->type) {
	case VL_THREAD:
		if (d[0] > 0) {
			if (d[3] > 0 && d[4] > 0) {
				p[np++] = (struct piece){ XK_RUN, XE_PREEMPT, 0, d[0] / 2 };
				p[np++] = (struct piece){ XK_RUN, XE_SLEEP, 0, d[0] / 2 };
			} else {
				p[np++] = (struct piece){ XK_RUN, d[3] > 0 ? XE_PREEMPT :
							  d[4] > 0 ? XE_SLEEP : XE_OPEN, 0, d[0] };
			}
		}
		if (d[1] > 0)
			p[np++] = (struct piece){ XK_WAIT, 0, 0, d[1] };
		if (d[2] > 0)
			p[np++] = (struct piece){ XK_SLEEP, XE_SLEEP, 0, d[2] };
		break;
	case VL_CPU:
		/* two halves at the column's ends: the gap between is idle */
		if (d[0] >= E - S) {
			p[np++] = (struct piece){ XK_RUN, first->flags, 0, d[0] };
		} else if (d[0] > 0) {
			p[np++] = (struct piece){ XK_RUN, first->flags, 0, d[0] / 2 };
			p[np++] = (struct piece){ XK_RUN, first->flags, 0, d[0] / 2 };
		}
		break;
	case VL_CORO:
		if (d[0] > 0) {
			uint32_t id = 0;

			for (uint64_t k = i; k < j && k < i + 16 && !id; k++)
				id = vent(c->x, c->l, k)->a;
			p[np++] = (struct piece){ XK_CORO, 0, id ? id : 1, d[0] };
		}
		if (d[1] > 0)
			p[np++] = (struct piece){ XK_CORO, 0, 0, d[1] };
		break;
	}
	if (!np) {
		emit(c, first);
		return;
	}
	/* Pieces one after the other from S, the last one ending at E. */
	for (int k = 0; k < np; k++) {
		struct vrec r = {
			.kind = p[k].kind, .flags = p[k].flags, .cpu = VREC_AGG,
			.idx = first->idx, .a = p[k].a,
			.b = j - i > UINT32_MAX ? UINT32_MAX : (uint32_t)(j - i),
		};

		if (k == np - 1 && E - p[k].dur > S) {
			r.t0 = E - p[k].dur;
			r.t1 = E;
		} else {
			r.t0 = S;
			r.t1 = S + p[k].dur;
		}
		S = r.t1;
		emit(c, &r);
	}
}

/* Columns of many slices each read only the first entry of a block (the
 * rest is in memory), a miss of the mapped file each, one after the other:
 * the block that starts VAHEAD columns later is asked for meanwhile (*pb:
 * the last one asked for). */
#define VAHEAD 8

static void ahead(struct wctx *c, double t, uint64_t *pb, uint64_t span)
{
	uint64_t b = block_after(c->l, t, *pb);

	if (b < c->l->nblk && b * VBLK != *pb) {
		__builtin_prefetch(vent(c->x, c->l, b * VBLK));
		__builtin_prefetch(&c->l->blk[b]);
		/* and where the search VAHEAD columns on will look */
		if (b + VAHEAD * span < c->l->nblk)
			__builtin_prefetch(&c->l->end[b + VAHEAD * span]);
		*pb = b * VBLK;
	}
}

/* A column of more than VBLK slices ends at the block boundary before its
 * last slice: summed from two block prefixes, not slice by slice; the
 * fewer than VBLK slices after the boundary go to the next column. */
static void slice_lane(struct wctx *c, double t0, double t1, double sc)
{
	const struct vlane *l = c->l;
	uint64_t i = vlower_end(c->x, l, t0), pb = i, span = 0;
	double mincol = 0;

	while (i < l->n && !c->w->full && !c->w->nomem) {
		const struct vrec *r = vent(c->x, l, i);
		double x0 = (r->t0 - t0) / sc, x1 = (r->t1 - t0) / sc, col, ce;
		uint64_t j, b;

		if (i / VBLK + 1 > pb / VBLK && i / VBLK + 1 < l->nblk) {
			/* columns of a few slices: the next block is read
			 * soon (blocks of a lane are not next to each other) */
			pb = (i / VBLK + 1) * VBLK;
			__builtin_prefetch(vent(c->x, l, pb));
		}

		if (r->t0 > t1)
			break;
		if (x1 - x0 >= 1) {
			emit(c, r);
			i++;
			mincol = 0;
			continue;
		}
		col = floor(x0 > mincol ? x0 : mincol);
		ce = t0 + (col + 1) * sc;
		mincol = 0;
		if (i + 1 >= l->n)
			j = l->n;
		else if (l->end[i / VBLK] <= ce)   /* (no need to read it) */
			j = (i / VBLK + 1) * VBLK < l->n ? (i / VBLK + 1) * VBLK : l->n;
		else
			j = scan_block(c, ce, i + 1, i / VBLK);
		if (j % VBLK == 0 && j < l->n) {
			/* i's block ends inside the column */
			b = block_after(l, ce, j);
			if (b * VBLK > i + VBLK) {
				/* a whole block at least: the column has more
				 * than VBLK slices, it ends at block b's start */
				span = b - i / VBLK;
				j = b * VBLK;
				mincol = col + 1;
				ahead(c, t0 + (col + 1 + VAHEAD) * sc, &pb, span);
			} else {
				j = scan_block(c, ce, j, b);
				if (j - i > VBLK && j - j % VBLK > i + 1) {
					j -= j % VBLK;
					mincol = col + 1;
				}
			}
		}
		if (j <= i + 1) {
			emit(c, r);
			i++;
			continue;
		}
		aggregate(c, i, j);
		i = j;
	}
}

/* Marks: the first of each pixel column (what the renderer draws); lost
 * records summed over the column. */
static void mark_lane(struct wctx *c, double t0, double t1, double sc, int lost)
{
	const struct vlane *l = c->l;
	uint64_t i = vlower_end(c->x, l, t0);

	while (i < l->n && !c->w->full && !c->w->nomem) {
		struct vrec r = *vent(c->x, l, i);
		double col;
		uint64_t j;

		if (r.t0 > t1)
			break;
		col = floor((r.t0 - t0) / sc);
		j = next_after(c, t0 + (col + 1) * sc, i + 1);
		if (j <= i)
			j = i + 1;
		if (lost && j > i + 1) {
			double a[VNCLS], b[VNCLS];

			cum(c, i, a);
			cum(c, j, b);
			r.t1 = b[0] - a[0];
		}
		emit(c, &r);
		i = j;
	}
}

/* A window answer made lane by lane as the connection takes it, so that
 * the client decodes a lane while the next ones are made: by the
 * connection's thread when it needs one, and by a helper thread up to
 * VSLOTS lanes ahead of what is sent (an answer's lanes are independent).
 * A connection holds at most VSLOTS lanes. */
#define VSLOTS 4

enum { SLOT_FREE, SLOT_MAKING, SLOT_READY, SLOT_FAILED };

struct vslot {
	struct wbuf w;
	int state;
};

struct vstream {
	struct vindex *x;
	uint32_t *ids;		/* the lanes asked, in order */
	size_t nl;
	double t0, t1, sc;
	uint8_t hdr[8];
	size_t hdr_sent;
	size_t cur, sent;	/* the lane being sent, bytes of it sent */
	size_t claim;		/* the next lane nobody makes yet */
	struct vslot slot[VSLOTS];	/* lane k in slot k % VSLOTS */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t helper;
	int has_helper, stop;
};

/* Lane k: its id, records and bytes, then its records. */
static int make_lane(struct vstream *s, size_t k, struct wbuf *w)
{
	uint32_t id = s->ids[k], hdr[3] = { id, 0, 0 };
	struct wctx c = { .x = s->x, .l = &s->x->lanes[id], .w = w, .ci = UINT64_MAX };

	w->len = 0;
	put(w, hdr, sizeof(hdr));
	if (c.l->type == VL_MARKS)
		mark_lane(&c, s->t0, s->t1, s->sc, id == VL_LOST);
	else
		slice_lane(&c, s->t0, s->t1, s->sc);
	if (w->nomem || w->full)
		return -1;
	hdr[1] = c.count;
	hdr[2] = w->len - sizeof(hdr);
	memcpy(w->p, hdr, sizeof(hdr));
	return 0;
}

/* Make the lane claimed, k (s->mu held, released meanwhile). */
static void make_claimed(struct vstream *s, size_t k)
{
	struct vslot *sl = &s->slot[k % VSLOTS];
	int rc;

	sl->state = SLOT_MAKING;
	pthread_mutex_unlock(&s->mu);
	rc = make_lane(s, k, &sl->w);
	pthread_mutex_lock(&s->mu);
	sl->state = rc ? SLOT_FAILED : SLOT_READY;
	pthread_cond_broadcast(&s->cv);
}

static void *helper(void *arg)
{
	struct vstream *s = arg;

	pthread_mutex_lock(&s->mu);
	while (!s->stop && s->claim < s->nl) {
		if (s->claim >= s->cur + VSLOTS) {
			pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		make_claimed(s, s->claim++);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int vapi_window_open(struct vindex *x, const struct vreq *q, struct vstream **out,
		     struct vanswer *a)
{
	size_t nl = q->all_lanes || !q->lanes ? x->nlanes : q->nlanes;
	struct vstream *s;
	uint32_t hdr[2] = { nl, q->px };
	char msg[128];

	memset(a, 0, sizeof(*a));
	*out = NULL;
	for (size_t k = 0; !q->all_lanes && q->lanes && k < nl; k++) {
		if (q->lanes[k] >= x->nlanes) {
			snprintf(msg, sizeof(msg), "no lane %u (there are %zu)", q->lanes[k],
				 x->nlanes);
			return vapi_error(a, 400, msg);
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->ids = malloc((nl ? nl : 1) * sizeof(*s->ids)))) {
		free(s);
		return -1;
	}
	for (size_t k = 0; k < nl; k++)
		s->ids[k] = q->all_lanes || !q->lanes ? k : q->lanes[k];
	s->x = x;
	s->nl = nl;
	s->t0 = q->t0;
	s->t1 = q->t1;
	s->sc = (q->t1 - q->t0) / q->px;
	memcpy(s->hdr, hdr, sizeof(hdr));
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	/* (without a helper the connection's thread makes every lane) */
	s->has_helper = nl > 1 && !pthread_create(&s->helper, NULL, helper, s);
	*out = s;
	return 0;
}

ssize_t vapi_window_read(struct vstream *s, void *buf, size_t max)
{
	size_t n = 0;
	int err = 0;

	if (s->hdr_sent < sizeof(s->hdr)) {
		n = sizeof(s->hdr) - s->hdr_sent < max ? sizeof(s->hdr) - s->hdr_sent : max;
		memcpy(buf, s->hdr + s->hdr_sent, n);
		s->hdr_sent += n;
	}
	pthread_mutex_lock(&s->mu);
	/* lanes until buf is full: no small writes (an empty lane is 12 bytes) */
	while (n < max && s->cur < s->nl && !err) {
		struct vslot *sl = &s->slot[s->cur % VSLOTS];
		size_t k;

		if (s->claim == s->cur)
			make_claimed(s, s->claim++);
		if (sl->state == SLOT_MAKING) {
			pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		if (sl->state == SLOT_FAILED) {
			err = 1;
			break;
		}
		k = sl->w.len - s->sent < max - n ? sl->w.len - s->sent : max - n;
		memcpy((char *)buf + n, sl->w.p + s->sent, k);
		s->sent += k;
		n += k;
		if (s->sent == sl->w.len) {
			sl->state = SLOT_FREE;
			s->cur++;
			s->sent = 0;
			pthread_cond_broadcast(&s->cv);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return err ? -1 : (ssize_t)n;
}

void vapi_window_close(struct vstream *s)
{
	if (!s)
		return;
	if (s->has_helper) {
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->helper, NULL);
	}
	for (int i = 0; i < VSLOTS; i++)
		free(s->slot[i].w.p);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->ids);
	free(s);
}

/* ---- JSON answers ---- */

static int json(struct vanswer *a, char *body, size_t len, int ok)
{
	if (!ok) {
		free(body);
		return -1;
	}
	a->status = 200;
	a->type = "application/json";
	a->body = body;
	a->len = len;
	return 0;
}

/* The answer the memstream f wrote: closed first, which sets *body and
 * *len (as arguments of json() they could be read before). */
static int json_mem(struct vanswer *a, FILE *f, char **body, size_t *len)
{
	int ok = !fclose(f);

	return json(a, *body, *len, ok);
}

static int lanes(struct vindex *x, struct vanswer *a)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);

	if (!f)
		return -1;
	fprintf(f, "{\"ncpu\":%u,\"from\":%.0f,\"end\":%.0f,\"lanes\":[", x->ncpu, x->from, x->end);
	for (size_t i = 0; i < x->nlanes; i++) {
		const struct vlane *l = &x->lanes[i];

		fprintf(f, "%s[%u,%d,%llu]", i ? "," : "", l->type,
			l->owner == UINT32_MAX ? -1 : (int)l->owner, (unsigned long long)l->n);
	}
	fputs("]}", f);
	return json_mem(a, f, &body, &len);
}

/* A selection's counts: a scan of its entries; the whole trace's were
 * added up while the index was built. */
static int summary(struct vindex *x, const struct vreq *q, struct vanswer *a)
{
	char *body = NULL;
	size_t len = 0;
	struct vsum s;
	int rc;

	if (q->t0 <= x->from && q->t1 >= x->end && x->whole) {
		body = malloc(x->wholelen);
		if (body)
			memcpy(body, x->whole, len = x->wholelen);
		return json(a, body, len, body != NULL);
	}
	vsum_init(&s, q->t0, q->t1);
	rc = vsum_scan(&s, x) || vsum_json(&s, x, &body, &len);
	vsum_free(&s);
	return json(a, body, len, !rc);
}

/* "coro 5", "coroutine #5": the threads whose coroutine lane ran it (a scan
 * of the coroutine lanes). Other searches are the client's (names). */
static int search(struct vindex *x, const struct vreq *q, struct vanswer *a)
{
	const char *p = q->q;
	char *body = NULL;
	size_t len = 0;
	uint64_t id = 0;
	int digits = 0, first = 1;
	FILE *f;

	while (*p == ' ')
		p++;
	if (!strncasecmp(p, "coro", 4)) {
		p += 4;
		if (!strncasecmp(p, "utine", 5))
			p += 5;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#')
			p++;
		while (*p >= '0' && *p <= '9' && digits < 10) {
			id = id * 10 + (*p++ - '0');
			digits++;
		}
		while (*p == ' ')
			p++;
	}
	f = open_memstream(&body, &len);
	if (!f)
		return -1;
	if (!digits || *p || id > UINT32_MAX) {
		fputs("{\"coro\":null,\"threads\":[]}", f);
		return json_mem(a, f, &body, &len);
	}
	fprintf(f, "{\"coro\":%llu,\"threads\":[", (unsigned long long)id);
	for (size_t k = 0; k < x->nlanes; k++) {
		const struct vlane *l = &x->lanes[k];

		if (l->type != VL_CORO)
			continue;
		for (uint64_t i = 0; i < l->n; i++) {
			if (vent(x, l, i)->a == id) {
				fprintf(f, "%s%u", first ? "" : ",", l->owner);
				first = 0;
				break;
			}
		}
	}
	fputs("]}", f);
	return json_mem(a, f, &body, &len);
}

/* The stacks of lane's interval at t (a thread's states: the sleeping or
 * runnable interval t is in; its marks: the coroutine park at t, to half a
 * ns), in web/stacks.js's shape: "stacks" (the kernel and user stack it
 * left the CPU with, the waker's, those it has) and "ref" (their indexes
 * in that list, -1: none, and the waker's thread index + 1), or "ref":
 * null. Other lanes: a 400. */
static int stack(struct vindex *x, const struct vreq *q, struct vanswer *a)
{
	const struct vlane *l = q->lane < x->nlanes ? &x->lanes[q->lane] : NULL;
	const struct vstk *e = NULL;
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	if (!l || !(l->type == VL_THREAD || (l->type == VL_MARKS && l->owner != UINT32_MAX))) {
		char msg[128];

		snprintf(msg, sizeof(msg), "bad lane %u: not a thread's states or marks lane "
			 "(/api/lanes)", q->lane);
		return vapi_error(a, 400, msg);
	}
	if (l->type == VL_THREAD) {
		uint64_t i = vupper_start(x, l, q->t);
		const struct vrec *r = i ? vent(x, l, i - 1) : NULL;

		if (r && (r->kind == XK_WAIT || r->kind == XK_SLEEP) &&
		    (q->t < r->t1 || q->t == r->t0)) {
			e = vindex_stack(x, q->lane, r->t0);
			if (e && e->t0 != r->t0)
				e = NULL;
		}
	} else {
		e = vindex_stack(x, q->lane, q->t + 0.5);
		if (e && e->t0 < q->t - 0.5)
			e = NULL;
	}
	f = open_memstream(&body, &len);
	if (!f)
		return -1;
	fprintf(f, "{\"lane\":%u,\"t\":%.3f,\"stacks\":[", q->lane, q->t);
	if (e) {
		const uint64_t id[4] = { e->k, e->u, e->wk, e->wu };
		const uint32_t tgid[4] = { 0, e->tgid, 0, e->wtgid };
		int ref[4], n = 0;

		pthread_mutex_lock(&x->stk_lock);
		for (int k = 0; k < 4; k++) {
			ref[k] = id[k] && x->stacks ? n++ : -1;
			if (ref[k] < 0)
				continue;
			fputs(ref[k] ? "," : "", f);
			xs_stack_json(f, x->stacks, tgid[k], id[k]);
		}
		pthread_mutex_unlock(&x->stk_lock);
		fprintf(f, "],\"t0\":%.0f,\"ref\":[%d,%d,%d,%d,%u]}", e->t0, ref[0], ref[1],
			ref[2], ref[3], e->waker);
	} else {
		fputs("],\"ref\":null}", f);
	}
	return json_mem(a, f, &body, &len);
}

/* /api/offcpu: the off-CPU time of [t0, t1] by (sleeping or runnable,
 * traced thread, kernel and user stack), from the side table: per thread
 * lane its entries in the range (and the one before, which may reach into
 * it), each interval's end from the lane. The VAPI_OFFCPU_KEYS largest
 * are sent, each with its stacks (web/stacks.js draws the flame graph);
 * the rest summed in "more_ns". Memory: 40 bytes per interval of the
 * range up to VAPI_OFFCPU_HELD of them, then those summed by key (the
 * list is merged whenever it is full). */
#define VAPI_OFFCPU_KEYS	4000
#define VAPI_OFFCPU_HELD	(1u << 20)

struct ocpu {
	uint64_t k, u;
	uint32_t th, tgid;
	uint8_t kind;
	double ns;
};

static int cmp_okey(const void *a, const void *b)
{
	const struct ocpu *p = a, *q = b;

	if (p->kind != q->kind)
		return p->kind < q->kind ? -1 : 1;
	if (p->th != q->th)
		return p->th < q->th ? -1 : 1;
	if (p->k != q->k)
		return p->k < q->k ? -1 : 1;
	return p->u < q->u ? -1 : p->u > q->u;
}

static int cmp_ons(const void *a, const void *b)
{
	const struct ocpu *p = a, *q = b;

	return p->ns > q->ns ? -1 : p->ns < q->ns;
}

/* First side-table entry at or after (lane, t). */
static uint64_t stk_lower(const struct vindex *x, uint32_t lane, double t)
{
	uint64_t lo = 0, hi = x->nstk;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		const struct vstk *e = &x->stk[mid];

		if (e->lane > lane || (e->lane == lane && e->t0 >= t))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The n items summed by key, in key order: returns how many keys. */
static size_t merge_keys(struct ocpu *it, size_t n)
{
	size_t m = 0;

	if (n)
		qsort(it, n, sizeof(*it), cmp_okey);
	for (size_t i = 0; i < n; i++) {
		if (m && !cmp_okey(&it[m - 1], &it[i]))
			it[m - 1].ns += it[i].ns;
		else
			it[m++] = it[i];
	}
	return m;
}

static int offcpu(struct vindex *x, const struct vreq *q, struct vanswer *a)
{
	size_t n = 0, cap = 256, m = 0;
	struct ocpu *it = malloc(cap * sizeof(*it));
	double more = 0;
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	if (!it)
		return -1;
	for (size_t li = 0; li < x->nlanes && x->nstk; li++) {
		const struct vlane *l = &x->lanes[li];
		uint64_t i;

		if (l->type != VL_THREAD || !x->thr[l->owner].traced)
			continue;
		i = stk_lower(x, li, q->t0);
		if (i && x->stk[i - 1].lane == li)
			i--;
		for (; i < x->nstk && x->stk[i].lane == li && x->stk[i].t0 < q->t1; i++) {
			const struct vstk *e = &x->stk[i];
			uint64_t j = vupper_start(x, l, e->t0);
			const struct vrec *r = j ? vent(x, l, j - 1) : NULL;
			double ns;

			if (!r || r->t0 != e->t0 || (r->kind != XK_SLEEP && r->kind != XK_WAIT))
				continue;
			ns = (r->t1 < q->t1 ? r->t1 : q->t1) - (r->t0 > q->t0 ? r->t0 : q->t0);
			if (ns <= 0)
				continue;
			if (n == cap) {
				size_t nc = cap * 2;
				struct ocpu *ni = it;

				if (cap >= VAPI_OFFCPU_HELD)
					n = merge_keys(it, n);	/* summed by key */
				/* grow unless the sums freed half of it */
				if (n > cap / 2 && !(ni = realloc(it, nc * sizeof(*ni)))) {
					free(it);
					return -1;
				}
				if (n > cap / 2)
					cap = nc;
				it = ni;
			}
			it[n++] = (struct ocpu){ .k = e->k, .u = e->u, .th = l->owner,
						 .tgid = e->tgid, .kind = r->kind, .ns = ns };
		}
	}
	m = merge_keys(it, n);
	if (m)
		qsort(it, m, sizeof(*it), cmp_ons);
	for (size_t i = VAPI_OFFCPU_KEYS; i < m; i++)
		more += it[i].ns;
	if (m > VAPI_OFFCPU_KEYS)
		m = VAPI_OFFCPU_KEYS;
	f = open_memstream(&body, &len);
	if (!f) {
		free(it);
		return -1;
	}
	fprintf(f, "{\"t0\":%.3f,\"t1\":%.3f,\"more_ns\":%.0f,\"items\":[", q->t0, q->t1, more);
	pthread_mutex_lock(&x->stk_lock);
	for (size_t i = 0; i < m; i++) {
		fprintf(f, "%s\n{\"kind\":%u,\"th\":%u,\"ns\":%.0f,\"ks\":", i ? "," : "",
			it[i].kind, it[i].th, it[i].ns);
		if (it[i].k && x->stacks)
			xs_stack_json(f, x->stacks, 0, it[i].k);
		else
			fputs("null", f);
		fputs(",\"us\":", f);
		if (it[i].u && x->stacks)
			xs_stack_json(f, x->stacks, it[i].tgid, it[i].u);
		else
			fputs("null", f);
		fputs("}", f);
	}
	pthread_mutex_unlock(&x->stk_lock);
	fputs("]}", f);
	free(it);
	return json_mem(a, f, &body, &len);
}

int vapi_error(struct vanswer *a, int status, const char *msg)
{
	size_t n = strlen(msg);

	a->status = status;
	a->type = "text/plain; charset=utf-8";
	a->body = malloc(n + 1);
	if (!a->body)
		return -1;
	memcpy(a->body, msg, n);
	a->body[n] = '\n';
	a->len = n + 1;
	return 0;
}

static int copy(struct vanswer *a, const char *type, const char *s, size_t n)
{
	a->status = 200;
	a->type = type;
	a->body = malloc(n ? n : 1);
	if (!a->body)
		return -1;
	memcpy(a->body, s, n);
	a->len = n;
	return 0;
}

int vapi_answer(struct vindex *x, const struct vreq *r, const char *page,
		size_t pagelen, struct vanswer *a)
{
	memset(a, 0, sizeof(*a));
	switch (r->path) {
	case VP_PAGE:
		return copy(a, "text/html; charset=utf-8", page, pagelen);
	case VP_META:
		return copy(a, "application/json", x->meta, x->metalen);
	case VP_LANES:
		return lanes(x, a);
	case VP_SUMMARY:
		return summary(x, r, a);
	case VP_SEARCH:
		return search(x, r, a);
	case VP_STACK:
		return stack(x, r, a);
	case VP_OFFCPU:
		return offcpu(x, r, a);
	}
	return vapi_error(a, 404, "no such page");
}

char *vapi_page(const struct vindex *x, const char *title, size_t *len)
{
	char *body = NULL;
	FILE *f = open_memstream(&body, len);

	(void)x;
	if (!f)
		return NULL;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"generator\" content=\"switchscope view\">\n"
	      "<link rel=\"icon\" href=\"data:,\">\n<title>switchscope: ", f);
	xs_html_text(f, title, 256);
	fputs("</title>\n<style>\n", f);
	xs_web_css(f);
	fputs("</style>\n</head><body>\n<script>\n", f);
	xs_web_js(f);
	fputs("</script>\n<script>\n", f);
	for (const char *const *p = ss_web_remote; *p; p++)
		fputs(*p, f);
	fputs("</script>\n</body></html>\n", f);
	if (fclose(f)) {
		free(body);
		return NULL;
	}
	return body;
}
