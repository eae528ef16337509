/* Trace file reader. Trusts nothing in the file: every length is checked
 * against what remains, chunks are CRC-checked, a bad chunk is skipped by
 * scanning for the next intact one, and what was dropped is counted. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ss.h"
#include "trace.h"

struct chunk_ref {
	uint64_t off;		/* of the payload */
	uint64_t seq;		/* chunk number (format 2.0; 0 in 1.x) */
	uint32_t type;
	uint32_t size;
	uint32_t crc;
};

struct ss_reader {
	int fd;
	int own_fd;
	uint64_t file_size;
	uint32_t chunk_hdr;		/* bytes of a chunk header: 16 (1.x) or 32 */
	struct ss_file_header fh;
	struct ss_meta meta;
	struct ss_task *tasks;
	size_t ntasks;
	uint32_t *targets;
	size_t ntargets;
	struct ss_trailer *trailer;	/* NULL if absent */
	uint64_t *lost_per_cpu;
	struct chunk_ref *chunks;	/* event chunks only */
	size_t nchunks;
	struct ss_damage dmg;
	/* index */
	uint64_t next_seq;		/* number the next chunk should carry */
	uint32_t bad_since_good;	/* chunks rejected since the last good one */
	/* iteration */
	size_t next_chunk;
	char *buf;
	size_t buf_cap;
	size_t buf_len;
	size_t pos;
	uint64_t buf_off;		/* file offset of buf[0] */
	uint64_t nread;			/* records returned in the first pass */
	int counted;			/* damage of the records counted once */
	int damaged;			/* bad_offset is set */
};

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
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
	if (pread_all(r->fd, p, c->size, c->off) ||
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
	    pread_all(r->fd, &ch, r->chunk_hdr, off))
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

		if (pread_all(r->fd, buf, len, off))
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

static void damage(struct ss_reader *r, uint64_t off, uint64_t bytes)
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
		damage(r, off, c->off + c->size - off);
		return 0;
	}
	if (c->seq > r->next_seq) {
		uint64_t gap = c->seq - r->next_seq;

		/* Chunks already rejected as bad are not missing twice. */
		if (gap > r->bad_since_good) {
			r->dmg.missing_chunks += gap - r->bad_since_good;
			damage(r, off, 0);
		}
	}
	r->next_seq = c->seq + 1;
	r->bad_since_good = 0;
	return 1;
}

/* Walk the chunk headers once: check the fixed chunks, remember where the
 * event chunks are, note damage. Event payloads are CRC-checked when read. */
static int index_file(struct ss_reader *r, char *err, size_t errlen)
{
	uint64_t off = r->fh.header_size;
	struct chunk_ref c;
	int have_meta = 0, rc;

	while (off < r->file_size) {
		uint64_t next;

		if (off + r->chunk_hdr > r->file_size) {
			r->dmg.truncated = 1;
			damage(r, off, r->file_size - off);
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
			damage(r, off, next - off);
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
		damage(r, off, c.off + c.size - off);
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

struct ss_reader *ss_reader_fdopen(int fd, char *err, size_t errlen, int *code)
{
	struct ss_reader *r = calloc(1, sizeof(*r));
	struct stat st;

	*code = SS_EXIT_INTERNAL;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->fd = fd;
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "cannot stat: %s", strerror(errno));
		*code = SS_EXIT_IO;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s, not a trace file (traces are regular files)",
			 S_ISDIR(st.st_mode) ? "a directory" :
			 S_ISFIFO(st.st_mode) ? "a FIFO" :
			 S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" :
			 "a special file");
		*code = SS_EXIT_USAGE;
		goto fail;
	}
	r->file_size = st.st_size;
	*code = SS_EXIT_BADTRACE;
	if (r->file_size < sizeof(r->fh) ||
	    pread_all(fd, &r->fh, sizeof(r->fh), 0)) {
		snprintf(err, errlen, "not a switchscope trace (%llu bytes, too short for a header)",
			 (unsigned long long)r->file_size);
		goto fail;
	}
	if (memcmp(r->fh.magic, SS_FILE_MAGIC, sizeof(r->fh.magic))) {
		snprintf(err, errlen, "not a switchscope trace (bad magic at offset 0)");
		goto fail;
	}
	if (r->fh.major != SS_FILE_MAJOR && r->fh.major != 1) {
		snprintf(err, errlen,
			 "trace format version %u.%u is not supported (this switchscope reads 1.x and %u.x)%s",
			 r->fh.major, r->fh.minor, SS_FILE_MAJOR,
			 r->fh.major > SS_FILE_MAJOR ? ": written by a newer switchscope" : "");
		goto fail;
	}
	r->chunk_hdr = r->fh.major >= 2 ? sizeof(struct ss_chunk) :
		       sizeof(struct ss_chunk_v1);
	if (r->fh.header_size < sizeof(r->fh) || r->fh.header_size > 4096 ||
	    (r->fh.header_size & 7)) {
		snprintf(err, errlen, "trace header is corrupt (header size %u at offset 12)",
			 r->fh.header_size);
		goto fail;
	}
	*code = index_file(r, err, errlen);
	if (*code != SS_OK)
		goto fail;
	return r;
fail:
	ss_reader_close(r);
	return NULL;
}

