/* Damage the reader must not take for an intact trace: chunks removed,
 * duplicated or retyped, a size pushed past the end, a trailer that
 * disagrees, implausible metadata, paths that are not trace files; and the
 * 1.0 format still reads. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "ss.h"
#include "testutil.h"
#include "trace.h"
#include "tracefix.h"

#define NREC (40 * TF_PER_CHUNK)

TEST(removed_chunk_is_counted_missing)
{
	const char *p = tu_tmp("removed.trace");
	struct ss_damage d;
	int code;

	tf_write(p, NREC, 1);
	tf_splice(p, tf_event_chunk(5, 0), tf_event_chunk_bytes(0), NULL, 0);
	CHECK_EQ(tf_count(p, &code, &d), NREC - TF_PER_CHUNK);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK_EQ(d.missing_chunks, 1);
	CHECK_EQ(d.bad_offset, tf_event_chunk(5, 0));
	CHECK(d.count_mismatch);
	CHECK_EQ(d.records_expected, NREC);
	CHECK_EQ(d.records_read, NREC - TF_PER_CHUNK);
}

TEST(duplicated_chunk_is_read_once)
{
	const char *p = tu_tmp("dup.trace");
	size_t len = tf_event_chunk_bytes(0);
	struct ss_damage d;
	void *copy;
	int code;

	tf_write(p, NREC, 1);
	copy = tf_read(p, tf_event_chunk(3, 0), len);
	REQUIRE(copy != NULL);
	tf_splice(p, tf_event_chunk(4, 0), 0, copy, len);
	free(copy);
	CHECK_EQ(tf_count(p, &code, &d), NREC);	/* in order: none twice */
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK_EQ(d.dup_chunks, 1);
	CHECK_EQ(d.bytes_dropped, len);
}

TEST(one_bit_flipped_in_a_chunk_type_is_damage)
{
	const char *p = tu_tmp("type.trace");
	off_t off = tf_event_chunk(7, 0) + offsetof(struct ss_chunk, type);
	uint32_t type = SS_CHUNK_EVENTS ^ 4;	/* 3 -> 7: an unknown type */
	struct ss_damage d;
	int code;

	tf_write(p, NREC, 1);
	tf_patch(p, off, &type, sizeof(type));
	CHECK_EQ(tf_count(p, &code, &d), NREC - TF_PER_CHUNK);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK_EQ(d.bad_chunks, 1);
}

/* A size made larger than the file by one bit: the chunks after it, the
 * trailer too, are still read. */
static void size_past_end(const char *p, int v1)
{
	off_t off = tf_event_chunk(10, v1) + offsetof(struct ss_chunk, size);
	uint32_t size = 512 * sizeof(struct ss_switch) | (1u << 25);
	struct ss_damage d;
	struct ss_reader *r;
	char err[256];
	int code;

	tf_patch(p, off, &size, sizeof(size));
	CHECK_EQ(tf_count(p, &code, &d), NREC - TF_PER_CHUNK);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK(!d.truncated);
	CHECK_EQ(d.bad_chunks, 1);
	CHECK_EQ(d.bytes_dropped, tf_event_chunk_bytes(v1));
	r = ss_reader_open(p, err, sizeof(err), &code);
	REQUIRE(r != NULL, "%s", err);
	CHECK(ss_reader_trailer(r) != NULL);
	ss_reader_close(r);
}

TEST(size_past_the_end_resyncs_on_the_next_chunk)
{
	const char *p = tu_tmp("size.trace");

	tf_write(p, NREC, 1);
	size_past_end(p, 0);
	tf_write_v1(p, NREC);
	size_past_end(p, 1);
}

TEST(v1_trace_still_reads)
{
	const char *p = tu_tmp("v1.trace");
	struct ss_damage d;
	int code;

	tf_write_v1(p, NREC);
	CHECK_EQ(tf_count(p, &code, &d), NREC);
	CHECK_EQ(code, SS_OK);
	CHECK_EQ(d.bytes_dropped, 0);
}

/* 1.0 has no chunk numbers: the trailer's count catches what is gone. */
TEST(v1_trace_with_a_chunk_removed_disagrees_with_its_trailer)
{
	const char *p = tu_tmp("v1cut.trace");
	struct ss_damage d;
	int code;

	tf_write_v1(p, NREC);
	tf_splice(p, tf_event_chunk(2, 1), tf_event_chunk_bytes(1), NULL, 0);
	CHECK_EQ(tf_count(p, &code, &d), NREC - TF_PER_CHUNK);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK(d.count_mismatch);
	CHECK_EQ(d.records_expected, NREC);
}

