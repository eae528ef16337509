/* Internals of the trace reader, shared by trace_read.c (opening,
 * iteration, damage report) and trace_index.c (the walk over the chunks),
 * and the zstd code of writer and reader (trace_zstd.c). */
#ifndef SS_TRACE_INT_H
#define SS_TRACE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

struct chunk_ref {
	uint64_t off;		/* of the payload */
	uint64_t seq;		/* chunk number (format 2.0; 0 in 1.x) */
	uint32_t type;		/* SS_CHUNK_EVENTS or _ZEVENTS for event chunks */
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
	char *buf;			/* the records of the current chunk */
	size_t buf_cap;
	size_t buf_len;
	size_t pos;
	uint64_t buf_off;		/* file offset of buf[0], or of the chunk
					 * header when packed */
	int packed;			/* buf was decompressed */
	char *zbuf;			/* a compressed chunk's payload */
	size_t zcap;
	void *dctx;			/* ZSTD_DCtx, made at the first use */
	uint64_t nread;			/* records returned in the first pass */
	int counted;			/* damage of the records counted once */
	int damaged;			/* bad_offset is set */
};

/* pread exactly len bytes at off; -1 on error or end of file. */
int tr_pread_all(int fd, void *buf, size_t len, uint64_t off);
/* Note bytes of damage at off (the first offset is kept). */
void tr_damage(struct ss_reader *r, uint64_t off, uint64_t bytes);
/* Walk the chunk headers once (after the file header is checked): load
 * the fixed chunks, list the event chunks, note damage. Returns an ss_exit
 * code; err says why when it is not SS_OK. */
int tr_index(struct ss_reader *r, char *err, size_t errlen);

/* zstd (trace_zstd.c). A compressor at that level, NULL without memory. */
void *tr_zpack_new(int level);
void tr_zpack_free(void *cctx);
/* Bytes a ZEVENTS payload of len bytes of records may need. */
size_t tr_zpack_bound(size_t len);
/* Write struct ss_zchunk and the frame into dst; returns the payload's
 * length (without padding), 0 on failure. */
size_t tr_zpack(void *cctx, void *dst, size_t cap, const void *src, size_t len);
/* Decompress a ZEVENTS payload (CRC-checked already) into r->buf and set
 * r->buf_len; -1 if it is not exactly what its head claims. */
int tr_zunpack(struct ss_reader *r, const void *payload, size_t size);
void tr_zunpack_free(struct ss_reader *r);

#endif
