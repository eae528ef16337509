/* switchscope report --offcpu: off-CPU time by stack as text, folded
 * stacks (flamegraph.pl, inferno, speedscope) or JSON (docs/REPORT-JSON.md). */
#include <stdlib.h>
#include <string.h>

#include "offcpu.h"
#include "report.h"
#include "ss.h"
#include "stacks.h"
#include "trace.h"

#define U(x) ((unsigned long long)(x))
#define MAXF (SS_STACK_MAX_DEPTH + 1)

static const char *const kind_name[SS_OFF_KINDS] = { "sleep", "wait", "park" };
static const char *const kind_words[SS_OFF_KINDS] = { "sleeping", "waiting", "parked" };

/* One row: entries summed over what the view does not tell apart. */
struct group {
	struct ss_off_key k;
	uint64_t ns, count;
	size_t first, n;	/* its entries in the sorted array */
};

static int cmp_thread_stack(const void *x, const void *y)
{
	const struct ss_off_entry *a = x, *b = y;

	if (a->k.tid != b->k.tid)
		return a->k.tid < b->k.tid ? -1 : 1;
	if (a->k.kind != b->k.kind)
		return a->k.kind < b->k.kind ? -1 : 1;
	if (a->k.kstack != b->k.kstack)
		return a->k.kstack < b->k.kstack ? -1 : 1;
	if (a->k.ustack != b->k.ustack)
		return a->k.ustack < b->k.ustack ? -1 : 1;
	return b->ns > a->ns ? 1 : b->ns < a->ns ? -1 : 0;
}

static int same_stack(const struct ss_off_key *a, const struct ss_off_key *b)
{
	return a->tid == b->tid && a->kind == b->kind && a->kstack == b->kstack &&
	       a->ustack == b->ustack;
}

static int cmp_group(const void *x, const void *y)
{
	const struct group *a = x, *b = y;

	if (a->ns != b->ns)
		return a->ns > b->ns ? -1 : 1;
	return a->k.tid < b->k.tid ? -1 : a->k.tid > b->k.tid;
}

/* Sort the entries by (thread, kind, stacks) and make one group per run. */
static struct group *group_by_stack(struct ss_offcpu *o, size_t *ng)
{
	struct group *g = malloc((o->n + 1) * sizeof(*g));
	size_t n = 0;

	*ng = 0;
	if (!g)
		return NULL;
	if (o->n)
		qsort(o->e, o->n, sizeof(*o->e), cmp_thread_stack);
	for (size_t i = 0; i < o->n; i++) {
		if (!n || !same_stack(&g[n - 1].k, &o->e[i].k)) {
			g[n] = (struct group){ .k = o->e[i].k, .first = i };
			n++;
		}
		g[n - 1].ns += o->e[i].ns;
		g[n - 1].count += o->e[i].count;
		g[n - 1].n++;
	}
	*ng = n;
	return g;
}

/* ---- what the stacks are worth: the note about frame pointers ---- */

struct quality {
	uint64_t user, one_frame, one_frame_ns, missing, failed, no_stack;
	uint64_t ns[SS_OFF_KINDS], count[SS_OFF_KINDS];	/* traced threads' */
};

static int traced_tid(struct ss_analysis *a, uint32_t tid);

static void judge(struct ss_analysis *a, struct ss_stacks *s, const struct group *g, size_t ng,
		  struct quality *q)
{
	memset(q, 0, sizeof(*q));
	for (size_t i = 0; i < ng; i++) {
		struct ss_stack_info in;

		if (!traced_tid(a, g[i].k.tid))
			continue;
		q->ns[g[i].k.kind] += g[i].ns;
		q->count[g[i].k.kind] += g[i].count;
		if (!g[i].k.kstack && !g[i].k.ustack)
			q->no_stack += g[i].count;

		if (g[i].k.kstack && ss_stacks_info(s, 0, g[i].k.kstack, &in))
			q->missing++;
		if (!g[i].k.ustack)
			continue;
		q->user++;
		if (ss_stacks_info(s, g[i].k.tgid, g[i].k.ustack, &in)) {
			q->missing++;
		} else if (in.flags & SS_STACK_FAILED) {
			q->failed++;
		} else if (ss_stacks_one_frame(s, g[i].k.tgid, g[i].k.ustack)) {
			q->one_frame++;
			q->one_frame_ns += g[i].ns;
		}
	}
}

