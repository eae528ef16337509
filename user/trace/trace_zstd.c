/* zstd for event chunks (format 2.1): the writer packs a chunk's records
 * into one frame, the reader checks everything a frame claims before it
 * allocates or decompresses anything. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "trace_int.h"

void *tr_zpack_new(int level)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();

	if (!c)
		return NULL;
	/* The content size (on by default) and a checksum of the records:
	 * the reader requires both. */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1))) {
		ZSTD_freeCCtx(c);
		return NULL;
	}
	return c;
}

void tr_zpack_free(void *cctx)
{
	ZSTD_freeCCtx(cctx);
}

size_t tr_zpack_bound(size_t len)
{
	return sizeof(struct ss_zchunk) + ZSTD_compressBound(len);
}

size_t tr_zpack(void *cctx, void *dst, size_t cap, const void *src, size_t len)
{
	struct ss_zchunk *z = dst;
	size_t n;

	if (cap < sizeof(*z))
		return 0;
	n = ZSTD_compress2(cctx, z + 1, cap - sizeof(*z), src, len);
	if (ZSTD_isError(n))
		return 0;
	*z = (struct ss_zchunk){ .usize = len, .csize = n, .codec = SS_ZCODEC_ZSTD };
	return sizeof(*z) + n;
}

/* Every claim of the chunk head and of the frame header is checked against
 * the others and against SS_CHUNK_MAX before the output is allocated: a
 * lying size or a decompression bomb is a bad chunk, never an allocation. */
int tr_zunpack(struct ss_reader *r, const void *payload, size_t size)
{
	const struct ss_zchunk *z = payload;
	const char *frame;
	uint32_t magic;
	size_t n;

	/* an empty payload may come as NULL: no arithmetic on it */
	if (!payload || size < sizeof(*z))
		return -1;
	frame = (const char *)(z + 1);
	if (z->codec != SS_ZCODEC_ZSTD || z->pad || !z->usize ||
	    z->usize > SS_CHUNK_MAX || (z->usize & 7) ||
	    z->csize > size - sizeof(*z) || size - sizeof(*z) - z->csize >= 8)
		return -1;
	/* One zstd frame (RFC 8878: magic, then the frame header descriptor
	 * whose bit 2 says a content checksum ends the frame), with the
	 * content size of the head, and nothing after it. */
	if (z->csize < 5)
		return -1;
	memcpy(&magic, frame, sizeof(magic));
	if (magic != ZSTD_MAGICNUMBER || !(frame[4] & 0x4) ||
	    ZSTD_getFrameContentSize(frame, z->csize) != z->usize ||
	    ZSTD_findFrameCompressedSize(frame, z->csize) != z->csize)
		return -1;
	if (!r->dctx && !(r->dctx = ZSTD_createDCtx()))
		return -1;
	if (z->usize > r->buf_cap) {
		char *b = realloc(r->buf, z->usize);

		if (!b)
			return -1;
		r->buf = b;
		r->buf_cap = z->usize;
	}
	n = ZSTD_decompressDCtx(r->dctx, r->buf, z->usize, frame, z->csize);
	if (ZSTD_isError(n) || n != z->usize)
		return -1;
	r->buf_len = n;
	return 0;
}

void tr_zunpack_free(struct ss_reader *r)
{
	ZSTD_freeDCtx(r->dctx);
	r->dctx = NULL;
}
