#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "sink.h"
#include "ss.h"

/* Records older than the newest by this much are final: no record can
 * still arrive before them. Inversions come from CPUs racing for the BPF
 * ring buffer, from a probe preempted between its clock read and its
 * commit, and from the module's per-CPU buffers drained one after the
 * other every 10 ms. */
#define REORDER_NS	(50ull * 1000000)
/* Records per chunk (compressed whole by the writer). Larger chunks did not
 * compress better: on the 200,000-switch futex ping-pong at zstd level 3,
 * 256 KiB, 1 MiB and 4 MiB chunks made files of 926, 940 and 1035 KB. */
#define CHUNK_BYTES	(256u << 10)
/* A chunk is written at least this often, so a killed recorder loses
 * little. */
#define CHUNK_MAX_AGE_NS (500ull * 1000000)
#define MAX_RUNS	256
/* A run covers at least this much time, so that the runs to merge stay few
 * however often the reader is woken. */
#define RUN_MIN_NS	(5ull * 1000000)

struct pend {
	uint64_t ts;
	uint64_t seq;	/* arrival order breaks ties: stable */
	size_t off;	/* into the run's buffer */
};

/* The records of one flush interval, sorted, consumed from the front: the
 * sink merges runs instead of re-sorting what it holds. */
struct run {
	char *buf;
	size_t len, cap;
	struct pend *idx;
	size_t n, cap_idx, pos;
};

struct ss_sink {
	struct ss_writer *w;
	struct run in[SS_SINK_LANES];	/* filling, one per source */
	struct run *runs[MAX_RUNS];	/* sorted, waiting to be merged out */
	size_t nruns;
	uint64_t seq;
	uint64_t newest;
	uint64_t in_first[SS_SINK_LANES]; /* ts of the first record of each */
	char *chunk;
	size_t clen;
	uint64_t chunk_born;
	unsigned int ncpu;
	uint64_t *lost_cpu;
	uint64_t count[SS_EV_MAX];
	uint64_t records;
	uint64_t lost;
	uint64_t lost_write;
	struct ss_idmap *cpu_of;	/* tid -> CPU it runs on, in emit order */
	uint64_t floor;			/* ss_sink_floor() */
	int oom;
	void (*tap)(void *ctx, const struct ss_hdr *h);	/* ss_sink_tap() */
	void *tap_ctx;
};

struct ss_sink *ss_sink_new(struct ss_writer *w, unsigned int ncpu)
{
	struct ss_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->w = w;
	s->ncpu = ncpu;
	s->floor = UINT64_MAX;
	s->chunk = malloc(CHUNK_BYTES);
	s->lost_cpu = calloc(ncpu, sizeof(uint64_t));
	s->cpu_of = ss_idmap_new();
	if (!s->chunk || !s->lost_cpu || !s->cpu_of) {
		ss_idmap_free(s->cpu_of);
		free(s->chunk);
		free(s->lost_cpu);
		free(s);
		return NULL;
	}
	return s;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t nc = *cap ? *cap : 4096;
	void *n;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	n = realloc(*p, nc * elem);
	if (!n)
		return -1;
	*p = n;
	*cap = nc;
	return 0;
}

void ss_sink_add(struct ss_sink *s, const struct ss_hdr *rec)
{
	ss_sink_add_lane(s, 0, rec);
}

void ss_sink_add_lane(struct ss_sink *s, unsigned int lane, const struct ss_hdr *rec)
{
	struct run *r = &s->in[lane % SS_SINK_LANES];
	size_t sz = rec->size;

	if (sz < sizeof(*rec) || (sz & 7))
		return;
	if (grow((void **)&r->buf, &r->cap, r->len + sz, 1) ||
	    grow((void **)&r->idx, &r->cap_idx, r->n + 1, sizeof(*r->idx))) {
		/* Cannot keep it: a loss like any other, and said so. */
		s->lost++;
		s->lost_write++;
		s->oom = 1;
		return;
	}
	if (!r->n)
		s->in_first[lane % SS_SINK_LANES] = rec->ts;
	memcpy(r->buf + r->len, rec, sz);
	r->idx[r->n++] = (struct pend){ rec->ts, s->seq++, r->len };
	r->len += sz;
	if (rec->ts > s->newest)
		s->newest = rec->ts;
}

