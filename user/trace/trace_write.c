/* Trace file writer: append-only chunks, each written whole, so that a file
 * is valid up to its last complete chunk whatever happens to the writer. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "trace_int.h"

struct ss_writer {
	int fd;
	uint64_t off;	/* end of the last complete chunk */
	uint64_t seq;	/* chunks written */
	int error;	/* first write error (positive errno), sticky */
	int regular;	/* a regular file: can be cut back and removed */
	int fresh;	/* the file header goes with the first chunk */
	void *cctx;	/* event chunks are compressed when set */
	char *zbuf;	/* a compressed payload */
	size_t zcap;
};

static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= w;
		}
	}
	return 0;
}

/* The file header is written with the first chunk (in one writev): a
 * writer killed before that leaves an empty file, never a header alone. */
struct ss_writer *ss_writer_open(const char *path)
{
	struct ss_writer *w = calloc(1, sizeof(*w));
	struct stat st;
	int err;

	if (!w)
		return NULL;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		err = errno;
		free(w);
		errno = err;
		return NULL;
	}
	/* A device or a FIFO (-o /dev/null) is written in place and never
	 * truncated or removed. */
	w->regular = fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode);
	w->fresh = 1;
	return w;
}

int ss_writer_compress(struct ss_writer *w, int level)
{
	tr_zpack_free(w->cctx);
	w->cctx = NULL;
	if (!level)
		return 0;
	w->cctx = tr_zpack_new(level);
	return w->cctx ? 0 : -ENOMEM;
}

static int put_chunk(struct ss_writer *w, uint32_t type, const void *buf,
		     size_t len)
{
	static const char zero[8];
	struct ss_chunk ch = {
		.magic = SS_CHUNK_MAGIC,
		.type = type,
		.seq = w->seq,
	};
	struct ss_file_header fh = {
		.magic = SS_FILE_MAGIC,
		.major = SS_FILE_MAJOR,
		.minor = SS_FILE_MINOR,
		.header_size = sizeof(fh),
	};
	size_t pad = (8 - (len & 7)) & 7;
	struct iovec iov[4];
	int err, n = 0;

	if (w->error)
		return -w->error;
	if (len + pad > SS_CHUNK_MAX)
		return -EFBIG;
	ch.size = len + pad;
	ch.crc = crc32(0, buf, len);
	ch.crc = crc32(ch.crc, (const void *)zero, pad);
	ch.hcrc = crc32(0, (const void *)&ch, offsetof(struct ss_chunk, hcrc));
	if (w->fresh)
		iov[n++] = (struct iovec){ &fh, sizeof(fh) };
	iov[n++] = (struct iovec){ &ch, sizeof(ch) };
	iov[n++] = (struct iovec){ (void *)buf, len };
	iov[n++] = (struct iovec){ (void *)zero, pad };
	err = write_all(w->fd, iov, n);
	if (err) {
		/* Cut a partial chunk off so the file ends on a whole one. */
		if (w->regular && ftruncate(w->fd, w->off) == 0)
			lseek(w->fd, w->off, SEEK_SET);
		w->error = -err;
		return err;
	}
	w->off += (w->fresh ? sizeof(fh) : 0) + sizeof(ch) + len + pad;
	w->fresh = 0;
	w->seq++;
	return 0;
}

/* Event chunks are compressed whole, into one chunk written with one
 * writev like any other: crash safety does not change. What does not
 * shrink is written as it is. */
int ss_writer_chunk(struct ss_writer *w, uint32_t type, const void *buf,
		    size_t len)
{
	size_t n;

	if (!w->cctx || type != SS_CHUNK_EVENTS || !len || (len & 7) ||
	    len > SS_CHUNK_MAX || w->error)
		return put_chunk(w, type, buf, len);
	if (tr_zpack_bound(len) > w->zcap) {
		char *z = realloc(w->zbuf, tr_zpack_bound(len));

		if (!z)
			return put_chunk(w, type, buf, len);
		w->zbuf = z;
		w->zcap = tr_zpack_bound(len);
	}
	n = tr_zpack(w->cctx, w->zbuf, w->zcap, buf, len);
	if (!n || n >= len)
		return put_chunk(w, type, buf, len);
	return put_chunk(w, SS_CHUNK_ZEVENTS, w->zbuf, n);
}

static void writer_free(struct ss_writer *w)
{
	tr_zpack_free(w->cctx);
	free(w->zbuf);
	free(w);
}

int ss_writer_close(struct ss_writer *w, const struct ss_trailer *t,
		    const uint64_t *lost_per_cpu)
{
	size_t len = sizeof(*t) + t->ncpu * sizeof(uint64_t);
	char *buf = malloc(len);
	int err;

	if (!buf) {
		err = -ENOMEM;
	} else {
		memcpy(buf, t, sizeof(*t));
		if (t->ncpu)
			memcpy(buf + sizeof(*t), lost_per_cpu,
			       t->ncpu * sizeof(uint64_t));
		err = ss_writer_chunk(w, SS_CHUNK_TRAILER, buf, len);
		free(buf);
	}
	if (close(w->fd) && !err)
		err = -errno;
	writer_free(w);
	return err;
}

void ss_writer_discard(struct ss_writer *w, const char *path)
{
	if (w->regular)
		unlink(path);
	close(w->fd);
	writer_free(w);
}

uint64_t ss_writer_bytes(const struct ss_writer *w)
{
	return w->off;
}

int ss_writer_error(const struct ss_writer *w)
{
	return w->error;
}
