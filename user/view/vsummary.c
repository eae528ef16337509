/* The counts of a range over the view's index (see vsummary.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsummary.h"

void vsum_init(struct vsum *s, double a, double b)
{
	memset(s, 0, sizeof(*s));
	s->a = a;
	s->b = b;
}

static struct vsum_thread *thr(struct vsum *s, uint32_t i)
{
	if (i == UINT32_MAX || s->nomem)
		return NULL;
	if (i >= s->nt_cap) {
		size_t cap = s->nt_cap ? s->nt_cap : 64;
		struct vsum_thread *n;

		while (cap <= i)
			cap *= 2;
		n = realloc(s->t, cap * sizeof(*n));
		if (!n) {
			s->nomem = 1;
			return NULL;
		}
		memset(n + s->nt_cap, 0, (cap - s->nt_cap) * sizeof(*n));
		s->t = n;
		s->nt_cap = cap;
	}
	return &s->t[i];
}

static double clipd(double s, double e, double a, double b)
{
	return (e < b ? e : b) - (s > a ? s : a);
}

void vsum_add(struct vsum *s, const struct vlane *l, size_t id, const struct vrec *r)
{
	unsigned int fl = r->flags, end = fl & XF_END_MASK;
	double a = s->a, b = s->b;
	struct vsum_thread *t;

	if (l->type == VL_MARKS) {
		if (id == VL_LOST)
			s->lost += r->t1;
		else if (id == VL_WAKES)
			s->wk++;
		else if (r->flags == XM_NEWTASK)
			s->nt++;
		else if (r->flags == XM_EXEC)
			s->ex++;
		else if (r->flags == XM_EXIT)
			s->exits++;
		return;
	}
	t = thr(s, l->type == VL_CPU ? r->idx : l->owner);
	if (!t)
		return;
	if (l->type == VL_CPU) {
		/* a switch: a running slice that ends in the range, or one
		 * that starts there from idle */
		if (r->t1 <= b && !(fl & XF_CLIP_END) && end != XE_OPEN && end != XE_UNSURE) {
			s->sw++;
			t->switches++;
			if (end == XE_PREEMPT) {
				s->pre++;
				t->preempted++;
			} else {
				s->vol++;
			}
		}
		if ((fl & XF_FROM_IDLE) && !(fl & XF_CLIP_START) && r->t0 >= a && r->t0 <= b) {
			s->sw++;
			s->idle++;
		}
		t->run += clipd(r->t0, r->t1, a, b);
	} else if (l->type == VL_THREAD && r->kind == XK_WAIT) {
		if ((fl & XF_BY_WAKING) && !(fl & XF_CLIP_START) && r->t0 >= a && r->t0 <= b)
			s->wk++;
		/* run-queue latency: a whole wait that ended with a CPU */
		if (r->t1 <= b && !(fl & XF_CLIP_END)) {
			t->rq += r->t1 - r->t0;
			t->rqn++;
			if (r->t1 - r->t0 > t->rqmax)
				t->rqmax = r->t1 - r->t0;
		}
		t->wait += clipd(r->t0, r->t1, a, b);
	} else if (l->type == VL_CORO && !(fl & XF_CLIP_START)) {
		s->csw++;
		s->cns += r->b;
		if (r->b > s->cmax)
			s->cmax = r->b;
		t->coro++;
	}
}

int vsum_scan(struct vsum *s, const struct vindex *x)
{
	double below = nextafter(s->a, -INFINITY);

	for (size_t id = 0; id < x->nlanes; id++) {
		const struct vlane *l = &x->lanes[id];
		uint64_t lo, hi;

		if (!l->n)
			continue;
		if (l->type == VL_MARKS) {
			lo = vlower_end(x, l, s->a);
			hi = vupper_end(x, l, s->b, lo);
		} else if (l->type == VL_CORO) {
			/* coroutine switches: the slices that start in it */
			lo = vupper_start(x, l, below);
			hi = vupper_start(x, l, s->b);
		} else {
			lo = vlower_end(x, l, s->a);
			hi = vupper_start(x, l, s->b);
		}
		for (uint64_t i = lo; i < hi; i++)
			vsum_add(s, l, id, vent(x, l, i));
	}
	return s->nomem ? -1 : 0;
}

int vsum_json(const struct vsum *s, const struct vindex *x, char **body, size_t *len)
{
	double rq = 0, rqn = 0, rqmax = 0;
	size_t n = s->nt_cap < x->nthr ? s->nt_cap : x->nthr;
	FILE *f;

	if (s->nomem)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!x->thr[i].traced)
			continue;
		rq += s->t[i].rq;
		rqn += s->t[i].rqn;
		if (s->t[i].rqmax > rqmax)
			rqmax = s->t[i].rqmax;
	}
	f = open_memstream(body, len);
	if (!f)
		return -1;
	fprintf(f, "{\"from\":%.17g,\"to\":%.17g,\"switches\":%.0f,\"preempted\":%.0f,"
		"\"voluntary\":%.0f,\"fromIdle\":%.0f,\"wakeups\":%.0f,\"coroSwitches\":%.0f,"
		"\"coroSwitchNs\":%.0f,\"coroSwitchMax\":%.0f,\"newTasks\":%.0f,\"execs\":%.0f,"
		"\"exits\":%.0f,\"lost\":%.0f,\"runnableNs\":%.17g,\"runnableCount\":%.0f,"
		"\"runnableMax\":%.17g,\"threads\":[",
		s->a, s->b, s->sw, s->pre, s->vol, s->idle, s->wk, s->csw, s->cns, s->cmax,
		s->nt, s->ex, s->exits, s->lost, rq, rqn, rqmax);
	/* threads: index, switches, preempted, run ns, runnable ns, coro switches */
	for (size_t i = 0, first = 1; i < n; i++) {
		const struct vsum_thread *t = &s->t[i];

		if (!t->switches && !t->run && !t->wait && !t->coro)
			continue;
		fprintf(f, "%s[%zu,%.0f,%.0f,%.17g,%.17g,%.0f]", first ? "" : ",", i,
			t->switches, t->preempted, t->run, t->wait, t->coro);
		first = 0;
	}
	fputs("]}", f);
	return fclose(f) ? -1 : 0;
}

void vsum_free(struct vsum *s)
{
	free(s->t);
	s->t = NULL;
}
