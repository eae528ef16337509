#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"
#include "ss.h"

/* Records older than the newest by this much are final: no record can
 * still arrive before them (the reader is drained every 10 ms). */
#define REORDER_NS	(50ull * 1000000)
#define CHUNK_BYTES	(256u << 10)
/* A chunk is written at least this often, so a killed recorder loses
 * little. */
#define CHUNK_MAX_AGE_NS (500ull * 1000000)

struct pend {
	uint64_t ts;
	uint64_t seq;	/* arrival order breaks ties: stable */
	size_t off;	/* into arena */
};

struct ss_sink {
	struct ss_writer *w;
	char *arena;
	size_t alen, acap;
	struct pend *idx;
	size_t n, cap;
	uint64_t seq;
	uint64_t newest;
	char *chunk;
	size_t clen;
	uint64_t chunk_born;
	unsigned int ncpu;
	uint64_t *lost_cpu;
	uint64_t count[SS_EV_MAX];
	uint64_t records;
	uint64_t lost;
	uint64_t lost_write;
	int oom;
};

struct ss_sink *ss_sink_new(struct ss_writer *w, unsigned int ncpu)
{
	struct ss_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->w = w;
	s->ncpu = ncpu;
	s->chunk = malloc(CHUNK_BYTES);
	s->lost_cpu = calloc(ncpu, sizeof(uint64_t));
	if (!s->chunk || !s->lost_cpu) {
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
	size_t sz = rec->size;

	if (sz < sizeof(*rec) || (sz & 7))
		return;
	if (grow((void **)&s->arena, &s->acap, s->alen + sz, 1) ||
	    grow((void **)&s->idx, &s->cap, s->n + 1, sizeof(*s->idx))) {
		/* Cannot keep it: a loss like any other, and said so. */
		s->lost++;
		s->lost_write++;
		s->oom = 1;
		return;
	}
	memcpy(s->arena + s->alen, rec, sz);
	s->idx[s->n++] = (struct pend){ rec->ts, s->seq++, s->alen };
	s->alen += sz;
	if (rec->ts > s->newest)
		s->newest = rec->ts;
}

void ss_sink_lost(struct ss_sink *s, unsigned int cpu, uint64_t count,
		  uint64_t ts, uint32_t source)
{
	struct ss_lost l = {
		.hdr = { SS_EV_LOST, sizeof(l), cpu, ts },
		.count = count,
		.source = source,
	};

	if (cpu < s->ncpu)
		s->lost_cpu[cpu] += count;
	s->lost += count;
	ss_sink_add(s, &l.hdr);
}

static int pend_cmp(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int off_cmp(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
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
	if (s->clen + h->size > CHUNK_BYTES)
		write_chunk(s);
	if (!s->clen)
		s->chunk_born = h->ts;
	memcpy(s->chunk + s->clen, h, h->size);
	s->clen += h->size;
	s->records++;
	if (h->type < SS_EV_MAX)
		s->count[h->type]++;
}

void ss_sink_flush(struct ss_sink *s, int all)
{
	uint64_t horizon = s->newest > REORDER_NS ? s->newest - REORDER_NS : 0;
	size_t i, keep = 0, klen = 0;

	if (s->n)
		qsort(s->idx, s->n, sizeof(*s->idx), pend_cmp);
	for (i = 0; i < s->n; i++) {
		if (!all && s->idx[i].ts > horizon)
			break;
		emit(s, (const void *)(s->arena + s->idx[i].off));
	}
	/* Compact what stays, in arena order so that no record is moved
	 * over one not moved yet; the next flush sorts by time again. */
	keep = s->n - i;
	memmove(s->idx, s->idx + i, keep * sizeof(*s->idx));
	qsort(s->idx, keep, sizeof(*s->idx), off_cmp);
	for (i = 0; i < keep; i++) {
		const struct ss_hdr *h = (const void *)(s->arena + s->idx[i].off);
		size_t sz = h->size;

		memmove(s->arena + klen, h, sz);
		s->idx[i].off = klen;
		klen += sz;
	}
	s->n = keep;
	s->alen = klen;
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
	free(s->arena);
	free(s->idx);
	free(s->chunk);
	free(s->lost_cpu);
	free(s);
	return werr ? -werr : err;
}
