/* Compressed event chunks (format 2.1): they read back record for record,
 * and every damage the reader knows is found inside them too: a flipped
 * bit, a size that lies, a decompression bomb (refused before any
 * allocation), a bad record, a chunk cut short, a chunk removed. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zstd.h>

#include "harness.h"
#include "ss.h"
#include "testutil.h"
#include "trace.h"
#include "trace_int.h"
#include "tracefix.h"

#define NREC (40 * TF_PER_CHUNK)

static struct ss_zchunk zhead(const char *p, off_t off)
{
	struct ss_zchunk z = { 0 };
	void *b = tf_read(p, off + sizeof(struct ss_chunk), sizeof(z));

	if (b)
		memcpy(&z, b, sizeof(z));
	free(b);
	return z;
}

/* Records of any type read from p; its damage and exit code. */
static int read_any(const char *p, struct ss_damage *d, int *code)
{
	const struct ss_hdr *h;
	struct ss_reader *r;
	char err[256];
	int n = 0;

	r = ss_reader_open(p, err, sizeof(err), code);
	if (!r) {
		ss_test_fail(__FILE__, __LINE__, "%s", err);
		return -1;
	}
	while (ss_reader_next(r, &h) == 1)
		n++;
	*d = *ss_reader_damage(r);
	*code = ss_reader_report_damage(r, p);
	ss_reader_close(r);
	return n;
}

TEST(compressed_chunks_read_back_record_for_record)
{
	const char *p = tu_tmp("z.trace"), *plain = tu_tmp("zplain.trace");
	struct ss_damage d;
	struct ss_chunk ch;
	int code;

	tf_write_z(p, NREC, 1, SS_ZSTD_LEVEL);
	tf_write(plain, NREC, 1);
	CHECK_EQ(tf_count(p, &code, &d), NREC);
	CHECK_EQ(code, SS_OK);
	CHECK_EQ(d.bytes_dropped, 0);
	REQUIRE(tf_chunk(p, 0, &ch) > 0);
	CHECK_EQ(ch.type, SS_CHUNK_ZEVENTS);
	CHECK(tf_size(p) * 4 < tf_size(plain), "%lld vs %lld bytes",
	      (long long)tf_size(p), (long long)tf_size(plain));
}

/* What does not shrink is written plain; both kinds mix in one file. */
TEST(plain_and_compressed_chunks_mix_in_one_file)
{
	const char *p = tu_tmp("zmix.trace");
	struct ss_meta m = { .clock_id = SS_CLOCK_MONOTONIC, .ncpu = 1 };
	struct ss_trailer t = { .ncpu = 0, .records = 3 };
	char noise[4096];
	struct ss_hdr *h = (void *)noise;
	struct ss_writer *w = ss_writer_open(p);
	struct ss_switch sw = { .hdr = { SS_EV_SWITCH, sizeof(sw), 0, 10 } };
	struct ss_chunk ch;
	struct ss_damage d;
	int code;

	REQUIRE(w != NULL);
	for (size_t i = 0; i < sizeof(noise); i++)
		noise[i] = (char)(rand() >> 7);
	*h = (struct ss_hdr){ 99, sizeof(noise), 0, 5 };	/* unknown type */
	REQUIRE(ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m)) == 0);
	REQUIRE(ss_writer_compress(w, 1) == 0);
	REQUIRE(ss_writer_chunk(w, SS_CHUNK_EVENTS, noise, sizeof(noise)) == 0);
	REQUIRE(ss_writer_chunk(w, SS_CHUNK_EVENTS, &sw, sizeof(sw)) == 0);
	REQUIRE(ss_writer_compress(w, 0) == 0);
	REQUIRE(ss_writer_chunk(w, SS_CHUNK_EVENTS, &sw, sizeof(sw)) == 0);
	REQUIRE(ss_writer_close(w, &t, NULL) == 0);
	CHECK(tf_chunk(p, 0, &ch) > 0 && ch.type == SS_CHUNK_EVENTS, "noise: type %u", ch.type);
	CHECK_EQ(read_any(p, &d, &code), 3);
	CHECK_EQ(code, SS_OK);
}

