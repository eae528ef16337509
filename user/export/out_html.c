/* The HTML viewer: one self-contained file. The viewer's CSS and JavaScript
 * (web/, embedded at build time) come with the data: slices and marks as
 * fixed-size binary records in base64, streamed as the engine hands them
 * out, then a JSON block with what is only known at the end (names,
 * totals). Nothing is loaded from anywhere else.
 *
 * A record, 32 bytes little-endian (web/data.js reads it):
 *   u8 kind (enum xkind), u8 flags, u16 cpu, u32 thread index,
 *   f64 t0, f64 t1 (ns after the recording start), u32 a, u32 b
 * XK_WAIT: a = waker's thread index + 1 (0: irq/idle or unknown).
 * XK_CORO: a = coroutine id (low 32 bits), b = cost of the switch, ns.
 * XK_MARK: flags = enum xmark_kind, t1 = mark argument a, a/b = argument b
 * (low/high 32 bits); thread index ~0 for lost records.
 *
 * A trace with stacks adds to the JSON block "stacks" (each stack once:
 * kernel or user, its frames innermost first, named) and "stack_refs",
 * six integers per slice or coroutine park that has stacks: record index,
 * switch-out kernel and user stack, the waker's kernel and user stack
 * (indexes into "stacks", -1: none), the waker's thread index + 1 (0: none
 * or irq/idle). web/stacks.js shows them. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "model.h"
#include "ss.h"
#include "stacks.h"
#include "web_assets.h"

#define REC_SIZE	32
#define BATCH_RECS	3072	/* a multiple of 3: base64 without padding */

struct html_sink {
	struct xsink s;
	struct xmodel *m;
	uint8_t *buf;		/* BATCH_RECS records */
	size_t n;
	char *b64;
	struct xthread **threads;	/* by index */
	size_t nthreads, cap;
	uint64_t nrec;
	int nomem;
	/* stacks: each (tgid, id) once, and the records that name them */
	struct { uint32_t tgid; uint64_t id; } *stk;
	size_t nstk, capstk;
	struct ss_idmap *stk_map;
	int64_t *refs;		/* 6 per record with stacks */
	size_t nrefs, caprefs;
};

static void base64(FILE *f, char *out, const uint8_t *in, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < len) {
		uint32_t v = in[i] << 16 | (i + 1 < len ? in[i + 1] << 8 : 0);

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	fwrite(out, 1, o, f);
}

static void flush(struct html_sink *h)
{
	base64(h->s.out, h->b64, h->buf, h->n * REC_SIZE);
	h->n = 0;
}

static uint32_t idx_of(struct html_sink *h, struct xthread *t)
{
	if (!t)
		return UINT32_MAX;
	if (t->out_idx < 0) {
		if (h->nthreads == h->cap) {
			size_t cap = h->cap ? h->cap * 2 : 256;
			struct xthread **n = realloc(h->threads, cap * sizeof(*n));

			if (!n) {
				h->nomem = 1;
				return UINT32_MAX;
			}
			h->threads = n;
			h->cap = cap;
		}
		t->out_idx = h->nthreads;
		h->threads[h->nthreads++] = t;
	}
	return t->out_idx;
}

static uint64_t stack_key(uint32_t tgid, uint64_t id)
{
	return id ^ ((uint64_t)tgid * 0x9e3779b97f4a7c15ull);
}

/* Index of stack (tgid, id) in the output's list; -1 none. */
static int64_t stack_idx(struct html_sink *h, uint32_t tgid, uint64_t id)
{
	int64_t i;

	if (!id || !h->m->stacks)
		return -1;
	if (!h->stk_map && !(h->stk_map = ss_idmap_new())) {
		h->nomem = 1;
		return -1;
	}
	i = ss_idmap_get(h->stk_map, stack_key(tgid, id));
	if (i >= 0 && h->stk[i].tgid == tgid && h->stk[i].id == id)
		return i;
	if (h->nstk == h->capstk) {
		size_t cap = h->capstk ? h->capstk * 2 : 64;
		void *n = realloc(h->stk, cap * sizeof(*h->stk));

		if (!n) {
			h->nomem = 1;
			return -1;
		}
		h->stk = n;
		h->capstk = cap;
	}
	h->stk[h->nstk].tgid = tgid;
	h->stk[h->nstk].id = id;
	/* a key taken by another stack (a hash collision) keeps its entry:
	 * this one is then listed again for each use, which costs bytes only */
	if (i < 0 && ss_idmap_put(h->stk_map, stack_key(tgid, id), h->nstk))
		h->nomem = 1;
	return h->nstk++;
}

