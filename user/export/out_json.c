/* Chrome JSON trace events (the Trace Event Format), streamed: one event
 * per line as slices end, names (ph M) at the end. Loads in Perfetto UI and
 * chrome://tracing.
 *
 * Tracks: each thread (pid = tgid, tid = tid) gets its running, runnable and
 * sleeping slices; CPUs are threads of a pseudo-process "CPUs"; a thread
 * that runs coroutines gets a second track next to it. Wakeups are flows
 * (s at the waker, f where the woken thread gets the CPU). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "ss.h"
#include "trigger_desc.h"

/* Pseudo ids above pid_max (at most 2^22) so that they collide with no
 * real task. */
#define CPU_PID		1000000000
#define CPU_TID(c)	(1000000000 + (c))
#define CORO_TID(t)	(2000000000 + (t))

struct json_sink {
	struct xsink s;
	struct xmodel *m;
	uint64_t flow_id;
	int first;
};

static void sep(struct json_sink *j)
{
	if (!j->first)
		fputs(",\n", j->s.out);
	j->first = 0;
}

/* Microseconds with the nanoseconds kept. */
static void us(FILE *f, uint64_t ns)
{
	fprintf(f, "%" PRIu64 ".%03u", ns / 1000, (unsigned int)(ns % 1000));
}

static void used(struct xthread *t)
{
	if (t->out_idx < 0)
		t->out_idx = 1;
}

static int json_begin(struct xsink *s, struct xmodel *m)
{
	struct json_sink *j = (struct json_sink *)s;
	FILE *f = s->out;

	j->m = m;
	j->first = 1;
	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"tool\":\"switchscope\",\"command\":", f);
	xs_json_str(f, m->meta->cmdline, sizeof(m->meta->cmdline));
	fputs(",\"kernel\":", f);
	xs_json_str(f, m->meta->release, sizeof(m->meta->release));
	fprintf(f, ",\"clock\":\"CLOCK_MONOTONIC\",\"start_ns\":%" PRIu64
		",\"ts\":\"microseconds after start_ns\"},\n\"traceEvents\":[\n",
		m->start_ns);
	return 0;
}

static void head(struct json_sink *j, const char *ph, const char *cat,
		 uint32_t pid, uint32_t tid, uint64_t ts)
{
	FILE *f = j->s.out;

	sep(j);
	fprintf(f, "{\"ph\":\"%s\",\"cat\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":",
		ph, cat, pid, tid);
	us(f, ts);
}