void ss_sink_add_lost(struct ss_sink *s, const struct ss_lost *l)
{
	if (l->hdr.cpu < s->ncpu)
		s->lost_cpu[l->hdr.cpu] += l->count;
	s->lost += l->count;
	ss_sink_add(s, &l->hdr);
}

void ss_sink_lost(struct ss_sink *s, unsigned int cpu, uint64_t count,
		  uint64_t ts, uint32_t source)
{
	struct ss_lost l = {
		.hdr = { SS_EV_LOST, sizeof(l), cpu, ts },
		.count = count,
		.source = source,
	};

	ss_sink_add_lost(s, &l);
}

void ss_sink_cpu_hint(struct ss_sink *s, uint32_t tid, uint32_t cpu)
{
	if (ss_idmap_get(s->cpu_of, tid) < 0 && cpu < s->ncpu)
		ss_idmap_put(s->cpu_of, tid, cpu);
}

/* Records from user space do not know their CPU: the thread's, as the
 * switches written before them say. Every such record has its tid at
 * offset 16 (the coroutine records), or is a ring's loss record. */
static void fix_cpu(struct ss_sink *s, struct ss_hdr *h)
{
	uint32_t tid;
	int64_t cpu;

	if (h->type == SS_EV_SWITCH) {
		const struct ss_switch *sw = (const void *)h;

		if (sw->next_tid && h->cpu < s->ncpu)
			ss_idmap_put(s->cpu_of, sw->next_tid, h->cpu);
		return;
	}
	if (h->cpu != SS_CPU_UNKNOWN)
		return;
	if (h->type == SS_EV_LOST)
		tid = ((const struct ss_lost *)h)->tid;
	else
		memcpy(&tid, (const char *)h + sizeof(*h), sizeof(tid));
	cpu = ss_idmap_get(s->cpu_of, tid);
	/* a thread never switched in while traced: CPU 0 rather than an
	 * index no reader can use; the loss accounting stays in the total */
	h->cpu = cpu < 0 ? 0 : (uint32_t)cpu;
}

static int before(const struct pend *x, const struct pend *y)
{
	return x->ts < y->ts || (x->ts == y->ts && x->seq < y->seq);
}