static void add_refs(struct html_sink *h, uint32_t tgid, const struct xstacks *k, uint64_t u_only)
{
	int64_t *r;

	if (!k->k && !k->u && !k->wk && !k->wu && !u_only)
		return;
	if (h->nrefs + 6 > h->caprefs) {
		size_t cap = h->caprefs ? h->caprefs * 2 : 1536;
		int64_t *n = realloc(h->refs, cap * sizeof(*n));

		if (!n) {
			h->nomem = 1;
			return;
		}
		h->refs = n;
		h->caprefs = cap;
	}
	r = h->refs + h->nrefs;
	r[0] = h->nrec;
	r[1] = stack_idx(h, 0, k->k);
	r[2] = stack_idx(h, tgid, u_only ? u_only : k->u);
	r[3] = stack_idx(h, 0, k->wk);
	r[4] = stack_idx(h, k->wtgid, k->wu);
	r[5] = k->waker ? idx_of(h, k->waker) + 1 : 0;
	h->nrefs += 6;
}

static void put(struct html_sink *h, uint8_t kind, uint8_t flags, uint16_t cpu,
		uint32_t idx, double t0, double t1, uint32_t a, uint32_t b)
{
	uint8_t *r = h->buf + h->n * REC_SIZE;

	r[0] = kind;
	r[1] = flags;
	memcpy(r + 2, &cpu, 2);
	memcpy(r + 4, &idx, 4);
	memcpy(r + 8, &t0, 8);
	memcpy(r + 16, &t1, 8);
	memcpy(r + 24, &a, 4);
	memcpy(r + 28, &b, 4);
	h->nrec++;
	if (++h->n == BATCH_RECS)
		flush(h);
}

static void html_slice(struct xsink *s, const struct xslice *sl)
{
	struct html_sink *h = (struct html_sink *)s;
	uint32_t a = 0, b = 0;

	if (sl->kind == XK_WAIT && sl->waker)
		a = idx_of(h, sl->waker) + 1;
	else if (sl->kind == XK_CORO) {
		a = (uint32_t)sl->coro;
		b = sl->coro_dur > UINT32_MAX ? UINT32_MAX : sl->coro_dur;
	}
	if (h->m->stacks && (sl->kind == XK_WAIT || sl->kind == XK_SLEEP))
		add_refs(h, sl->t->tgid, &sl->stk, 0);
	put(h, sl->kind, sl->flags, sl->cpu, idx_of(h, sl->t), sl->t0, sl->t1, a, b);
}

static void html_mark(struct xsink *s, const struct xmark *mk)
{
	struct html_sink *h = (struct html_sink *)s;

	if (mk->ustack && mk->t) {
		static const struct xstacks none;

		add_refs(h, mk->t->tgid, &none, mk->ustack);
	}
	put(h, XK_MARK, mk->kind, mk->cpu, idx_of(h, mk->t), mk->ts, mk->a,
	    (uint32_t)mk->b, mk->b >> 32);
}

static void asset(FILE *f, const char *const *parts)
{
	for (; *parts; parts++)
		fputs(*parts, f);
}

/* Text as HTML: escape what could start markup. */
void xs_html_text(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		char c = s[i];

		if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c == '&')
			fputs("&amp;", f);
		else
			putc(c, f);
	}
}

void xs_web_css(FILE *f)
{
	asset(f, ss_web_css);
}

void xs_web_js(FILE *f)
{
	asset(f, ss_web_js);
}

static int html_begin(struct xsink *s, struct xmodel *m)
{
	struct html_sink *h = (struct html_sink *)s;
	const char *title = m->opts->title ? m->opts->title : m->meta->cmdline;
	FILE *f = s->out;

	h->m = m;
	h->buf = malloc(BATCH_RECS * REC_SIZE);
	h->b64 = malloc(BATCH_RECS * REC_SIZE / 3 * 4 + 8);
	if (!h->buf || !h->b64)
		return -1;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"generator\" content=\"switchscope export\">\n<title>", f);
	fputs("switchscope: ", f);
	xs_html_text(f, title, sizeof(m->meta->cmdline));
	fputs("</title>\n<style>\n", f);
	asset(f, ss_web_css);
	fputs("</style>\n</head><body>\n"
	      "<script type=\"application/octet-stream\" id=\"ss-data\">", f);
	return 0;
}

static void kv_str(FILE *f, const char *key, const char *v, size_t n)
{
	fprintf(f, "\"%s\":", key);
	xs_json_str(f, v, n);
	putc(',', f);
}