static void print_quality(FILE *f, const struct quality *q, struct ss_stacks *s)
{
	const struct ss_stacks_damage *d = ss_stacks_damage(s);

	if (q->one_frame)
		fprintf(f, "note: %llu of %llu user stacks have one frame only (%.1f ms off-CPU "
			"under them): the program or its libraries were built without frame "
			"pointers, so the walk stopped at the first frame. Rebuild with "
			"-fno-omit-frame-pointer (and -mno-omit-leaf-frame-pointer) to see "
			"the callers; these stacks are marked \"one frame\".\n",
			U(q->one_frame), U(q->user), q->one_frame_ns / 1e6);
	if (q->failed)
		fprintf(f, "note: %llu user stacks could not be walked at all (marked "
			"\"walk failed\").\n", U(q->failed));
	if (q->missing)
		fprintf(f, "warning: %llu stack ids have no stack record in the trace "
			"(marked \"not in trace\").\n", U(q->missing));
	if (d->conflicts || d->bad)
		fprintf(f, "warning: %llu stack records were dropped (%llu with counts that do "
			"not fit, %llu a second, different stack of an id seen before).\n",
			U(d->conflicts + d->bad), U(d->bad), U(d->conflicts));
	if (q->no_stack)
		fprintf(f, "note: %llu intervals have no stack: a new task's first wait, or "
			"one begun before the trace or at a switch without stack ids (shown as "
			"\"no stack\").\n", U(q->no_stack));
}

/* ---- text ---- */

void report_stack(FILE *f, struct ss_stacks *s, uint32_t tgid, uint64_t id, int kernel,
		  const char *indent)
{
	struct ss_frame fr[MAXF];
	struct ss_stack_info in;
	char name[256];
	int n;

	if (!id)
		return;
	if (ss_stacks_info(s, kernel ? 0 : tgid, id, &in) ||
	    (n = ss_stacks_frames(s, kernel ? 0 : tgid, id, fr, MAXF)) < 0) {
		fprintf(f, "%s[%s stack %#llx not in trace]\n", indent, kernel ? "kernel" : "user",
			U(id));
		return;
	}
	if (in.flags & SS_STACK_FAILED) {
		fprintf(f, "%s[%s stack: walk failed]\n", indent, kernel ? "kernel" : "user");
		return;
	}
	for (int i = 0; i < n && i < MAXF; i++) {
		const char *obj = fr[i].obj && *fr[i].obj && fr[i].func ? fr[i].obj : NULL;
		const char *b = obj ? strrchr(obj, '/') : NULL;

		fprintf(f, "%s%s%s%s%s\n", indent, ss_frame_name(&fr[i], name, sizeof(name)),
			obj ? " (" : "", obj ? (b ? b + 1 : obj) : "", obj ? ")" : "");
	}
	if (!kernel && ss_stacks_one_frame(s, tgid, id))
		fprintf(f, "%s[one frame: no frame pointers?]\n", indent);
	else if ((in.flags & SS_STACK_TRUNCATED) && n >= SS_STACK_MAX_DEPTH)
		fprintf(f, "%s[deeper than %d frames: cut]\n", indent, SS_STACK_MAX_DEPTH);
	else if (in.flags & SS_STACK_TRUNCATED)
		fprintf(f, "%s[the walk broke off here: a caller without frame pointers?]\n", indent);
}

static void both_stacks(FILE *f, struct ss_stacks *s, uint32_t tgid, uint64_t k, uint64_t u,
			const char *indent)
{
	if (!k && !u) {
		fprintf(f, "%s[no stack]\n", indent);
		return;
	}
	report_stack(f, s, tgid, k, 1, indent);
	if (k && u)
		fprintf(f, "%s--\n", indent);
	report_stack(f, s, tgid, u, 0, indent);
}

