/* Trace file reader, the walk over the chunks: every length is checked
 * against what remains, chunk headers are checked (CRC and number in 2.0),
 * a bad chunk is skipped by scanning for the next intact one, and what was
 * dropped is counted. Event payloads are CRC-checked when read. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ss.h"
#include "trace_int.h"

int tr_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, off + got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static void *read_payload(struct ss_reader *r, const struct chunk_ref *c)
{
	void *p = malloc(c->size ? c->size : 1);

	if (!p)
		return NULL;
	if (tr_pread_all(r->fd, p, c->size, c->off) ||
	    crc32(0, p, c->size) != c->crc) {
		free(p);
		return NULL;
	}
	return p;
}

/* Is there a valid chunk header at off? Fills *c. A 2.0 header proves
 * itself by its CRC; a 1.x header only by being plausible. */
static int chunk_at(struct ss_reader *r, uint64_t off, struct chunk_ref *c)
{
	struct ss_chunk ch = { 0 };

	if (off + r->chunk_hdr > r->file_size ||
	    tr_pread_all(r->fd, &ch, r->chunk_hdr, off))
		return 0;
	if (ch.magic != SS_CHUNK_MAGIC || ch.size > SS_CHUNK_MAX ||
	    (ch.size & 7) || ch.type == 0)
		return 0;
	if (r->fh.major >= 2 &&
	    crc32(0, (void *)&ch, offsetof(struct ss_chunk, hcrc)) != ch.hcrc)
		return 0;
	c->off = off + r->chunk_hdr;
	c->seq = ch.seq;
	c->type = ch.type;
	c->size = ch.size;
	c->crc = ch.crc;
	return 1;
}

/* A chunk to go on from after damage: a valid header and, in 1.x where the
 * header has no CRC, a complete payload that matches its CRC. */
static int resync_ok(struct ss_reader *r, uint64_t off)
{
	struct chunk_ref c;
	void *p;

	if (!chunk_at(r, off, &c))
		return 0;
	if (r->fh.major >= 2)
		return 1;
	if (c.off + c.size > r->file_size)
		return 0;
	p = read_payload(r, &c);
	free(p);
	return p != NULL;
}

#define SCAN_BYTES (1u << 20)

/* After damage at off: the next 8-aligned offset holding a chunk to go on
 * from, found by scanning a buffer for the chunk magic. Returns the file
 * size if there is none (or no memory to look). */
static uint64_t resync(struct ss_reader *r, uint64_t off)
{
	static const uint32_t magic = SS_CHUNK_MAGIC;
	char *buf;

	off = (off + 8) & ~7ull;
	if (off + r->chunk_hdr > r->file_size)
		return r->file_size;
	buf = malloc(r->file_size - off < SCAN_BYTES ? r->file_size - off : SCAN_BYTES);
	while (buf && off + r->chunk_hdr <= r->file_size) {
		size_t len = r->file_size - off < SCAN_BYTES ?
			     r->file_size - off : SCAN_BYTES;
		char *p = buf, *end = buf + len;

		if (tr_pread_all(r->fd, buf, len, off))
			break;
		while ((p = memmem(p, end - p, &magic, sizeof(magic)))) {
			uint64_t at = off + (p - buf);

			if (!(at & 7) && resync_ok(r, at)) {
				free(buf);
				return at;
			}
			p++;
		}
		off += len;	/* a multiple of 8 unless it is the last */
	}
	free(buf);
	return r->file_size;
}

void tr_damage(struct ss_reader *r, uint64_t off, uint64_t bytes)
{
	if (!r->damaged || off < r->dmg.bad_offset)
		r->dmg.bad_offset = off;
	r->damaged = 1;
	r->dmg.bytes_dropped += bytes;
}

static int add_event_chunk(struct ss_reader *r, const struct chunk_ref *c)
{
	if ((r->nchunks & 63) == 0) {
		void *n = realloc(r->chunks, (r->nchunks + 64) * sizeof(*c));

		if (!n)
			return -1;
		r->chunks = n;
	}
	r->chunks[r->nchunks++] = *c;
	return 0;
}

static int load_tasks(struct ss_reader *r, const struct chunk_ref *c)
{
	void *p = read_payload(r, c);
	size_t n = c->size / sizeof(struct ss_task);

	if (!p)
		return -1;
	free(r->tasks);
	r->tasks = p;
	r->ntasks = n;
	for (size_t i = 0; i < n; i++)
		r->tasks[i].comm[SS_COMM_LEN - 1] = 0;
	return 0;
}

static int load_trailer(struct ss_reader *r, const struct chunk_ref *c)
{
	struct ss_trailer *t;

	if (c->size < sizeof(*t))
		return -1;
	t = read_payload(r, c);
	if (!t)
		return -1;
	if (t->ncpu > SS_FILE_MAX_CPUS ||
	    t->ncpu > (c->size - sizeof(*t)) / sizeof(uint64_t)) {
		free(t);
		return -1;
	}
	free(r->trailer);
	r->trailer = t;
	r->lost_per_cpu = (uint64_t *)(t + 1);
	return 0;
}

/* Returns 1 if read, 0 if the chunk is bad, -1 if its values cannot be
 * true (err says which). */