void xs_stack_json(FILE *f, struct ss_stacks *st, uint32_t tgid, uint64_t id)
{
	struct ss_frame fr[SS_STACK_MAX_DEPTH + 1];
	struct ss_stack_info in;
	char name[256];
	int n;

	if (ss_stacks_info(st, tgid, id, &in) ||
	    (n = ss_stacks_frames(st, tgid, id, fr, SS_STACK_MAX_DEPTH + 1)) < 0) {
		fprintf(f, "{\"k\":%d,\"missing\":1,\"f\":[],\"g\":[]}", !tgid);
		return;
	}
	if (n > SS_STACK_MAX_DEPTH + 1)
		n = SS_STACK_MAX_DEPTH + 1;
	fprintf(f, "{\"k\":%d,\"one\":%d,\"failed\":%d,\"cut\":%d,\"f\":[",
		!!(in.flags & SS_STACK_KERNEL) || !tgid, ss_stacks_one_frame(st, tgid, id),
		!!(in.flags & SS_STACK_FAILED), !!(in.flags & SS_STACK_TRUNCATED));
	for (int i = 0; i < n; i++) {
		fputs(i ? "," : "", f);
		xs_json_str(f, ss_frame_name(&fr[i], name, sizeof(name)), sizeof(name));
	}
	fputs("],\"g\":[", f);
	for (int i = 0; i < n; i++) {
		fputs(i ? "," : "", f);
		xs_json_str(f, ss_frame_func(&fr[i], name, sizeof(name)), sizeof(name));
	}
	fputs("]}", f);
}

static void stacks_json(struct html_sink *h, struct xmodel *m)
{
	FILE *f = h->s.out;

	fputs(",\"stacks\":[", f);
	for (size_t i = 0; i < h->nstk; i++) {
		fputs(i ? ",\n" : "", f);
		xs_stack_json(f, m->stacks, h->stk[i].tgid, h->stk[i].id);
	}
	fputs("],\"stack_refs\":[", f);
	for (size_t i = 0; i < h->nrefs; i++)
		fprintf(f, "%s%lld", i ? "," : "", (long long)h->refs[i]);
	fputs("]", f);
}

/* What the reader could not read, for the viewer to say (nothing when the
 * trace is whole). */
static void damage_json(FILE *f, const struct ss_damage *d)
{
	if (!d || !(d->bad_chunks || d->bad_records || d->truncated || d->missing_chunks ||
		    d->dup_chunks || d->count_mismatch || d->no_trailer))
		return;
	fprintf(f, "\"damage\":{\"offset\":%" PRIu64 ",\"bytes_dropped\":%" PRIu64
		",\"bad_chunks\":%u,\"bad_records\":%u,\"missing_chunks\":%" PRIu64
		",\"duplicate_chunks\":%u,\"cut_short\":%s,\"no_trailer\":%s,"
		"\"records_expected\":%" PRIu64 "},",
		d->bad_offset, d->bytes_dropped, d->bad_chunks, d->bad_records,
		d->missing_chunks, d->dup_chunks, d->truncated ? "true" : "false",
		d->no_trailer ? "true" : "false", d->count_mismatch ? d->records_expected : 0);
}