TEST(resync_scans_16_mib_of_garbage_quickly)
{
	const char *p = tu_tmp("garbage.trace");
	size_t len = 16u << 20;
	char *junk = malloc(len);
	struct timespec t0, t1;
	struct ss_damage d;
	double secs;
	int code;

	REQUIRE(junk != NULL);
	for (size_t i = 0; i < len; i++)
		junk[i] = (char)(i * 2654435761u >> 13);
	tf_write(p, NREC, 1);
	tf_splice(p, tf_event_chunk(20, 0) + 100, 0, junk, len);
	free(junk);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(tf_count(p, &code, &d), NREC - TF_PER_CHUNK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK_EQ(d.bytes_dropped, tf_event_chunk_bytes(0) + len);
	/* 8 bytes at a time took over a second here, a buffer scan 20 ms. */
	CHECK(secs < 0.5, "took %.3f s", secs);
}

TEST(implausible_cpu_count_is_a_bad_trace_naming_the_field)
{
	const char *p = tu_tmp("ncpu.trace");
	struct ss_meta m = { .clock_id = SS_CLOCK_MONOTONIC, .ncpu = 65537 };
	struct ss_writer *w = ss_writer_open(p);
	char err[256];

	REQUIRE(w != NULL);
	ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m));
	ss_writer_close(w, &(struct ss_trailer){ .ncpu = 0 }, NULL);
	CHECK_EQ(tf_open_code(p, err, sizeof(err)), SS_EXIT_BADTRACE);
	CHECK(strstr(err, "ncpu 65537"), "%s", err);
}

TEST(metadata_cut_short_says_so)
{
	const char *p = tu_tmp("cutmeta.trace");
	char err[256];

	tf_write(p, 10, 1);
	REQUIRE(truncate(p, 100) == 0);
	CHECK_EQ(tf_open_code(p, err, sizeof(err)), SS_EXIT_BADTRACE);
	CHECK(strstr(err, "cut short"), "%s", err);
	REQUIRE(truncate(p, sizeof(struct ss_file_header)) == 0);
	CHECK_EQ(tf_open_code(p, err, sizeof(err)), SS_EXIT_BADTRACE);
	CHECK(strstr(err, "cut short"), "%s", err);
}

/* What a recorder killed while loading probes leaves, and the final
 * metadata that replaces the first one. */
TEST(metadata_alone_is_a_valid_empty_trace_and_a_later_one_wins)
{
	const char *p = tu_tmp("early.trace");
	struct ss_meta m = { .clock_id = SS_CLOCK_MONOTONIC, .ncpu = 2, .flags = 0 };
	struct ss_writer *w = ss_writer_open(p);
	const struct ss_hdr *h;
	struct ss_reader *r;
	char err[256];
	int code;

	REQUIRE(w != NULL);
	REQUIRE(ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m)) == 0);
	r = ss_reader_open(p, err, sizeof(err), &code);
	REQUIRE(r != NULL, "%s", err);
	CHECK_EQ(ss_reader_next(r, &h), 0);
	CHECK(ss_reader_damage(r)->no_trailer);
	ss_reader_close(r);
	m.flags = SS_META_CORO;
	REQUIRE(ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m)) == 0);
	ss_writer_close(w, &(struct ss_trailer){ .ncpu = 0 }, NULL);
	r = ss_reader_open(p, err, sizeof(err), &code);
	REQUIRE(r != NULL, "%s", err);
	CHECK_EQ(ss_reader_meta(r)->flags, SS_META_CORO);
	CHECK_EQ(ss_reader_next(r, &h), 0);
	CHECK_EQ(ss_reader_report_damage(r, p), SS_OK);
	ss_reader_close(r);
}

TEST(directory_and_fifo_are_usage_errors_without_blocking)
{
	const char *dir = tu_tmp("adir"), *fifo = tu_tmp("afifo");
	char err[256];

	REQUIRE(mkdir(dir, 0755) == 0);
	CHECK_EQ(tf_open_code(dir, err, sizeof(err)), SS_EXIT_USAGE);
	CHECK(strstr(err, "a directory"), "%s", err);
	REQUIRE(mkfifo(fifo, 0644) == 0);
	alarm(5);	/* a blocking open would hang here */
	CHECK_EQ(tf_open_code(fifo, err, sizeof(err)), SS_EXIT_USAGE);
	alarm(0);
	CHECK(strstr(err, "a FIFO"), "%s", err);
}

/* A device named as output is written in place and never replaced,
 * truncated or removed. Needs root for mknod. */
TEST(writer_leaves_a_device_a_device)
{
	const char *dev = tu_tmp("null");
	struct ss_meta m = { .ncpu = 1 };
	struct ss_writer *w;
	struct stat st;

	if (mknod(dev, S_IFCHR | 0666, makedev(1, 3))) {
		ss_test_skip("mknod needs root");
		return;
	}
	w = ss_writer_open(dev);
	REQUIRE(w != NULL, "%s", strerror(errno));
	CHECK_EQ(ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m)), 0);
	ss_writer_discard(w, dev);
	REQUIRE(stat(dev, &st) == 0, "the device was removed");
	CHECK(S_ISCHR(st.st_mode), "mode %o", st.st_mode);
}