static void print_group(FILE *f, struct ss_analysis *a, struct ss_stacks *s,
			const struct ss_offcpu *o, const struct group *g, uint64_t of,
			size_t rows)
{
	char d[SS_DUR_BUF], w[40];
	size_t shown = 0;

	fprintf(f, "  %s %s in %llu (%.1f%%)\n", kind_words[g->k.kind],
		ss_fmt_dur(d, sizeof(d), g->ns), U(g->count), of ? 100.0 * g->ns / of : 0);
	both_stacks(f, s, g->k.tgid, g->k.kstack, g->k.ustack, "      ");
	if (g->k.kind != SS_OFF_SLEEP)
		return;
	/* the wakers, most time first */
	for (size_t left = g->n; left; left--) {
		size_t best = g->first;

		for (size_t j = g->first; j < g->first + g->n; j++)
			if (o->e[j].count && (!o->e[best].count || o->e[j].ns > o->e[best].ns))
				best = j;
		if (!o->e[best].count)
			break;
		const struct ss_off_entry *e = &o->e[best];

		if (rows && shown == rows) {
			fprintf(f, "    ... %llu more wakers (-n 0: all)\n", U(left));
			break;
		}
		if (!e->k.wtid && !e->k.wtgid && !e->k.wkstack && !e->k.wustack)
			fprintf(f, "    not woken by a waking seen in the trace: %s in %llu\n",
				ss_fmt_dur(d, sizeof(d), e->ns), U(e->count));
		else {
			snprintf(w, sizeof(w), "%s[%u]", ss_thread_name(a, e->k.wtid), e->k.wtid);
			fprintf(f, "    woken by %s: %s in %llu\n", e->k.wtid ? w : "irq/idle",
				ss_fmt_dur(d, sizeof(d), e->ns), U(e->count));
			both_stacks(f, s, e->k.wtgid, e->k.wkstack, e->k.wustack, "        ");
		}
		shown++;
		/* count 0 marks it printed; the caller prints each group once */
		((struct ss_off_entry *)e)->count = 0;
	}
}

static int cmp_process_stack(const void *x, const void *y)
{
	const struct group *a = x, *b = y;

	if (a->k.kind != b->k.kind)
		return a->k.kind < b->k.kind ? -1 : 1;
	if (a->k.tgid != b->k.tgid)
		return a->k.tgid < b->k.tgid ? -1 : 1;
	if (a->k.kstack != b->k.kstack)
		return a->k.kstack < b->k.kstack ? -1 : 1;
	return a->k.ustack < b->k.ustack ? -1 : a->k.ustack > b->k.ustack;
}

/* The same stacks summed over the threads of a process (a user stack id
 * is one process's), most time first. */
static void print_all(FILE *f, struct ss_analysis *a, struct ss_stacks *s,
		      const struct quality *q, const struct group *g, size_t ng, size_t rows)
{
	struct group *p = malloc((ng + 1) * sizeof(*p));
	size_t np = 0, nthreads = 0;
	char d[SS_DUR_BUF];

	if (!p)
		return;
	for (size_t i = 0; i < ng; i++)
		if (traced_tid(a, g[i].k.tid))
			p[np++] = g[i];
	qsort(p, np, sizeof(*p), cmp_process_stack);
	size_t n = 0;

	for (size_t i = 0; i < np; i++) {
		if (n && !cmp_process_stack(&p[n - 1], &p[i])) {
			p[n - 1].ns += p[i].ns;
			p[n - 1].count += p[i].count;
			p[n - 1].n++;	/* here: threads */
			continue;
		}
		p[n] = p[i];
		p[n].n = 1;
		n++;
	}
	qsort(p, n, sizeof(*p), cmp_group);
	fprintf(f, "\nall threads, by stack (the threads of a process summed):\n");
	for (size_t i = 0; i < n; i++) {
		if (rows && i == rows) {
			fprintf(f, "  ... %zu more stacks (-n 0: all)\n", n - i);
			break;
		}
		nthreads = p[i].n;
		fprintf(f, "  %s %s in %llu (%.1f%%), process %u, %zu thread%s\n",
			kind_words[p[i].k.kind], ss_fmt_dur(d, sizeof(d), p[i].ns), U(p[i].count),
			q->ns[p[i].k.kind] ? 100.0 * p[i].ns / q->ns[p[i].k.kind] : 0,
			p[i].k.tgid, nthreads, nthreads == 1 ? "" : "s");
		both_stacks(f, s, p[i].k.tgid, p[i].k.kstack, p[i].k.ustack, "      ");
	}
	free(p);
}

static int traced_tid(struct ss_analysis *a, uint32_t tid)
{
	struct ss_thread *t = ss_thread_find(a, tid);

	return tid && t && t->traced;
}