void xs_meta_json(FILE *f, struct xmodel *m, struct xthread *const *threads,
		  size_t nthreads, uint64_t items)
{
	const struct ss_meta *me = m->meta;
	int first = 1;

	fputs("{\"version\":1,", f);
	kv_str(f, "command", me->cmdline, sizeof(me->cmdline));
	kv_str(f, "title", m->opts->title ? m->opts->title : me->cmdline, 256);
	kv_str(f, "kernel", me->release, sizeof(me->release));
	kv_str(f, "host", me->hostname, sizeof(me->hostname));
	kv_str(f, "machine", me->machine, sizeof(me->machine));
	fprintf(f, "\"start_ns\":%" PRIu64 ",\"start_realtime_ns\":%" PRIu64
		",\"from\":%" PRIu64 ",\"end\":%" PRIu64 ",\"ncpu\":%u,"
		"\"system_wide\":%s,\"records\":%" PRIu64 ",\"items\":%" PRIu64
		",\"lost\":%" PRIu64 ",",
		(uint64_t)me->start_ns, (uint64_t)me->start_realtime_ns, m->from, m->end, m->ncpu,
		m->system_wide ? "true" : "false", m->records, items, m->lost);
	damage_json(f, m->damage);
	fprintf(f, "\"counts\":{\"switches\":%" PRIu64 ",\"preempted\":%" PRIu64
		",\"wakeups\":%" PRIu64 ",\"coro_switches\":%" PRIu64 ",\"records\":{",
		m->switches, m->preempt, m->wakeups, m->coro_switches);
	for (unsigned int i = 0; i < SS_EV_MAX; i++) {
		if (!m->count[i])
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", ss_type_name(i),
			m->count[i]);
		first = 0;
	}
	fputs("}},\"cpus\":[", f);
	first = 1;
	for (uint32_t c = 0; c < m->ncpu; c++) {
		if (!m->cpu_seen[c])
			continue;
		fprintf(f, "%s%u", first ? "" : ",", c);
		first = 0;
	}
	/* Threads by index: tid, tgid, name, process name, traced, kernel
	 * thread, coroutine lane, switches out, preempted, wakeups,
	 * coroutine switches. */
	fputs("],\"threads\":[", f);
	for (size_t i = 0; i < nthreads; i++) {
		struct xthread *t = threads[i];

		fprintf(f, "%s[%u,%u,", i ? ",\n" : "", t->tid, t->tgid);
		xs_json_str(f, t->comm, SS_COMM_LEN);
		putc(',', f);
		xs_json_str(f, xmodel_process_name(m, t), SS_COMM_LEN);
		fprintf(f, ",%d,%d,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]",
			xmodel_traced(m, t), t->kthread, t->has_coro, t->n_switch_out,
			t->n_preempt, t->n_wakeups, t->n_coro_switch);
	}
	fputs("]", f);
}

static int html_end(struct xsink *s, struct xmodel *m)
{
	struct html_sink *h = (struct html_sink *)s;
	FILE *f = s->out;

	if (h->n)
		flush(h);
	fputs("</script>\n<script type=\"application/json\" id=\"ss-meta\">", f);
	xs_meta_json(f, m, h->threads, h->nthreads, h->nrec);
	if (m->stacks)
		stacks_json(h, m);
	fputs("}</script>\n", f);
	fputs("<script>\n", f);
	asset(f, ss_web_js);
	fputs("</script>\n</body></html>\n", f);
	free(h->buf);
	free(h->b64);
	free(h->threads);
	free(h->stk);
	free(h->refs);
	ss_idmap_free(h->stk_map);
	if (h->nomem)
		return SS_EXIT_INTERNAL;
	return ferror(f) ? SS_EXIT_IO : SS_OK;
}

struct xsink *xsink_html(FILE *out)
{
	struct html_sink *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->s.begin = html_begin;
	h->s.slice = html_slice;
	h->s.mark = html_mark;
	h->s.end = html_end;
	h->s.out = out;
	return &h->s;
}

/* ---- the size of an export, before writing it ---- */

struct count_sink {
	struct xsink s;
	uint64_t threads;
};

static void count_thread(struct count_sink *c, struct xthread *t)
{
	if (t && t->out_idx < 0) {
		t->out_idx = c->threads++;
	}
}

/* (the model counts the items) */
static void count_slice(struct xsink *s, const struct xslice *sl)
{
	count_thread((struct count_sink *)s, sl->t);
	if (sl->kind == XK_WAIT)
		count_thread((struct count_sink *)s, sl->waker);
}

static void count_mark(struct xsink *s, const struct xmark *mk)
{
	count_thread((struct count_sink *)s, mk->t);
}

static int count_begin(struct xsink *s, struct xmodel *m)
{
	(void)s;
	(void)m;
	return 0;
}

static int count_end(struct xsink *s, struct xmodel *m)
{
	(void)s;
	(void)m;
	return SS_OK;
}

/* A thread's entry in the metadata is about this long (ids, two names,
 * counts); the rest of the page is the assets. */
#define THREAD_JSON	96
#define PAGE_FIXED	2048

int ss_export_html_size(struct ss_reader *r, const struct ss_export_opts *o,
			uint64_t *bytes)
{
	struct count_sink c = { .s = { .begin = count_begin, .slice = count_slice,
				       .mark = count_mark, .end = count_end } };
	uint64_t n = PAGE_FIXED;
	int code = xmodel_run(r, o, &c.s, NULL);

	ss_reader_rewind(r);
	for (const char *const *p = ss_web_css; *p; p++)
		n += strlen(*p);
	for (const char *const *p = ss_web_js; *p; p++)
		n += strlen(*p);
	/* records in base64: 4 characters per 3 bytes */
	*bytes = n + (c.s.items * REC_SIZE + 2) / 3 * 4 + c.threads * THREAD_JSON;
	return code == SS_EXIT_DAMAGED ? SS_OK : code;
}
