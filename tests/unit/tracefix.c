/* Trace files for the reader's tests (tracefix.h). */
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "harness.h"
#include "ss.h"
#include "tracefix.h"

#define REQ(cond) do { if (!(cond)) { \
	ss_test_fail(__FILE__, __LINE__, "fixture: %s", #cond); return; } } while (0)

static const struct ss_meta tf_meta = {
	.clock_id = SS_CLOCK_MONOTONIC, .ncpu = 2, .start_ns = 1000,
};
static const struct ss_task tf_task = { .tid = 7, .tgid = 7, .comm = "seven" };

off_t tf_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

static int pread_file(const char *path, off_t off, void *buf, size_t len)
{
	void *p = tf_read(path, off, len);

	if (!p)
		return -1;
	memcpy(buf, p, len);
	free(p);
	return 0;
}

static void fill(struct ss_switch *sw, int first, int k)
{
	memset(sw, 0, k * sizeof(*sw));
	for (int i = 0; i < k; i++) {
		sw[i].hdr = (struct ss_hdr){ SS_EV_SWITCH, sizeof(sw[i]), i & 1,
					     2000 + first + i };
		sw[i].prev_tid = first + i;
		sw[i].next_tid = 7;
		sw[i].cls = SS_CLASS_THREAD;
	}
}

static struct ss_trailer trailer_of(int nrec)
{
	struct ss_trailer tr = { .end_ns = 5000000, .ncpu = 2, .records = nrec };

	tr.count[SS_EV_SWITCH] = nrec;
	return tr;
}

static void write_trace(const char *path, int nrec, int trailer, int level)
{
	struct ss_trailer tr = trailer_of(nrec);
	uint64_t lost[2] = { 0, 0 };
	struct ss_switch sw[TF_PER_CHUNK];
	struct ss_writer *w = ss_writer_open(path);

	REQ(w != NULL);
	REQ(ss_writer_chunk(w, SS_CHUNK_META, &tf_meta, sizeof(tf_meta)) == 0);
	REQ(ss_writer_chunk(w, SS_CHUNK_TASKS, &tf_task, sizeof(tf_task)) == 0);
	REQ(ss_writer_compress(w, level) == 0);
	for (int done = 0, k; done < nrec; done += k) {
		k = nrec - done < TF_PER_CHUNK ? nrec - done : TF_PER_CHUNK;
		fill(sw, done, k);
		REQ(ss_writer_chunk(w, SS_CHUNK_EVENTS, sw, k * sizeof(sw[0])) == 0);
	}
	REQ(ss_writer_close(w, &tr, lost) == 0);
	if (!trailer)
		REQ(truncate(path, tf_size(path) - (sizeof(struct ss_chunk) +
						    sizeof(tr) + sizeof(lost))) == 0);
}

void tf_write(const char *path, int nrec, int trailer)
{
	write_trace(path, nrec, trailer, 0);
}

void tf_write_z(const char *path, int nrec, int trailer, int level)
{
	write_trace(path, nrec, trailer, level);
}

off_t tf_chunk(const char *path, int k, struct ss_chunk *ch)
{
	off_t off = sizeof(struct ss_file_header), size = tf_size(path);
	int fd = open(path, O_RDONLY);

	while (fd >= 0 && off + (off_t)sizeof(*ch) <= size &&
	       pread(fd, ch, sizeof(*ch), off) == sizeof(*ch)) {
		if ((ch->type == SS_CHUNK_EVENTS || ch->type == SS_CHUNK_ZEVENTS) &&
		    k-- == 0) {
			close(fd);
			return off;
		}
		off += sizeof(*ch) + ch->size;
	}
	if (fd >= 0)
		close(fd);
	ss_test_fail(__FILE__, __LINE__, "fixture: no event chunk %d in %s", k, path);
	return -1;
}

void tf_fix_crc(const char *path, off_t off)
{
	struct ss_chunk ch;
	char *p;

	if (pread_file(path, off, &ch, sizeof(ch)))
		return;
	p = tf_read(path, off + sizeof(ch), ch.size);
	REQ(p != NULL);
	ch.crc = crc32(0, (void *)p, ch.size);
	ch.hcrc = crc32(0, (void *)&ch, offsetof(struct ss_chunk, hcrc));
	free(p);
	tf_patch(path, off, &ch, sizeof(ch));
}

static void v1_chunk(int fd, uint32_t type, const void *p, size_t len)
{
	struct ss_chunk_v1 ch = { SS_CHUNK_MAGIC, type, len, crc32(0, p, len) };

	REQ(len % 8 == 0);
	REQ(write(fd, &ch, sizeof(ch)) == sizeof(ch));
	REQ(write(fd, p, len) == (ssize_t)len);
}

void tf_write_v1(const char *path, int nrec)
{
	struct ss_file_header fh = { .magic = SS_FILE_MAGIC, .major = 1,
				     .header_size = sizeof(fh) };
	struct {
		struct ss_trailer t;
		uint64_t lost[2];
	} tr = { trailer_of(nrec), { 0, 0 } };
	struct ss_switch sw[TF_PER_CHUNK];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	REQ(fd >= 0);
	REQ(write(fd, &fh, sizeof(fh)) == sizeof(fh));
	v1_chunk(fd, SS_CHUNK_META, &tf_meta, sizeof(tf_meta));
	v1_chunk(fd, SS_CHUNK_TASKS, &tf_task, sizeof(tf_task));
	for (int done = 0, k; done < nrec; done += k) {
		k = nrec - done < TF_PER_CHUNK ? nrec - done : TF_PER_CHUNK;
		fill(sw, done, k);
		v1_chunk(fd, SS_CHUNK_EVENTS, sw, k * sizeof(sw[0]));
	}
	v1_chunk(fd, SS_CHUNK_TRAILER, &tr, sizeof(tr));
	close(fd);
}

size_t tf_event_chunk_bytes(int v1)
{
	return (v1 ? sizeof(struct ss_chunk_v1) : sizeof(struct ss_chunk)) +
	       TF_PER_CHUNK * sizeof(struct ss_switch);
}

off_t tf_event_chunk(int k, int v1)
{
	size_t h = v1 ? sizeof(struct ss_chunk_v1) : sizeof(struct ss_chunk);

	return sizeof(struct ss_file_header) + (h + sizeof(struct ss_meta)) +
	       (h + sizeof(struct ss_task)) + k * tf_event_chunk_bytes(v1);
}

long tf_count(const char *path, int *code, struct ss_damage *d)
{
	const struct ss_hdr *h;
	struct ss_reader *r;
	char err[256];
	long n = 0, expect_prev = 0;

	r = ss_reader_open(path, err, sizeof(err), code);
	if (!r)
		return -1;
	while (ss_reader_next(r, &h) == 1) {
		const struct ss_switch *s = (const void *)h;

		/* Intact and in order; gaps where chunks were dropped. */
		if (h->type != SS_EV_SWITCH || s->prev_tid < expect_prev)
			ss_test_fail(__FILE__, __LINE__, "record %ld out of order", n);
		expect_prev = s->prev_tid + 1;
		n++;
	}
	*d = *ss_reader_damage(r);
	*code = ss_reader_report_damage(r, path);
	ss_reader_close(r);
	return n;
}

int tf_open_code(const char *path, char *err, size_t len)
{
	struct ss_reader *r;
	int code;

	r = ss_reader_open(path, err, len, &code);
	if (!r)
		return code;
	ss_reader_close(r);
	return SS_OK;
}

void tf_patch(const char *path, off_t off, const void *bytes, size_t len)
{
	int fd = open(path, O_WRONLY);

	REQ(fd >= 0);
	REQ(pwrite(fd, bytes, len, off) == (ssize_t)len);
	close(fd);
}

void *tf_read(const char *path, off_t off, size_t len)
{
	char *p = malloc(len);
	int fd = open(path, O_RDONLY);
	int ok = p && fd >= 0 && pread(fd, p, len, off) == (ssize_t)len;

	if (fd >= 0)
		close(fd);
	if (!ok) {
		ss_test_fail(__FILE__, __LINE__, "fixture: cannot read %s", path);
		free(p);
		return NULL;
	}
	return p;
}

void tf_splice(const char *path, off_t off, size_t del, const void *ins,
	       size_t ins_len)
{
	off_t size = tf_size(path);
	char *all = size >= 0 ? tf_read(path, 0, size) : NULL;
	int fd;

	REQ(all && off + (off_t)del <= size);
	fd = open(path, O_WRONLY | O_TRUNC);
	REQ(fd >= 0);
	REQ(write(fd, all, off) == off);
	if (ins_len)
		REQ(write(fd, ins, ins_len) == (ssize_t)ins_len);
	REQ(write(fd, all + off + del, size - off - del) == (ssize_t)(size - off - del));
	close(fd);
	free(all);
}