static void offcpu_text(FILE *f, struct ss_analysis *a, struct ss_stacks *s,
			struct ss_offcpu *o, struct group *g, size_t ng,
			const struct report_opts *op)
{
	char d[3][SS_DUR_BUF];
	struct quality q;

	judge(a, s, g, ng, &q);
	fprintf(f, "switchscope report --offcpu: %s\n", op->path);
	fprintf(f, "Off-CPU time by the stacks a thread left the CPU with: sleeping (blocked "
		"until woken), waiting (runnable, on a run queue), parked (a coroutine); "
		"kernel stack above user stack, innermost frame first; for sleeps, the "
		"waker's stacks at sched_waking.\n");
	print_quality(f, &q, s);
	fprintf(f, "all threads: sleeping %s in %llu, waiting %s in %llu, parked %s in %llu\n",
		ss_fmt_dur(d[0], sizeof(d[0]), q.ns[SS_OFF_SLEEP]), U(q.count[SS_OFF_SLEEP]),
		ss_fmt_dur(d[1], sizeof(d[1]), q.ns[SS_OFF_WAIT]), U(q.count[SS_OFF_WAIT]),
		ss_fmt_dur(d[2], sizeof(d[2]), q.ns[SS_OFF_PARK]), U(q.count[SS_OFF_PARK]));

	print_all(f, a, s, &q, g, ng, op->max_rows);

	/* threads by off-CPU time */
	size_t nth = 0;
	struct { uint32_t tid; uint64_t ns[SS_OFF_KINDS], all; size_t g0, g1; } *th =
		calloc(ng + 1, sizeof(*th));

	if (!th)
		return;
	for (size_t i = 0; i < ng; i++) {
		if (!nth || th[nth - 1].tid != g[i].k.tid)
			th[nth++] = (typeof(*th)){ .tid = g[i].k.tid, .g0 = i };
		th[nth - 1].ns[g[i].k.kind] += g[i].ns;
		th[nth - 1].all += g[i].ns;
		th[nth - 1].g1 = i + 1;
	}
	for (size_t i = 0; i < nth; i++)	/* most off-CPU time first */
		for (size_t j = i + 1; j < nth; j++)
			if (th[j].all > th[i].all) {
				typeof(*th) t = th[i];

				th[i] = th[j];
				th[j] = t;
			}
	size_t shown = 0;

	for (size_t i = 0; i < nth; i++) {
		struct ss_thread *t = ss_thread_find(a, th[i].tid);
		size_t rows = 0;

		if (!traced_tid(a, th[i].tid))
			continue;
		if (op->max_rows && shown == op->max_rows) {
			fprintf(f, "\n... more threads (-n 0: all)\n");
			break;
		}
		shown++;
		fprintf(f, "\nthread %s[%u] (process %u): sleeping %s, waiting %s, parked %s\n",
			t->comm, t->tid, t->tgid,
			ss_fmt_dur(d[0], sizeof(d[0]), th[i].ns[SS_OFF_SLEEP]),
			ss_fmt_dur(d[1], sizeof(d[1]), th[i].ns[SS_OFF_WAIT]),
			ss_fmt_dur(d[2], sizeof(d[2]), th[i].ns[SS_OFF_PARK]));
		qsort(g + th[i].g0, th[i].g1 - th[i].g0, sizeof(*g), cmp_group);
		for (size_t k = th[i].g0; k < th[i].g1; k++) {
			if (op->max_rows && rows == op->max_rows) {
				fprintf(f, "  ... %zu more stacks (-n 0: all)\n", th[i].g1 - k);
				break;
			}
			print_group(f, a, s, o, &g[k], th[i].ns[g[k].k.kind], op->max_rows);
			rows++;
		}
	}
	free(th);
}

/* ---- folded ---- */

/* A frame as one folded field: no ';' (the separator) and no blank
 * before the count's; kernel frames end in "_[k]" (flamegraph.pl colours
 * them so). */
static void folded_frame(FILE *f, const struct ss_frame *fr)
{
	char name[256];

	ss_frame_func(fr, name, sizeof(name));
	for (char *p = name; *p; p++)
		if (*p == ';' || *p == ' ')
			*p = '_';
	fprintf(f, ";%s%s", name, fr->kernel ? "_[k]" : "");
}