static int pend_cmp(const void *a, const void *b)
{
	return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

static void write_chunk(struct ss_sink *s)
{
	if (!s->clen)
		return;
	if (ss_writer_chunk(s->w, SS_CHUNK_EVENTS, s->chunk, s->clen)) {
		/* Disk full or similar: these records never reach the file. */
		const char *p = s->chunk, *end = s->chunk + s->clen;

		for (; p < end; p += ((const struct ss_hdr *)p)->size) {
			const struct ss_hdr *h = (const void *)p;

			if (h->type < SS_EV_MAX && s->count[h->type])
				s->count[h->type]--;
			s->records--;
			s->lost++;
			s->lost_write++;
		}
	}
	s->clen = 0;
}

static void emit(struct ss_sink *s, const struct ss_hdr *h)
{
	if (s->tap) {
		/* the chunk buffer as scratch: the CPU is fixed in a copy */
		memcpy(s->chunk, h, h->size);
		fix_cpu(s, (struct ss_hdr *)s->chunk);
		s->tap(s->tap_ctx, (const struct ss_hdr *)s->chunk);
		s->records++;
		if (h->type < SS_EV_MAX)
			s->count[h->type]++;
		return;
	}
	if (s->clen + h->size > CHUNK_BYTES)
		write_chunk(s);
	if (!s->clen)
		s->chunk_born = h->ts;
	memcpy(s->chunk + s->clen, h, h->size);
	fix_cpu(s, (struct ss_hdr *)(s->chunk + s->clen));
	s->clen += h->size;
	s->records++;
	if (h->type < SS_EV_MAX)
		s->count[h->type]++;
}

static void free_run(struct run *r)
{
	free(r->buf);
	free(r->idx);
	free(r);
}

/* Close a lane's filling run: sort it (each source delivers nearly in
 * order, so the check usually spares the sort) and queue it for merging. */
static void seal_lane(struct ss_sink *s, int all, unsigned int lane)
{
	struct run *r;
	size_t i;

	if (!s->in[lane].n || s->nruns == MAX_RUNS ||
	    (!all && s->newest - s->in_first[lane] < RUN_MIN_NS))
		return;
	r = malloc(sizeof(*r));
	if (!r) {
		s->oom = 1;
		return;
	}
	*r = s->in[lane];
	memset(&s->in[lane], 0, sizeof(s->in[lane]));
	for (i = 1; i < r->n && !before(&r->idx[i], &r->idx[i - 1]); i++)
		;
	if (i < r->n)
		qsort(r->idx, r->n, sizeof(*r->idx), pend_cmp);
	s->runs[s->nruns++] = r;
}

static int seal(struct ss_sink *s, int all)
{
	int left = 0;

	for (unsigned int l = 0; l < SS_SINK_LANES; l++) {
		seal_lane(s, all, l);
		left |= s->in[l].n != 0;
	}
	return left;
}

/* Write out, in time order, what the runs hold up to horizon. */
static void merge_out(struct ss_sink *s, int all, uint64_t horizon)
{
	for (;;) {
		struct run *best = NULL;
		size_t bi = 0;

		for (size_t i = 0; i < s->nruns; i++) {
			struct run *r = s->runs[i];

			if (!best || before(&r->idx[r->pos], &best->idx[best->pos])) {
				best = r;
				bi = i;
			}
		}
		if (!best || (!all && best->idx[best->pos].ts > horizon))
			break;
		emit(s, (const void *)(best->buf + best->idx[best->pos].off));
		if (++best->pos == best->n) {
			free_run(best);
			s->runs[bi] = s->runs[--s->nruns];
		}
	}
}

void ss_sink_tap(struct ss_sink *s, void (*fn)(void *ctx, const struct ss_hdr *h),
		 void *ctx)
{
	s->tap = fn;
	s->tap_ctx = ctx;
}

void ss_sink_floor(struct ss_sink *s, uint64_t ts)
{
	s->floor = ts;
}

void ss_sink_flush(struct ss_sink *s, int all)
{
	uint64_t last = s->newest < s->floor ? s->newest : s->floor;
	uint64_t horizon = last > REORDER_NS ? last - REORDER_NS : 0;

	int left;

	do {
		left = seal(s, all);
		merge_out(s, all, horizon);
	} while (all && left && !s->oom);
	if (all || (s->clen && s->newest - s->chunk_born > CHUNK_MAX_AGE_NS))
		write_chunk(s);
}

int ss_sink_error(const struct ss_sink *s)
{
	return ss_writer_error(s->w) ? ss_writer_error(s->w) : s->oom ? ENOMEM : 0;
}

int ss_sink_close(struct ss_sink *s, uint64_t end_ns, uint64_t *records,
		  uint64_t *lost, uint64_t count[SS_EV_MAX], uint64_t *bytes)
{
	struct ss_trailer t = { .end_ns = end_ns, .ncpu = s->ncpu };
	int err, werr;

	ss_sink_flush(s, 1);
	t.records = s->records;
	t.lost = s->lost;
	t.lost_write = s->lost_write;
	memcpy(t.count, s->count, sizeof(t.count));
	werr = ss_writer_error(s->w);
	*bytes = ss_writer_bytes(s->w);
	err = ss_writer_close(s->w, &t, s->lost_cpu);
	if (!err)
		*bytes += sizeof(struct ss_chunk) + sizeof(t) + s->ncpu * 8;
	*records = s->records;
	*lost = s->lost;
	memcpy(count, s->count, sizeof(s->count));
	for (unsigned int l = 0; l < SS_SINK_LANES; l++) {
		free(s->in[l].buf);
		free(s->in[l].idx);
	}
	for (size_t i = 0; i < s->nruns; i++)
		free_run(s->runs[i]);
	free(s->chunk);
	free(s->lost_cpu);
	ss_idmap_free(s->cpu_of);
	free(s);
	return werr ? -werr : err;
}
