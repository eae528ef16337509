/* The recorder's sink: records that arrive out of order leave in time
 * order, none lost, losses become inline records and trailer counts. */
#include "harness.h"
#include "sink.h"
#include "testutil.h"
#include "trace.h"

TEST(sink_writes_out_of_order_records_in_time_order)
{
	const char *p = tu_tmp("sink.trace");
	struct ss_meta m = { .ncpu = 4 };
	uint64_t records, lost, count[SS_EV_MAX], bytes, prev = 0;
	const struct ss_hdr *h;
	struct ss_writer *w = ss_writer_open(p);
	struct ss_reader *r;
	struct ss_sink *s;
	char err[128];
	long n = 0, nlost = 0;
	int code;

	REQUIRE(w != NULL);
	ss_writer_chunk(w, SS_CHUNK_META, &m, sizeof(m));
	s = ss_sink_new(w, 4);
	REQUIRE(s != NULL);
	/* Four "CPUs" delivering interleaved batches, each 3 ms behind the
	 * other, with flushes in between as the recorder does. */
	for (int batch = 0; batch < 200; batch++) {
		for (int cpu = 0; cpu < 4; cpu++) {
			for (int i = 0; i < 100; i++) {
				struct ss_switch e = { .hdr = { SS_EV_SWITCH, sizeof(e), cpu,
					(uint64_t)batch * 1000000 + i * 10000 + cpu * 3000000 + 1 } };

				ss_sink_add(s, &e.hdr);
			}
		}
		if (batch == 50)
			ss_sink_lost(s, 2, 17, (uint64_t)batch * 1000000, SS_LOST_RINGBUF);
		ss_sink_flush(s, 0);
	}
	REQUIRE(ss_sink_close(s, 999999999999ull, &records, &lost, count, &bytes) == 0);
	CHECK_EQ(count[SS_EV_SWITCH], 200 * 4 * 100);
	CHECK_EQ(lost, 17);
	r = ss_reader_open(p, err, sizeof(err), &code);
	REQUIRE(r != NULL, "%s", err);
	while (ss_reader_next(r, &h) == 1) {
		CHECK(h->ts >= prev, "record %ld at %llu after %llu", n,
		      (unsigned long long)h->ts, (unsigned long long)prev);
		prev = h->ts;
		n++;
		if (h->type == SS_EV_LOST)
			nlost += ((const struct ss_lost *)h)->count;
	}
	CHECK_EQ(n, 200 * 4 * 100 + 1);
	CHECK_EQ(nlost, 17);
	REQUIRE(ss_reader_trailer(r) != NULL);
	CHECK_EQ(ss_reader_trailer(r)->lost, 17);
	CHECK_EQ(ss_reader_lost_per_cpu(r)[2], 17);
	ss_reader_close(r);
}