static void json_slice(struct xsink *s, const struct xslice *sl)
{
	struct json_sink *j = (struct json_sink *)s;
	struct xthread *t = sl->t;
	FILE *f = s->out;
	int lane = xmodel_traced(j->m, t);
	const char *name = NULL;

	switch (sl->kind) {
	case XK_RUN:
		head(j, "X", "cpu", CPU_PID, CPU_TID(sl->cpu), sl->t0);
		fputs(",\"dur\":", f);
		us(f, sl->t1 - sl->t0);
		fputs(",\"name\":", f);
		xs_json_str(f, t->comm[0] ? t->comm : "?", SS_COMM_LEN);
		fprintf(f, ",\"args\":{\"tid\":%u,\"pid\":%u,\"end\":\"%s\"}}",
			t->tid, t->tgid, xs_end_name(sl->flags & XF_END_MASK));
		j->m->cpu_seen[sl->cpu] |= 2;
		name = "running";
		break;
	case XK_WAIT:
		name = "runnable";
		break;
	case XK_SLEEP:
		name = (sl->flags & XF_END_MASK) == XE_BLOCK ? "blocked (D)" :
		       (sl->flags & XF_END_MASK) == XE_STOP ? "stopped" : "sleeping";
		break;
	case XK_CORO:
		used(t);
		head(j, "X", "coro", t->tgid, CORO_TID(t->tid), sl->t0);
		fputs(",\"dur\":", f);
		us(f, sl->t1 - sl->t0);
		if (sl->coro)
			fprintf(f, ",\"name\":\"coro %" PRIu64 "\"", sl->coro);
		else
			fputs(",\"name\":\"scheduler\"", f);
		fprintf(f, ",\"args\":{\"id\":%" PRIu64 ",\"switch_ns\":%" PRIu64 "}}",
			sl->coro, sl->coro_dur);
		return;
	}
	if (!lane)
		return;
	used(t);
	head(j, "X", "sched", t->tgid, t->tid, sl->t0);
	fputs(",\"dur\":", f);
	us(f, sl->t1 - sl->t0);
	fprintf(f, ",\"name\":\"%s\",\"args\":{", name);
	if (sl->kind == XK_RUN)
		fprintf(f, "\"cpu\":%u,\"end\":\"%s\"", sl->cpu,
			xs_end_name(sl->flags & XF_END_MASK));
	else if (sl->kind == XK_WAIT)
		fprintf(f, "\"cause\":\"%s\"", xs_cause_name(sl->flags & 7));
	else
		fprintf(f, "\"state\":\"%s\"", xs_end_name(sl->flags & XF_END_MASK));
	fputs("}}", f);
	/* The wakeup arrow, once both of its ends are known. */
	if (sl->kind == XK_WAIT && (sl->flags & 7) == XC_WOKEN && sl->waker &&
	    xmodel_traced(j->m, sl->waker) && sl->waker->wanted) {
		j->flow_id++;
		used(sl->waker);
		head(j, "s", "wakeup", sl->waker->tgid, sl->waker->tid, sl->t0);
		fprintf(f, ",\"name\":\"wakeup\",\"id\":%" PRIu64 "}", j->flow_id);
		head(j, "f", "wakeup", t->tgid, t->tid, sl->t1);
		fprintf(f, ",\"bp\":\"e\",\"name\":\"wakeup\",\"id\":%" PRIu64 "}",
			j->flow_id);
	}
}

static void json_mark(struct xsink *s, const struct xmark *mk)
{
	struct json_sink *j = (struct json_sink *)s;
	FILE *f = s->out;

	if (mk->kind == XM_LOST) {
		head(j, "i", "lost", CPU_PID, CPU_TID(mk->cpu), mk->ts);
		fprintf(f, ",\"s\":\"g\",\"name\":\"lost %" PRIu64
			" records\",\"args\":{\"cpu\":%u,\"count\":%" PRIu64 "}}",
			mk->a, mk->cpu, mk->a);
		return;
	}
	if (mk->kind == XM_TRIGGER) {
		/* global: it marks the whole dump */
		head(j, "i", "trigger", CPU_PID, CPU_TID(mk->cpu), mk->ts);
		fprintf(f, ",\"s\":\"g\",\"name\":\"trigger %s\",\"args\":{\"tid\":%u,"
			"\"value_ns\":%" PRIu64 "}}", ss_trigger_name(mk->b),
			mk->t ? mk->t->tid : 0, mk->a);
		return;
	}
	if (mk->kind == XM_WAKE || !xmodel_traced(j->m, mk->t))
		return;
	used(mk->t);
	if (mk->kind >= XM_CORO_CREATE && mk->kind <= XM_CORO_STATS)
		head(j, "i", "coro", mk->t->tgid, CORO_TID(mk->t->tid), mk->ts);
	else
		head(j, "i", "task", mk->t->tgid, mk->t->tid, mk->ts);
	fprintf(f, ",\"s\":\"t\",\"name\":\"%s\",\"args\":{", xs_mark_name(mk->kind));
	switch (mk->kind) {
	case XM_NEWTASK:
		fprintf(f, "\"parent\":%" PRIu64 ",\"kind\":\"%s\"", mk->a,
			mk->b ? "thread" : "process");
		break;
	case XM_EXIT:
		fprintf(f, "\"exit_code\":%" PRIu64, mk->a);
		break;
	case XM_CORO_PARK:
		fprintf(f, "\"id\":%" PRIu64 ",\"reason\":\"%s\"", mk->a,
			ss_park_reason_name(mk->b));
		break;
	case XM_CORO_STATS:
		fprintf(f, "\"switches\":%" PRIu64 ",\"switch_ns\":%" PRIu64,
			mk->a, mk->b);
		break;
	case XM_CORO_CREATE:
	case XM_CORO_READY:
	case XM_CORO_EXIT:
		fprintf(f, "\"id\":%" PRIu64 ",\"arg\":%" PRIu64, mk->a, mk->b);
		break;
	default:
		fputs("\"comm\":", f);
		xs_json_str(f, mk->t->comm, SS_COMM_LEN);
	}
	fputs("}}", f);
}