TEST(flipped_bit_in_compressed_payload_drops_that_chunk)
{
	const char *p = tu_tmp("zflip.trace");
	struct ss_damage d;
	struct ss_chunk ch;
	off_t off;
	char *b;
	int code;

	tf_write_z(p, NREC, 1, SS_ZSTD_LEVEL);
	off = tf_chunk(p, 6, &ch);
	REQUIRE(off > 0);
	b = tf_read(p, off + sizeof(ch) + ch.size / 2, 1);
	REQUIRE(b != NULL);
	*b ^= 0x10;
	tf_patch(p, off + sizeof(ch) + ch.size / 2, b, 1);
	free(b);
	CHECK_EQ(tf_count(p, &code, &d), NREC - TF_PER_CHUNK);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK_EQ(d.bad_chunks, 1);
	CHECK_EQ(d.bad_offset, off);
	CHECK_EQ(d.bytes_dropped, sizeof(ch) + ch.size);
	/* The same bit with the CRCs made to match: the frame's own
	 * checksum (or its structure) still refuses it. */
	tf_fix_crc(p, off);
	CHECK_EQ(tf_count(p, &code, &d), NREC - TF_PER_CHUNK);
	CHECK_EQ(d.bad_chunks, 1);
}

/* A head whose fields disagree with its frame, CRCs recomputed so that
 * only the decompressor's checks stand between it and a misread. */
static void lie(const char *p, size_t field, uint32_t value)
{
	struct ss_damage d;
	struct ss_chunk ch;
	off_t off;
	int code;

	tf_write_z(p, NREC, 1, SS_ZSTD_LEVEL);
	off = tf_chunk(p, 3, &ch);
	REQUIRE(off > 0);
	tf_patch(p, off + sizeof(ch) + field, &value, sizeof(value));
	tf_fix_crc(p, off);
	CHECK_EQ(tf_count(p, &code, &d), NREC - TF_PER_CHUNK);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK_EQ(d.bad_chunks, 1);
	CHECK_EQ(d.bad_offset, off);
}

TEST(lying_sizes_and_codec_in_a_compressed_chunk_are_damage)
{
	const char *p = tu_tmp("zlie.trace");
	uint32_t us = TF_PER_CHUNK * sizeof(struct ss_switch);
	struct ss_chunk ch;
	struct ss_zchunk z;

	tf_write_z(p, NREC, 1, SS_ZSTD_LEVEL);
	z = zhead(p, tf_chunk(p, 3, &ch));
	CHECK_EQ(z.usize, us);
	lie(p, offsetof(struct ss_zchunk, usize), us + 8);
	lie(p, offsetof(struct ss_zchunk, usize), us - 8);
	lie(p, offsetof(struct ss_zchunk, usize), 0);
	lie(p, offsetof(struct ss_zchunk, usize), us + 3);
	lie(p, offsetof(struct ss_zchunk, csize), z.csize - 1);
	lie(p, offsetof(struct ss_zchunk, csize), z.csize + 64);
	lie(p, offsetof(struct ss_zchunk, codec), 2);
}

static long maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* A real frame of 256 MiB of zeros (a few KiB stored) in place of chunk 2,
 * its head claiming usize: refused, and no 256 MiB ever allocated. */
static void bomb(const char *p, uint32_t usize)
{
	size_t total = 256u << 20, step = 1u << 20, cap = 64u << 10;
	char *zero = calloc(1, step), *out = malloc(cap);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_outBuffer ob = { out + sizeof(struct ss_chunk) + sizeof(struct ss_zchunk),
			      cap - 64, 0 };
	struct ss_chunk ch = { .magic = SS_CHUNK_MAGIC, .type = SS_CHUNK_ZEVENTS };
	struct ss_zchunk z = { .usize = usize, .codec = SS_ZCODEC_ZSTD };
	struct ss_damage d;
	struct ss_chunk old;
	long rss0;
	off_t off;
	int code;

	REQUIRE(zero && out && c);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setPledgedSrcSize(c, total);
	for (size_t done = 0; done < total; done += step) {
		ZSTD_inBuffer ib = { zero, step, 0 };
		ZSTD_EndDirective e = done + step == total ? ZSTD_e_end : ZSTD_e_continue;
		size_t left;

		do
			left = ZSTD_compressStream2(c, &ob, &ib, e);
		while (!ZSTD_isError(left) && (ib.pos < ib.size || (e == ZSTD_e_end && left)));
		REQUIRE(!ZSTD_isError(left), "%s", ZSTD_getErrorName(left));
	}
	ZSTD_freeCCtx(c);
	CHECK_EQ(ZSTD_getFrameContentSize(ob.dst, ob.pos), total);
	z.csize = ob.pos;
	ch.size = (sizeof(z) + ob.pos + 7) & ~7ul;
	memset((char *)ob.dst + ob.pos, 0, 8);
	memcpy(out + sizeof(ch), &z, sizeof(z));
	tf_write_z(p, NREC, 1, SS_ZSTD_LEVEL);
	off = tf_chunk(p, 2, &old);
	REQUIRE(off > 0);
	ch.seq = old.seq;
	memcpy(out, &ch, sizeof(ch));
	tf_splice(p, off, sizeof(old) + old.size, out, sizeof(ch) + ch.size);
	tf_fix_crc(p, off);
	rss0 = maxrss_kb();
	CHECK_EQ(tf_count(p, &code, &d), NREC - TF_PER_CHUNK);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK_EQ(d.bad_chunks, 1);
	CHECK_EQ(d.bad_offset, off);
	CHECK(maxrss_kb() - rss0 < 32 * 1024, "peak RSS grew by %ld KiB",
	      maxrss_kb() - rss0);
	free(zero);
	free(out);
}

