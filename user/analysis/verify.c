#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "ss.h"
#include "verify.h"

/* Kernel entries a thread made recently: a coroutine switch's window ends
 * before its record arrives, so entries are kept until then. */
#define RING 64

enum { K_SYSCALL, K_FAULT, K_BLOCK, K_PREEMPT, K_STOP };

/* __TASK_STOPPED | __TASK_TRACED (stable since 2.6): a job-control stop or
 * a tracer, e.g. the recorder holding the process at a dlopen while it
 * attaches the new library's probes; it stops every thread, wherever it is. */
#define TASK_STOPPED_OR_TRACED	0x000c

struct kev {
	uint64_t ts;
	uint64_t detail;	/* syscall nr or fault address */
	uint8_t kind;
};

struct tstate {
	struct kev ring[RING];
	uint32_t head;		/* next slot */
	uint32_t n;
	uint32_t tid;
	int ran_coro;
};

struct ss_vstate {
	struct ss_idmap *map;
	struct tstate **t;
	size_t n, cap;
};

int ss_verify_init(struct ss_verify *v, const char *machine)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->machine, sizeof(v->machine), "%s", machine);
	v->st = calloc(1, sizeof(*v->st));
	if (!v->st || !(v->st->map = ss_idmap_new()))
		return -1;
	return 0;
}

void ss_verify_free(struct ss_verify *v)
{
	if (v->st) {
		for (size_t i = 0; i < v->st->n; i++)
			free(v->st->t[i]);
		free(v->st->t);
		ss_idmap_free(v->st->map);
		free(v->st);
	}
	free(v->groups);
	memset(v, 0, sizeof(*v));
}

static struct tstate *thread(struct ss_verify *v, uint32_t tid)
{
	struct ss_vstate *s = v->st;
	int64_t i = ss_idmap_get(s->map, tid);
	struct tstate *t;

	if (i >= 0)
		return s->t[i];
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct tstate **nt = realloc(s->t, nc * sizeof(*nt));

		if (!nt)
			return NULL;
		s->t = nt;
		s->cap = nc;
	}
	t = calloc(1, sizeof(*t));
	if (!t || ss_idmap_put(s->map, tid, s->n)) {
		free(t);
		return NULL;
	}
	t->tid = tid;
	s->t[s->n++] = t;
	return t;
}

static void push(struct ss_verify *v, uint32_t tid, uint64_t ts, int kind, uint64_t detail)
{
	struct tstate *t = thread(v, tid);

	if (!t)
		return;
	t->ring[t->head] = (struct kev){ ts, detail, kind };
	t->head = (t->head + 1) % RING;
	if (t->n < RING)
		t->n++;
}

/* Syscalls made by the probes and clocks themselves. */
static int instrumentation(const char *machine, uint64_t nr, int *clock)
{
	const char *name = ss_syscall_name(machine, nr);

	*clock = 0;
	if (!name)
		return 0;
	if (!strcmp(name, "uprobe") || !strcmp(name, "uretprobe"))
		return 1;
	if (!strcmp(name, "clock_gettime") || !strcmp(name, "gettimeofday") ||
	    !strcmp(name, "time")) {
		*clock = 1;
		return 1;
	}
	return 0;
}

static struct ss_vgroup *group(struct ss_verify *v, int kind, uint32_t nr)
{
	struct ss_vgroup *g;

	for (size_t i = 0; i < v->ngroups; i++)
		if (v->groups[i].kind == kind && v->groups[i].nr == nr)
			return &v->groups[i];
	g = realloc(v->groups, (v->ngroups + 1) * sizeof(*g));
	if (!g)
		return NULL;
	v->groups = g;
	g = &v->groups[v->ngroups++];
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	g->nr = nr;
	return g;
}

static void violation(struct ss_verify *v, int kind, uint32_t nr, const struct kev *k,
		      const struct ss_coro_switch *e)
{
	struct ss_vgroup *g = group(v, kind, nr);

	v->entries++;
	if (!g)
		return;
	if (g->count < SS_VERIFY_EXAMPLES)
		g->ex[g->count] = (struct ss_vexample){ k->ts, e->tid, e->from, e->to, k->detail };
	g->count++;
}

static void check_switch(struct ss_verify *v, const struct ss_coro_switch *e)
{
	struct tstate *t = thread(v, e->tid);
	uint64_t end, start;
	int bad = 0, clock;

	v->switches++;
	if (e->start_ns) {
		start = e->start_ns;
		end = e->start_ns + e->dur_ns;
	} else {
		v->switches_no_start++;
		end = e->hdr.ts;
		start = end > e->dur_ns ? end - e->dur_ns : 0;
	}
	if (!t)
		return;
	if (!t->ran_coro) {
		t->ran_coro = 1;
		v->threads++;
	}
	if (t->n == RING && t->ring[t->head].ts >= start)
		v->overflow++;	/* the window may hold more than was kept */
	for (uint32_t i = 0; i < t->n; i++) {
		const struct kev *k = &t->ring[(t->head + RING - 1 - i) % RING];

		if (k->ts < start)
			break;
		if (k->ts > end)
			continue;
		switch (k->kind) {
		case K_SYSCALL:
			if (instrumentation(v->machine, k->detail, &clock)) {
				if (clock)
					v->excluded_clock++;
				else
					v->excluded_uprobe++;
				break;
			}
			violation(v, SS_V_SYSCALL, k->detail, k, e);
			bad = 1;
			break;
		case K_FAULT:
			violation(v, SS_V_FAULT, 0, k, e);
			bad = 1;
			break;
		case K_BLOCK:
			violation(v, SS_V_BLOCK, 0, k, e);
			bad = 1;
			break;
		case K_PREEMPT:
			v->preemptions++;
			break;
		case K_STOP:
			v->stops++;
			break;
		}
	}
	v->violations += bad;
}

void ss_verify_add(struct ss_verify *v, const struct ss_hdr *h)
{
	switch (h->type) {
	case SS_EV_SYSCALL: {
		const struct ss_syscall *e = (const void *)h;

		int clock;

		v->syscalls_seen++;
		if (instrumentation(v->machine, e->nr, &clock)) {
			if (clock)
				v->seen_clock++;
			else
				v->seen_uprobe++;
		}
		push(v, e->tid, h->ts, K_SYSCALL, e->nr);
		break;
	}
	case SS_EV_FAULT: {
		const struct ss_fault *e = (const void *)h;

		push(v, e->tid, h->ts, K_FAULT, e->addr);
		break;
	}
	case SS_EV_SWITCH: {
		const struct ss_switch *e = (const void *)h;

		if (e->prev_tid)
			push(v, e->prev_tid, h->ts,
			     e->prev_state == SS_TASK_RUNNING ? K_PREEMPT :
			     e->prev_state & TASK_STOPPED_OR_TRACED ? K_STOP : K_BLOCK, 0);
		break;
	}
	case SS_EV_LOST:
		v->lost += ((const struct ss_lost *)h)->count;
		break;
	case SS_EV_CORO_SWITCH:
		check_switch(v, (const void *)h);
		break;
	}
}
