/* Trace file reader: opening (what is refused outright), iteration over
 * the records (each validated), and the damage report. The walk over the
 * chunks is in trace_index.c. */
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
#include "trace_int.h"

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
	    tr_pread_all(fd, &r->fh, sizeof(r->fh), 0)) {
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
	*code = tr_index(r, err, errlen);
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
	free(r->zbuf);
	tr_zunpack_free(r);
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

/* Read a chunk's payload into *buf (grown to fit) and check its CRC. */
static int read_checked(struct ss_reader *r, const struct chunk_ref *c,
			char **buf, size_t *cap)
{
	if (c->size > *cap) {
		char *n = realloc(*buf, c->size);

		if (!n)
			return -1;
		*buf = n;
		*cap = c->size;
	}
	if (tr_pread_all(r->fd, *buf, c->size, c->off) ||
	    crc32(0, (void *)*buf, c->size) != c->crc)
		return -1;
	return 0;
}

/* The next event chunk into r->buf: read whole, CRC-checked, and if it is
 * compressed, decompressed. At most one chunk is held (two buffers when
 * compressed: the stored payload and its records). */
static int load_chunk(struct ss_reader *r)
{
	while (r->next_chunk < r->nchunks) {
		const struct chunk_ref *c = &r->chunks[r->next_chunk++];
		int bad;

		r->packed = c->type == SS_CHUNK_ZEVENTS;
		if (r->packed)
			bad = read_checked(r, c, &r->zbuf, &r->zcap) ||
			      tr_zunpack(r, r->zbuf, c->size);
		else
			bad = read_checked(r, c, &r->buf, &r->buf_cap);
		if (bad) {
			if (!r->counted) {
				r->dmg.bad_chunks++;
				tr_damage(r, c->off - r->chunk_hdr,
				       c->size + r->chunk_hdr);
			}
			continue;
		}
		if (!r->packed)
			r->buf_len = c->size;
		r->buf_off = r->packed ? c->off - r->chunk_hdr : c->off;
		r->pos = 0;
		return 1;
	}
	return 0;
}

/* Where damage at buf[pos] is: in the file, or the compressed chunk's
 * header (its records have no file offset). */
static uint64_t rec_off(const struct ss_reader *r)
{
	return r->packed ? r->buf_off : r->buf_off + r->pos;
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
	tr_damage(r, r->file_size, 0);
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
				tr_damage(r, rec_off(r), left);
			}
			r->pos = r->buf_len;
		}
		if (r->pos < r->buf_len && !r->counted)
			tr_damage(r, rec_off(r), r->buf_len - r->pos);
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