struct ss_reader *ss_reader_open(const char *path, char *err, size_t errlen,
				 int *code)
{
	struct ss_reader *r;
	/* O_NONBLOCK: a FIFO without a writer must not hang the open; the
	 * reader then refuses it as not a regular file. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		*code = errno == ENOENT || errno == EISDIR ? SS_EXIT_USAGE : SS_EXIT_IO;
		return NULL;
	}
	r = ss_reader_fdopen(fd, err, errlen, code);
	if (!r) {
		close(fd);
		if (*code == SS_EXIT_USAGE) {
			char why[256];

			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen, "%s is %s", path, why);
		}
		return NULL;
	}
	r->own_fd = 1;
	return r;
}

void ss_reader_close(struct ss_reader *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	free(r->tasks);
	free(r->targets);
	free(r->trailer);
	free(r->chunks);
	free(r->buf);
	free(r);
}

const struct ss_file_header *ss_reader_header(const struct ss_reader *r)
{
	return &r->fh;
}

const struct ss_meta *ss_reader_meta(const struct ss_reader *r)
{
	return &r->meta;
}

const struct ss_task *ss_reader_tasks(const struct ss_reader *r, size_t *n)
{
	*n = r->ntasks;
	return r->tasks;
}

const uint32_t *ss_reader_targets(const struct ss_reader *r, size_t *n)
{
	*n = r->ntargets;
	return r->targets;
}

const struct ss_trailer *ss_reader_trailer(const struct ss_reader *r)
{
	return r->trailer;
}

const uint64_t *ss_reader_lost_per_cpu(const struct ss_reader *r)
{
	return r->lost_per_cpu;
}

const struct ss_damage *ss_reader_damage(const struct ss_reader *r)
{
	return &r->dmg;
}

static int load_chunk(struct ss_reader *r)
{
	while (r->next_chunk < r->nchunks) {
		const struct chunk_ref *c = &r->chunks[r->next_chunk++];

		if (c->size > r->buf_cap) {
			char *n = realloc(r->buf, c->size);

			if (!n)
				return -1;
			r->buf = n;
			r->buf_cap = c->size;
		}
		if (pread_all(r->fd, r->buf, c->size, c->off) ||
		    crc32(0, (void *)r->buf, c->size) != c->crc) {
			if (!r->counted) {
				r->dmg.bad_chunks++;
				damage(r, c->off - r->chunk_hdr,
				       c->size + r->chunk_hdr);
			}
			continue;
		}
		r->buf_len = c->size;
		r->buf_off = c->off;
		r->pos = 0;
		return 1;
	}
	return 0;
}

/* After the first full pass: the trailer says how many records the file
 * holds; fewer or more read is damage too (chunks removed, duplicated or
 * retyped in a 1.x file). */
static void check_trailer(struct ss_reader *r)
{
	r->dmg.records_read = r->nread;
	if (!r->trailer || r->trailer->records == r->nread)
		return;
	r->dmg.records_expected = r->trailer->records;
	r->dmg.count_mismatch = 1;
	damage(r, r->file_size, 0);
}

int ss_reader_next(struct ss_reader *r, const struct ss_hdr **rec)
{
	for (;;) {
		if (r->pos + sizeof(struct ss_hdr) <= r->buf_len) {
			const struct ss_hdr *h = (const void *)(r->buf + r->pos);
			size_t left = r->buf_len - r->pos;
			unsigned int min = ss_type_min_size(h->type);

			if (h->size >= sizeof(*h) && h->size <= left &&
			    !(h->size & 7) && (!min || h->size >= min)) {
				r->pos += h->size;
				if (!r->counted)
					r->nread++;
				*rec = h;
				return 1;
			}
			/* A bad length inside a good chunk: nothing after it
			 * in this chunk can be trusted. */
			if (!r->counted) {
				r->dmg.bad_records++;
				damage(r, r->buf_off + r->pos, left);
			}
			r->pos = r->buf_len;
		}
		if (r->pos < r->buf_len && !r->counted)
			damage(r, r->buf_off + r->pos, r->buf_len - r->pos);
		r->buf_len = r->pos = 0;
		if (!load_chunk(r)) {
			if (!r->counted)
				check_trailer(r);
			r->counted = 1;
			return 0;
		}
	}
}

void ss_reader_rewind(struct ss_reader *r)
{
	r->next_chunk = 0;
	r->buf_len = r->pos = 0;
	if (!r->counted)
		r->nread = 0;	/* the first full pass starts again */
}

int ss_reader_report_damage(const struct ss_reader *r, const char *path)
{
	const struct ss_damage *d = &r->dmg;
	char what[160];

	if (!r->damaged && !d->no_trailer)
		return SS_OK;
	if (d->bad_chunks || d->bad_records || d->truncated || d->missing_chunks ||
	    d->dup_chunks) {
		int n = snprintf(what, sizeof(what), "%u bad chunks, %u bad records",
				 d->bad_chunks, d->bad_records);

		if (d->missing_chunks)
			n += snprintf(what + n, sizeof(what) - n, ", %llu chunks missing",
				      (unsigned long long)d->missing_chunks);
		if (d->dup_chunks)
			n += snprintf(what + n, sizeof(what) - n, ", %u duplicate chunks",
				      d->dup_chunks);
		if (d->truncated)
			snprintf(what + n, sizeof(what) - n, ", file cut short");
		ss_warn("%s is damaged from offset %llu: %llu bytes dropped (%s); "
			"results cover the intact part", path,
			(unsigned long long)d->bad_offset,
			(unsigned long long)d->bytes_dropped, what);
	}
	if (d->count_mismatch)
		ss_warn("%s is damaged: its trailer counts %llu records but %llu were "
			"read", path, (unsigned long long)d->records_expected,
			(unsigned long long)d->records_read);
	if (d->no_trailer)
		ss_warn("%s has no trailer: the recording did not finish cleanly "
			"(recorder killed?); totals are from the records present",
			path);
	return SS_EXIT_DAMAGED;
}
