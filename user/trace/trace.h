/* Trace file writer and reader (docs/FORMAT.md). */
#ifndef SS_TRACE_H
#define SS_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "switchscope.h"

/* ---- writer ---- */

struct ss_writer;

#define SS_ZSTD_LEVEL	3	/* record's default; levels 1 to 19 */

/* Create the file (truncating it); its file header is written with the
 * first chunk. Returns NULL with errno set. */
struct ss_writer *ss_writer_open(const char *path);
/* Compress event chunks with zstd at this level from now on (0: no
 * more). Returns 0 or -ENOMEM. */
int ss_writer_compress(struct ss_writer *w, int level);
/* Write one chunk; returns 0 or -errno. An EVENTS chunk is written as
 * ZEVENTS when compression is on and it shrinks. After a failed write the
 * file is cut back to the end of the last complete chunk and every later
 * write fails with the same error (the file stays valid). */
int ss_writer_chunk(struct ss_writer *w, uint32_t type, const void *buf,
		    size_t len);
/* Write the trailer and close. Returns 0 or -errno. */
int ss_writer_close(struct ss_writer *w, const struct ss_trailer *t,
		    const uint64_t *lost_per_cpu);
/* Close without a trailer and remove the file, unless it is not a regular
 * file (a device or a FIFO is left as it is). */
void ss_writer_discard(struct ss_writer *w, const char *path);
uint64_t ss_writer_bytes(const struct ss_writer *w);
int ss_writer_error(const struct ss_writer *w);

/* ---- reader ---- */

struct ss_reader;

/* Problems found while reading; a reader goes on past what it can. */
struct ss_damage {
	uint64_t bad_offset;	/* offset of the first bad or partial chunk */
	uint64_t bytes_dropped;	/* bytes of the file not read as records */
	uint32_t bad_chunks;	/* chunks rejected (CRC, size, magic) */
	uint32_t bad_records;	/* records rejected inside good chunks */
	uint32_t dup_chunks;	/* chunks read already, dropped (2.0) */
	uint64_t missing_chunks; /* chunk numbers never seen (2.0) */
	uint64_t records_read;	/* records returned by a full first pass */
	uint64_t records_expected; /* the trailer's count, if it differs */
	int count_mismatch;	/* the trailer's count disagrees with the read */
	int truncated;		/* the last chunk is cut short */
	int no_trailer;		/* the recording did not finish cleanly */
};

/* Open a trace (a regular file: anything else is a usage error, and a FIFO
 * never blocks the open). On failure returns NULL, writes a message into err and
 * sets *code to an ss_exit value. */
struct ss_reader *ss_reader_open(const char *path, char *err, size_t errlen,
				 int *code);
/* Same on an open file descriptor (not closed by the reader). */
struct ss_reader *ss_reader_fdopen(int fd, char *err, size_t errlen,
				   int *code);
void ss_reader_close(struct ss_reader *r);

const struct ss_file_header *ss_reader_header(const struct ss_reader *r);
const struct ss_meta *ss_reader_meta(const struct ss_reader *r);
const struct ss_task *ss_reader_tasks(const struct ss_reader *r, size_t *n);
/* Processes traced from the start (empty for system-wide traces). */
const uint32_t *ss_reader_targets(const struct ss_reader *r, size_t *n);
/* NULL when the file has no (intact) trailer. */
const struct ss_trailer *ss_reader_trailer(const struct ss_reader *r);
const uint64_t *ss_reader_lost_per_cpu(const struct ss_reader *r);

/* Next record in file order. Returns 1 and sets *rec, 0 at the end.
 * Records are validated: size within the chunk, at least the size of
 * their type. Unknown types are returned (callers skip them). */
int ss_reader_next(struct ss_reader *r, const struct ss_hdr **rec);
/* Start over at the first record. */
void ss_reader_rewind(struct ss_reader *r);

const struct ss_damage *ss_reader_damage(const struct ss_reader *r);
/* Print a warning about damage to stderr if there is any; returns
 * SS_EXIT_DAMAGED or SS_OK. Call after reading every record. */
int ss_reader_report_damage(const struct ss_reader *r, const char *path);

#endif