TEST(decompression_bomb_is_refused_before_allocating)
{
	bomb(tu_tmp("zbomb.trace"), 256u << 20);	/* over SS_CHUNK_MAX */
	bomb(tu_tmp("zbomb2.trace"), 4096);	/* a head that lies low */
}

/* A record with a bad size inside a good compressed chunk: the rest of
 * that chunk is dropped, reported at the chunk (its records have no file
 * offset), the bytes counted uncompressed. */
TEST(bad_record_inside_a_compressed_chunk_drops_the_rest_of_it)
{
	const char *p = tu_tmp("zrec.trace");
	struct ss_meta m = { .clock_id = SS_CLOCK_MONOTONIC, .ncpu = 1 };
	struct ss_switch sw[8] = { 0 };
	struct ss_writer *w = ss_writer_open(p);
	struct ss_damage d;
	struct ss_chunk ch;
	int code;

	REQUIRE(w != NULL);
	for (int i = 0; i < 8; i++)
		sw[i].hdr = (struct ss_hdr){ SS_EV_SWITCH, sizeof(sw[0]), 0, 100 + i };
	sw[5].hdr.size = 12;
	REQUIRE(ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m)) == 0);
	REQUIRE(ss_writer_compress(w, SS_ZSTD_LEVEL) == 0);
	REQUIRE(ss_writer_chunk(w, SS_CHUNK_EVENTS, sw, sizeof(sw)) == 0);
	REQUIRE(ss_writer_close(w, &(struct ss_trailer){ .records = 8 }, NULL) == 0);
	REQUIRE(tf_chunk(p, 0, &ch) > 0 && ch.type == SS_CHUNK_ZEVENTS);
	CHECK_EQ(read_any(p, &d, &code), 5);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK_EQ(d.bad_records, 1);
	CHECK_EQ(d.bad_offset, tf_chunk(p, 0, &ch));
	CHECK_EQ(d.bytes_dropped, 3 * sizeof(sw[0]));
}

/* A killed recorder's file: no trailer, the last chunk cut short. */
TEST(compressed_chunk_cut_short_is_dropped)
{
	const char *p = tu_tmp("zcut.trace");
	struct ss_damage d;
	struct ss_chunk ch;
	off_t off;
	int code;

	tf_write_z(p, NREC, 0, SS_ZSTD_LEVEL);
	off = tf_chunk(p, 39, &ch);
	REQUIRE(off > 0);
	REQUIRE(truncate(p, off + sizeof(ch) + ch.size / 2) == 0);
	CHECK_EQ(tf_count(p, &code, &d), NREC - TF_PER_CHUNK);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK(d.truncated);
	CHECK(d.no_trailer);
	CHECK_EQ(d.bad_offset, off);
}

TEST(compressed_chunk_removed_is_counted_missing)
{
	const char *p = tu_tmp("zgone.trace");
	struct ss_damage d;
	struct ss_chunk ch;
	off_t off;
	int code;

	tf_write_z(p, NREC, 1, SS_ZSTD_LEVEL);
	off = tf_chunk(p, 8, &ch);
	REQUIRE(off > 0);
	tf_splice(p, off, sizeof(ch) + ch.size, NULL, 0);
	CHECK_EQ(tf_count(p, &code, &d), NREC - TF_PER_CHUNK);
	CHECK_EQ(code, SS_EXIT_DAMAGED);
	CHECK_EQ(d.missing_chunks, 1);
	CHECK(d.count_mismatch);
}

/* The fuzzer found it: an empty payload arrives as NULL, and the frame's
 * address was computed from it before the size was checked (UBSan). */
TEST(empty_compressed_payload_is_damage_not_pointer_arithmetic_on_null)
{
	CHECK_EQ(tr_zunpack(NULL, NULL, 0), -1);
	CHECK_EQ(tr_zunpack(NULL, "", 0), -1);
}
