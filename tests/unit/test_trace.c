/* Trace writer and reader: round trip, and every kind of damage the reader
 * must survive with a clear verdict. No privileges needed. */
#define SS_TEST_MAIN
#include <errno.h>
#include <unistd.h>

#include "harness.h"
#include "ss.h"
#include "testutil.h"
#include "trace.h"
#include "tracefix.h"

#define NREC 50000

TEST(round_trip_keeps_every_record)
{
	const char *p = tu_tmp("rt.trace");
	struct ss_damage d;
	int code;

	tf_write(p, NREC, 1);
	CHECK_EQ(tf_count(p, &code, &d), NREC);
	CHECK_EQ(code, SS_OK);
	CHECK_EQ(d.bytes_dropped, 0);
}

TEST(missing_trailer_is_reported_not_fatal)
{
	const char *p = tu_tmp("notrailer.trace");
	struct ss_damage d;
	int code;

	tf_write(p, NREC, 0);
	CHECK_EQ(tf_count(p, &code, &d), NREC);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK(d.no_trailer);
}

TEST(truncation_keeps_complete_chunks_and_says_where)
{
	const char *p = tu_tmp("trunc.trace");
	struct ss_damage d;
	off_t size;
	long n;
	int code;

	tf_write(p, NREC, 1);
	size = tf_size(p);
	REQUIRE(truncate(p, size / 2) == 0);
	n = tf_count(p, &code, &d);
	CHECK_GT(n, NREC / 3);
	CHECK_LT(n, NREC / 2 + 1);
	CHECK_EQ(n % TF_PER_CHUNK, 0);	/* whole chunks only */
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK(d.truncated);
	CHECK_GT(d.bad_offset, 0);
	CHECK_LE(d.bad_offset, size / 2);
	CHECK_EQ(d.bad_offset + d.bytes_dropped, size / 2);
}

TEST(corrupt_chunk_is_skipped_and_the_rest_recovered)
{
	const char *p = tu_tmp("crc.trace");
	off_t mid;
	struct ss_damage d;
	long n;
	int code;

	tf_write(p, NREC, 1);
	mid = tf_size(p) / 2;
	tf_patch(p, mid, "\xde\xad\xbe\xef\xde\xad\xbe\xef", 8);
	n = tf_count(p, &code, &d);
	CHECK_EQ(n, NREC - TF_PER_CHUNK);	/* exactly one chunk lost */
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK_EQ(d.bad_chunks, 1);
}

TEST(corrupt_chunk_header_resyncs_on_next_chunk)
{
	const char *p = tu_tmp("hdr.trace");
	struct ss_damage d;
	off_t off = tf_event_chunk(2, 0);
	uint32_t junk = 0x12345678;
	long n;
	int code;

	tf_write(p, NREC, 1);
	tf_patch(p, off, &junk, 4);
	n = tf_count(p, &code, &d);
	CHECK_EQ(n, NREC - TF_PER_CHUNK);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK_EQ(d.bad_offset, off);
}

TEST(bad_magic_newer_major_and_short_files_are_rejected_clearly)
{
	const char *p = tu_tmp("bad.trace");
	char err[256];
	uint16_t major = SS_FILE_MAJOR + 1;

	tf_write(p, 10, 1);
	tf_patch(p, 0, "NOTATRAC", 8);
	CHECK_EQ(tf_open_code(p, err, sizeof(err)), SS_EXIT_BADTRACE);
	CHECK(strstr(err, "not a switchscope trace"), "%s", err);

	tf_write(p, 10, 1);
	tf_patch(p, 8, &major, 2);
	CHECK_EQ(tf_open_code(p, err, sizeof(err)), SS_EXIT_BADTRACE);
	CHECK(strstr(err, "newer switchscope"), "%s", err);

	tf_write(p, 10, 1);
	REQUIRE(truncate(p, 10) == 0);
	CHECK_EQ(tf_open_code(p, err, sizeof(err)), SS_EXIT_BADTRACE);
	CHECK(strstr(err, "too short"), "%s", err);

	tf_write(p, 10, 1);
	/* metadata chunk's payload corrupted: nothing to trust */
	tf_patch(p, sizeof(struct ss_file_header) + sizeof(struct ss_chunk) + 8, "XXXX", 4);
	CHECK_EQ(tf_open_code(p, err, sizeof(err)), SS_EXIT_BADTRACE);
	CHECK(strstr(err, "header is missing or corrupt"), "%s", err);

	CHECK_EQ(tf_open_code("/nonexistent.trace", err, sizeof(err)), SS_EXIT_USAGE);
}

