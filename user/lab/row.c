/* Rows of the lab's table: figures, trace counts, checks and verdicts. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "ss.h"

const char *const lab_kind_name[LAB_KINDS] = { "process", "thread", "coroutine" };
const char *const lab_kind_plural[LAB_KINDS] = { "processes", "threads", "coroutines" };
const char *const lab_verdict_name[] = { "confirmed", "refuted", "depends" };

void lab_sample(struct lab_samples *s, double v)
{
	if (s->n < LAB_MAX_SAMPLES && v >= 0)
		s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct lab_fig lab_fig_of(const struct lab_samples *s)
{
	struct lab_fig f = { 0 };
	double v[LAB_MAX_SAMPLES];

	if (!s->n)
		return f;
	memcpy(v, s->v, s->n * sizeof(v[0]));
	qsort(v, s->n, sizeof(v[0]), cmp_double);
	f.n = s->n;
	f.lo = v[0];
	f.hi = v[s->n - 1];
	f.v = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
	return f;
}

struct lab_fig lab_fig_one(double v)
{
	struct lab_samples s = { .n = 0 };

	lab_sample(&s, v);
	return lab_fig_of(&s);
}

double lab_ratio(const struct lab_fig *a, const struct lab_fig *b)
{
	return a->n && b->n && b->v > 0 ? a->v / b->v : 0;
}

int lab_clearly_above(const struct lab_fig *a, const struct lab_fig *b)
{
	if (!a->n || !b->n)
		return 0;
	if (a->n == 1 || b->n == 1)
		return a->v > 1.1 * b->v;
	return a->v > b->v && a->lo > b->v;
}

struct lab_row *lab_row_new(struct lab *L, const char *id, const char *claim,
			    const char *measure)
{
	struct lab_row *r = &L->row[L->nrows++];

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->claim = claim;
	r->measure = measure;
	r->verdict = LAB_DEPENDS;
	if (!L->trace_ok)
		lab_missing(r, "%s", L->trace_why);
	return r;
}

struct lab_line *lab_line(struct lab_row *r, const char *label, enum lab_unit unit)
{
	struct lab_line *l = &r->line[r->nlines < LAB_MAX_LINES ? r->nlines++ : LAB_MAX_LINES - 1];

	memset(l, 0, sizeof(*l));
	snprintf(l->label, sizeof(l->label), "%s", label);
	l->unit = unit;
	return l;
}

void lab_count(struct lab_row *r, const char *key, double v)
{
	struct lab_count *c = NULL;

	for (int i = 0; i < r->ncounts; i++)
		if (!strcmp(r->count[i].key, key))
			c = &r->count[i];
	if (!c) {
		if (r->ncounts == LAB_MAX_COUNTS)
			return;
		c = &r->count[r->ncounts++];
		snprintf(c->key, sizeof(c->key), "%s", key);
	}
	c->v = isfinite(v) ? v : 0;
}

void lab_check(struct lab_row *r, int ok, const char *what, const char *fmt, ...)
{
	struct lab_check *c;
	va_list ap;

	if (r->nchecks == LAB_MAX_CHECKS)
		return;
	c = &r->check[r->nchecks++];
	c->ok = ok;
	snprintf(c->what, sizeof(c->what), "%s", what);
	va_start(ap, fmt);
	vsnprintf(c->got, sizeof(c->got), fmt, ap);
	va_end(ap);
}

void lab_reason(struct lab_row *r, int verdict, const char *fmt, ...)
{
	va_list ap;

	r->verdict = verdict;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

void lab_evidence_text(struct lab_row *r, const char *fmt, ...)
{
	size_t off = strlen(r->evidence);
	va_list ap;

	if (off && off < sizeof(r->evidence) - 2) {
		r->evidence[off++] = ';';
		r->evidence[off++] = ' ';
		r->evidence[off] = 0;
	}
	va_start(ap, fmt);
	vsnprintf(r->evidence + off, sizeof(r->evidence) - off, fmt, ap);
	va_end(ap);
}

void lab_missing(struct lab_row *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->missing, sizeof(r->missing), fmt, ap);
	va_end(ap);
}

void lab_progress(struct lab *L, const char *fmt, ...)
{
	va_list ap;

	if (!L->log)
		return;
	fprintf(L->log, "[%5.1fs] ", (double)(ss_now_ns() - L->t0) / 1e9);
	va_start(ap, fmt);
	vfprintf(L->log, fmt, ap);
	va_end(ap);
	fputc('\n', L->log);
	fflush(L->log);
}

const char *lab_fmt_ns(char *buf, size_t len, double ns)
{
	if (ns <= 0)
		snprintf(buf, len, "-");
	else if (ns < 100)
		snprintf(buf, len, "%.1f ns", ns);
	else
		ss_fmt_dur(buf, len, (uint64_t)(ns + 0.5));
	return buf;
}

const char *lab_fmt_bytes(char *buf, size_t len, double b)
{
	if (b < 1024)
		snprintf(buf, len, "%.0f B", b);
	else if (b < 1024 * 1024)
		snprintf(buf, len, b < 10 * 1024 ? "%.1f KiB" : "%.0f KiB", b / 1024);
	else if (b < 1024.0 * 1024 * 1024)
		snprintf(buf, len, b < 10 * 1048576.0 ? "%.1f MiB" : "%.0f MiB", b / 1048576);
	else
		snprintf(buf, len, "%.1f GiB", b / 1073741824.0);
	return buf;
}
