/* Trace files for the reader's tests: written with the real writer (or by
 * hand in the 1.0 format), then damaged in place. */
#ifndef SS_TESTS_TRACEFIX_H
#define SS_TESTS_TRACEFIX_H

#include <sys/types.h>

#include "trace.h"

#define TF_PER_CHUNK 512	/* switch records per event chunk */

off_t tf_size(const char *path);
/* META (2 CPUs), one TASKS chunk, nrec switch records with prev_tid
 * 0..nrec-1 in chunks of TF_PER_CHUNK, and a trailer counting them unless
 * trailer is 0 (then the file ends where a killed recorder's would). */
void tf_write(const char *path, int nrec, int trailer);
/* The same with the event chunks compressed at that zstd level (2.1). */
void tf_write_z(const char *path, int nrec, int trailer, int level);
/* Offset of the header of event chunk k (EVENTS or ZEVENTS, from 0), found
 * by walking the chunk headers of a 2.x file; *ch is that header. */
off_t tf_chunk(const char *path, int k, struct ss_chunk *ch);
/* Recompute the payload and header CRCs of the 2.x chunk at off (damage
 * that only a crafted file has). */
void tf_fix_crc(const char *path, off_t off);
/* The same trace in format 1.0 (16-byte chunk headers, no numbers). */
void tf_write_v1(const char *path, int nrec);
/* Offset of the header of event chunk k (from 0) in a tf_write file, or
 * in a tf_write_v1 file when v1 is set. */
off_t tf_event_chunk(int k, int v1);
/* Bytes of one full event chunk, header included. */
size_t tf_event_chunk_bytes(int v1);
/* Records read (checked intact and in order), the exit code that
 * ss_reader_report_damage gives and the damage; -1 if it does not open. */
long tf_count(const char *path, int *code, struct ss_damage *d);
/* SS_OK if the trace opens, else the exit code, with the message in err. */
int tf_open_code(const char *path, char *err, size_t len);
void tf_patch(const char *path, off_t off, const void *bytes, size_t len);
/* Replace del bytes at off with ins (ins_len bytes). */
void tf_splice(const char *path, off_t off, size_t del, const void *ins,
	       size_t ins_len);
/* Copy len bytes at off into a malloc'd buffer. */
void *tf_read(const char *path, off_t off, size_t len);

#endif