static void meta_ev(struct json_sink *j, const char *what, uint32_t pid,
		    uint32_t tid, const char *name, const char *suffix)
{
	FILE *f = j->s.out;
	char buf[64];

	snprintf(buf, sizeof(buf), "%s%s", name, suffix);
	sep(j);
	fprintf(f, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"name\":\"%s\",\"args\":{\"name\":",
		pid, tid, what);
	xs_json_str(f, buf, sizeof(buf));
	fputs("}}", f);
}

static void sort_ev(struct json_sink *j, uint32_t pid, uint32_t tid, long idx)
{
	sep(j);
	fprintf(j->s.out, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,"
		"\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%ld}}",
		pid, tid, idx);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int json_end(struct xsink *s, struct xmodel *m)
{
	struct json_sink *j = (struct json_sink *)s;
	uint32_t *pids = malloc((m->nall + 1) * sizeof(*pids));
	size_t np = 0;
	char name[32];

	if (!pids)
		return SS_EXIT_INTERNAL;
	for (size_t i = 0; i < m->nall; i++) {
		struct xthread *t = m->all[i];

		if (t->out_idx < 0)
			continue;
		pids[np++] = t->tgid;
		meta_ev(j, "thread_name", t->tgid, t->tid, t->comm, "");
		sort_ev(j, t->tgid, t->tid, 2L * t->tid);
		if (t->has_coro) {
			meta_ev(j, "thread_name", t->tgid, CORO_TID(t->tid), t->comm,
				" coroutines");
			sort_ev(j, t->tgid, CORO_TID(t->tid), 2L * t->tid + 1);
		}
	}
	qsort(pids, np, sizeof(*pids), cmp_u32);
	for (size_t i = 0; i < np; i++) {
		struct xthread *l;

		if (i && pids[i] == pids[i - 1])
			continue;
		l = xmodel_thread(m, pids[i], pids[i]);
		meta_ev(j, "process_name", pids[i], pids[i],
			l && l->comm[0] ? l->comm : "?", "");
	}
	free(pids);
	meta_ev(j, "process_name", CPU_PID, CPU_PID, "CPUs", "");
	sep(j);
	fprintf(s->out, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,"
		"\"name\":\"process_sort_index\",\"args\":{\"sort_index\":-1}}",
		CPU_PID, CPU_PID);
	for (uint32_t c = 0; c < m->ncpu; c++) {
		if (!m->cpu_seen[c])
			continue;
		snprintf(name, sizeof(name), "CPU %u", c);
		meta_ev(j, "thread_name", CPU_PID, CPU_TID(c), name, "");
		sort_ev(j, CPU_PID, CPU_TID(c), c);
	}
	fputs("\n]}\n", s->out);
	return ferror(s->out) ? SS_EXIT_IO : SS_OK;
}

struct xsink *xsink_json(FILE *out)
{
	struct json_sink *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->s.begin = json_begin;
	j->s.slice = json_slice;
	j->s.mark = json_mark;
	j->s.end = json_end;
	j->s.out = out;
	return &j->s;
}