TEST(record_with_bad_length_drops_only_the_rest_of_its_chunk)
{
	const char *p = tu_tmp("len.trace");
	struct ss_meta m = { .ncpu = 1 };
	struct ss_switch sw[4];
	struct ss_damage d;
	struct ss_writer *w;
	long n;
	int code;

	memset(sw, 0, sizeof(sw));
	for (int i = 0; i < 4; i++) {
		sw[i].hdr = (struct ss_hdr){ SS_EV_SWITCH, sizeof(sw[0]), 0, 10 + i };
		sw[i].prev_tid = i;
	}
	sw[2].hdr.size = 12;	/* shorter than a header: invalid */
	w = ss_writer_open(p);
	REQUIRE(w != NULL);
	ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m));
	ss_writer_chunk(w, SS_CHUNK_EVENTS, sw, sizeof(sw));
	sw[2].hdr.size = sizeof(sw[0]);
	sw[1].hdr.size = 16;	/* shorter than a switch record: invalid */
	for (int i = 0; i < 4; i++)
		sw[i].prev_tid = 10 + i;
	ss_writer_chunk(w, SS_CHUNK_EVENTS, sw, sizeof(sw));
	ss_writer_close(w, &(struct ss_trailer){ .records = 8 }, NULL);
	n = tf_count(p, &code, &d);
	CHECK_EQ(n, 3);	/* 2 from the first chunk, 1 from the second */
	CHECK_EQ(d.bad_records, 2);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
}

TEST(unknown_record_types_and_chunks_are_skipped)
{
	const char *p = tu_tmp("future.trace");
	struct ss_meta m = { .ncpu = 1 };
	uint64_t rec[4] = { 0 };
	struct ss_hdr *h = (void *)rec;
	const struct ss_hdr *got;
	struct ss_reader *r;
	struct ss_writer *w;
	char err[128];
	int code, n = 0;

	*h = (struct ss_hdr){ 30, sizeof(rec), 0, 5 };	/* a future type */
	w = ss_writer_open(p);
	REQUIRE(w != NULL);
	ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m));
	ss_writer_chunk(w, 99, "future chunk", 12);
	ss_writer_chunk(w, SS_CHUNK_EVENTS, rec, sizeof(rec));
	ss_writer_close(w, &(struct ss_trailer){ .records = 1 }, NULL);
	r = ss_reader_open(p, err, sizeof(err), &code);
	REQUIRE(r != NULL, "%s", err);
	while (ss_reader_next(r, &got) == 1)
		n++;
	CHECK_EQ(n, 1);
	CHECK_EQ(ss_reader_report_damage(r, p), SS_OK);
	ss_reader_close(r);
}

TEST(writer_failure_leaves_file_ending_on_a_whole_chunk)
{
	struct ss_meta m = { .ncpu = 1 };
	struct ss_writer *w = ss_writer_open("/dev/full");
	char big[4096] = { 0 };

	/* /dev/full refuses every write with ENOSPC. */
	if (!w) {
		CHECK_EQ(errno, ENOSPC);
		return;
	}
	CHECK_EQ(ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m)), -ENOSPC);
	CHECK_EQ(ss_writer_chunk(w, SS_CHUNK_EVENTS, big, sizeof(big)), -ENOSPC);
	CHECK_EQ(ss_writer_error(w), ENOSPC);
	ss_writer_close(w, &(struct ss_trailer){ .ncpu = 0 }, NULL);
}