static void folded_stack(FILE *f, struct ss_stacks *s, uint32_t tgid, uint64_t id, int kernel)
{
	struct ss_frame fr[MAXF];
	int n;

	if (!id)
		return;
	n = ss_stacks_frames(s, kernel ? 0 : tgid, id, fr, MAXF);
	if (n <= 0) {
		fprintf(f, ";[%s_stack_%s]", kernel ? "kernel" : "user", n ? "missing" : "empty");
		return;
	}
	if (!kernel && ss_stacks_one_frame(s, tgid, id))
		fprintf(f, ";[one_frame]");
	for (int i = (n < MAXF ? n : MAXF) - 1; i >= 0; i--)
		folded_frame(f, &fr[i]);
}

static void offcpu_folded(FILE *f, struct ss_analysis *a, struct ss_stacks *s,
			  const struct group *g, size_t ng)
{
	for (size_t i = 0; i < ng; i++) {
		char comm[SS_COMM_LEN + 16];

		if (!traced_tid(a, g[i].k.tid) || !g[i].ns)
			continue;
		snprintf(comm, sizeof(comm), "%s", ss_thread_name(a, g[i].k.tid));
		for (char *p = comm; *p; p++)
			if (*p == ';' || *p == ' ')
				*p = '_';
		fprintf(f, "%s;%s-%u", kind_name[g[i].k.kind], comm, g[i].k.tid);
		if (!g[i].k.kstack && !g[i].k.ustack)
			fprintf(f, ";[no_stack]");
		folded_stack(f, s, g[i].k.tgid, g[i].k.ustack, 0);
		folded_stack(f, s, g[i].k.tgid, g[i].k.kstack, 1);
		fprintf(f, " %llu\n", U(g[i].ns));
	}
}

/* ---- JSON ---- */

static void json_stack(FILE *f, struct ss_stacks *s, uint32_t tgid, uint64_t id, int kernel)
{
	struct ss_frame fr[MAXF];
	struct ss_stack_info in;
	int n;

	if (!id || ss_stacks_info(s, kernel ? 0 : tgid, id, &in) ||
	    (n = ss_stacks_frames(s, kernel ? 0 : tgid, id, fr, MAXF)) < 0) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"id\":\"%#llx\",\"truncated\":%s,\"failed\":%s,\"one_frame\":%s,\"frames\":[",
		U(id), in.flags & SS_STACK_TRUNCATED ? "true" : "false",
		in.flags & SS_STACK_FAILED ? "true" : "false",
		!kernel && ss_stacks_one_frame(s, tgid, id) ? "true" : "false");
	for (int i = 0; i < n && i < MAXF; i++) {
		fprintf(f, "%s{\"ip\":\"%#llx\",\"func\":", i ? "," : "", U(fr[i].ip));
		if (fr[i].func)
			ss_json_str(f, fr[i].func);
		else
			fprintf(f, "null");
		fprintf(f, ",\"off\":%llu,\"obj\":", U(fr[i].off));
		if (fr[i].obj)
			ss_json_str(f, fr[i].obj);
		else
			fprintf(f, "null");
		fputc('}', f);
	}
	fprintf(f, "]}");
}

static void json_stacks(FILE *f, struct ss_stacks *s, uint32_t tgid, uint64_t k, uint64_t u)
{
	fprintf(f, "\"kernel\":");
	json_stack(f, s, tgid, k, 1);
	fprintf(f, ",\"user\":");
	json_stack(f, s, tgid, u, 0);
}