static int load_meta(struct ss_reader *r, const struct chunk_ref *c,
		     char *err, size_t errlen)
{
	struct ss_meta *m;

	if (c->size < sizeof(*m) || !(m = read_payload(r, c)))
		return 0;
	if (m->ncpu == 0 || m->ncpu > SS_FILE_MAX_CPUS) {
		snprintf(err, errlen,
			 "trace metadata is implausible: ncpu %u (1 to %u possible), "
			 "metadata chunk at offset %llu", m->ncpu, SS_FILE_MAX_CPUS,
			 (unsigned long long)(c->off - r->chunk_hdr));
		free(m);
		return -1;
	}
	r->meta = *m;
	free(m);
	r->meta.release[sizeof(r->meta.release) - 1] = 0;
	r->meta.sysname[sizeof(r->meta.sysname) - 1] = 0;
	r->meta.machine[sizeof(r->meta.machine) - 1] = 0;
	r->meta.hostname[sizeof(r->meta.hostname) - 1] = 0;
	r->meta.cmdline[sizeof(r->meta.cmdline) - 1] = 0;
	return 1;
}

/* 2.0: is this chunk the one that should come next? Counts the numbers
 * skipped (chunks removed) and drops chunks already read (duplicates). */
static int in_sequence(struct ss_reader *r, uint64_t off, const struct chunk_ref *c)
{
	if (r->fh.major < 2)
		return 1;
	if (c->seq < r->next_seq) {
		r->dmg.dup_chunks++;
		tr_damage(r, off, c->off + c->size - off);
		return 0;
	}
	if (c->seq > r->next_seq) {
		uint64_t gap = c->seq - r->next_seq;

		/* Chunks already rejected as bad are not missing twice. */
		if (gap > r->bad_since_good) {
			r->dmg.missing_chunks += gap - r->bad_since_good;
			tr_damage(r, off, 0);
		}
	}
	r->next_seq = c->seq + 1;
	r->bad_since_good = 0;
	return 1;
}

/* Walk the chunk headers once: check the fixed chunks, remember where the
 * event chunks are, note damage. Event payloads are CRC-checked when read. */
int tr_index(struct ss_reader *r, char *err, size_t errlen)
{
	uint64_t off = r->fh.header_size;
	struct chunk_ref c;
	int have_meta = 0, rc;

	while (off < r->file_size) {
		uint64_t next;

		if (off + r->chunk_hdr > r->file_size) {
			r->dmg.truncated = 1;
			tr_damage(r, off, r->file_size - off);
			break;
		}
		if (!chunk_at(r, off, &c) || c.off + c.size > r->file_size) {
			/* A bad header, or a size pushed past the end: go on
			 * from the next intact chunk if there is one. */
			next = resync(r, off);
			if (next == r->file_size && chunk_at(r, off, &c)) {
				r->dmg.truncated = 1;
			} else {
				r->dmg.bad_chunks++;
				r->bad_since_good++;
			}
			tr_damage(r, off, next - off);
			off = next;
			continue;
		}
		if (!in_sequence(r, off, &c)) {
			off = c.off + c.size;
			continue;
		}
		switch (c.type) {
		case SS_CHUNK_META:
			/* 1.x: exactly one. 2.0: the recorder writes one
			 * before loading probes, the final one after. */
			if (have_meta && r->fh.major < 2)
				goto bad;
			rc = load_meta(r, &c, err, errlen);
			if (rc < 0)
				return SS_EXIT_BADTRACE;
			if (!rc)
				goto bad;
			have_meta = 1;
			break;
		case SS_CHUNK_TASKS:
			if (load_tasks(r, &c))
				goto bad;
			break;
		case SS_CHUNK_TARGETS: {
			uint32_t *t = read_payload(r, &c);

			if (!t)
				goto bad;
			free(r->targets);
			r->targets = t;
			r->ntargets = c.size / sizeof(*t);
			break;
		}
		case SS_CHUNK_EVENTS:
		case SS_CHUNK_ZEVENTS:	/* 2.1; checked when read */
			if (add_event_chunk(r, &c)) {
				snprintf(err, errlen, "out of memory");
				return SS_EXIT_INTERNAL;
			}
			break;
		case SS_CHUNK_TRAILER:
			if (load_trailer(r, &c))
				goto bad;
			break;
		default:
			break;	/* a newer minor version's chunk: skip it */
		}
		off = c.off + c.size;
		continue;
bad:
		r->dmg.bad_chunks++;
		tr_damage(r, off, c.off + c.size - off);
		off = c.off + c.size;
	}
	if (!have_meta && (r->dmg.truncated || r->file_size == r->fh.header_size)) {
		snprintf(err, errlen,
			 "trace header is missing or corrupt: the file is cut short at "
			 "byte %llu, before its metadata was complete (recorder killed "
			 "while starting?)", (unsigned long long)r->file_size);
		return SS_EXIT_BADTRACE;
	}
	if (!have_meta) {
		snprintf(err, errlen,
			 "trace header is missing or corrupt (no intact metadata chunk)");
		return SS_EXIT_BADTRACE;
	}
	if (!r->trailer)
		r->dmg.no_trailer = 1;
	return SS_OK;
}