static void offcpu_json(FILE *f, struct ss_analysis *a, struct ss_stacks *s,
			struct ss_offcpu *o, struct group *g, size_t ng,
			const struct report_opts *op)
{
	struct quality q;
	uint32_t last = 0;
	int any = 0;

	judge(a, s, g, ng, &q);
	fprintf(f, "{\"format\":\"switchscope-offcpu\",\"version\":1,\"trace\":{\"path\":");
	ss_json_str(f, op->path);
	fprintf(f, ",\"start_ns\":%llu,\"end_ns\":%llu,\"damaged\":%s},", U(a->start_ns),
		U(a->end_ns), op->damaged ? "true" : "false");
	fprintf(f, "\"sleep_ns\":%llu,\"wait_ns\":%llu,\"park_ns\":%llu,\"sleeps\":%llu,"
		"\"waits\":%llu,\"parks\":%llu,", U(q.ns[0]), U(q.ns[1]), U(q.ns[2]),
		U(q.count[0]), U(q.count[1]), U(q.count[2]));
	fprintf(f, "\"user_stacks\":%llu,\"user_stacks_one_frame\":%llu,\"one_frame_ns\":%llu,"
		"\"user_stacks_failed\":%llu,\"missing_stacks\":%llu,\"dropped_stack_records\":%llu,"
		"\"no_stack_intervals\":%llu,\"threads\":[", U(q.user), U(q.one_frame),
		U(q.one_frame_ns), U(q.failed), U(q.missing),
		U(ss_stacks_damage(s)->bad + ss_stacks_damage(s)->conflicts), U(q.no_stack));
	for (size_t i = 0; i < ng; i++) {
		if (!traced_tid(a, g[i].k.tid))
			continue;
		if (!any || last != g[i].k.tid) {
			struct ss_thread *t = ss_thread_find(a, g[i].k.tid);

			fprintf(f, "%s{\"tid\":%u,\"pid\":%u,\"comm\":", any ? "]}," : "", t->tid,
				t->tgid);
			ss_json_str(f, t->comm);
			fprintf(f, ",\"stacks\":[");
			any = 1;
			last = g[i].k.tid;
		} else {
			fputc(',', f);
		}
		fprintf(f, "{\"kind\":\"%s\",\"ns\":%llu,\"count\":%llu,", kind_name[g[i].k.kind],
			U(g[i].ns), U(g[i].count));
		json_stacks(f, s, g[i].k.tgid, g[i].k.kstack, g[i].k.ustack);
		fprintf(f, ",\"wakers\":[");
		for (size_t j = g[i].first, n = 0; j < g[i].first + g[i].n; j++) {
			const struct ss_off_entry *e = &o->e[j];

			if (e->k.kind != SS_OFF_SLEEP)
				continue;
			fprintf(f, "%s{\"tid\":%u,\"pid\":%u,\"comm\":", n++ ? "," : "", e->k.wtid,
				e->k.wtgid);
			ss_json_str(f, e->k.wtid ? ss_thread_name(a, e->k.wtid) : "");
			fprintf(f, ",\"woken\":%s,\"ns\":%llu,\"count\":%llu,",
				e->k.wtid || e->k.wtgid || e->k.wkstack || e->k.wustack ? "true" :
				"false", U(e->ns), U(e->count));
			json_stacks(f, s, e->k.wtgid, e->k.wkstack, e->k.wustack);
			fputc('}', f);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "%s]}\n", any ? "]}" : "");
}

int report_offcpu(FILE *f, struct ss_analysis *a, struct ss_reader *r,
		  const struct report_opts *op)
{
	const struct ss_meta *m = ss_reader_meta(r);
	const struct ss_trailer *tr = ss_reader_trailer(r);
	struct ss_stacks *s;
	struct ss_offcpu o;
	const struct ss_hdr *h;
	struct group *g;
	size_t ng;

	if (!(m->flags & SS_META_STACKS)) {
		ss_err("%s has no stacks: record it with `switchscope record --stacks`", op->path);
		return SS_EXIT_USAGE;
	}
	ss_reader_rewind(r);
	s = ss_stacks_load(r);
	if (!s || ss_offcpu_init(&o)) {
		ss_stacks_free(s);
		ss_err("out of memory");
		return SS_EXIT_INTERNAL;
	}
	while (ss_reader_next(r, &h) == 1)
		ss_offcpu_add(&o, h);
	ss_offcpu_finish(&o, tr && tr->end_ns > a->end_ns ? tr->end_ns : a->end_ns);
	g = o.oom ? NULL : group_by_stack(&o, &ng);
	if (!g) {
		ss_offcpu_free(&o);
		ss_stacks_free(s);
		ss_err("out of memory");
		return SS_EXIT_INTERNAL;
	}
	if (op->folded)
		offcpu_folded(f, a, s, g, ng);
	else if (op->json)
		offcpu_json(f, a, s, &o, g, ng, op);
	else
		offcpu_text(f, a, s, &o, g, ng, op);
	free(g);
	ss_offcpu_free(&o);
	ss_stacks_free(s);
	return SS_OK;
}
