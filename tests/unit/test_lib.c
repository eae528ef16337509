/* Helpers of the user library: histograms, id map, parsers, names. */
#include "harness.h"
#include "hist.h"
#include "idmap.h"
#include "ss.h"

TEST(hist_quantiles_are_within_one_sixteenth)
{
	static struct ss_hist h;

	for (uint64_t v = 1; v <= 100000; v++)
		ss_hist_add(&h, v);
	CHECK_EQ(h.count, 100000);
	CHECK_EQ(h.min, 1);
	CHECK_EQ(h.max, 100000);
	CHECK_EQ(ss_hist_avg(&h), 50000);
	for (double q = 0.1; q < 1.0; q += 0.1) {
		double want = q * 100000, got = ss_hist_quantile(&h, q);

		CHECK(got > want * 15 / 16 && got < want * 17 / 16,
		      "q=%.1f want %.0f got %.0f", q, want, got);
	}
	CHECK_EQ(ss_hist_quantile(&h, 1.0), 100000);
}

TEST(hist_small_values_are_exact_and_log2_slots_add_up)
{
	static struct ss_hist h;
	uint64_t slots[64], sum = 0;
	int used;

	for (int i = 0; i < 10; i++)
		ss_hist_add(&h, 7);
	CHECK_EQ(ss_hist_quantile(&h, 0.5), 7);
	ss_hist_add(&h, 5000);	/* 5 us */
	used = ss_hist_log2(&h, 1000, slots);
	CHECK_EQ(used, 3);	/* slot 2: 4..7 us */
	CHECK_EQ(slots[0], 10);
	CHECK_EQ(slots[2], 1);
	for (int i = 0; i < used; i++)
		sum += slots[i];
	CHECK_EQ(sum, h.count);
}

TEST(idmap_keeps_a_million_keys)
{
	struct ss_idmap *m = ss_idmap_new();

	REQUIRE(m != NULL);
	for (uint32_t i = 0; i < 1000000; i++)
		REQUIRE(ss_idmap_put(m, (uint64_t)i * 7919, i) == 0);
	for (uint32_t i = 0; i < 1000000; i += 997)
		CHECK_EQ(ss_idmap_get(m, (uint64_t)i * 7919), i);
	CHECK_EQ(ss_idmap_get(m, 3), -1);
	ss_idmap_put(m, 0, 42);
	CHECK_EQ(ss_idmap_get(m, 0), 42);
	ss_idmap_free(m);
}

TEST(parsers_accept_units_and_reject_junk)
{
	uint64_t v;

	CHECK(ss_parse_dur("1.5", &v) == 0 && v == 1500000000ull);
	CHECK(ss_parse_dur("200ms", &v) == 0 && v == 200000000ull);
	CHECK(ss_parse_dur("3us", &v) == 0 && v == 3000);
	CHECK(ss_parse_dur("10x", &v) != 0);
	CHECK(ss_parse_dur("-1", &v) != 0);
	CHECK(ss_parse_size("64K", 20, &v) == 0 && v == 65536);
	CHECK(ss_parse_size("16", 20, &v) == 0 && v == 16u << 20);
	CHECK(ss_parse_size("2G", 20, &v) == 0 && v == 2ull << 30);
	CHECK(ss_parse_size("1T", 20, &v) != 0);
	CHECK(ss_parse_u64("12a", &v) != 0);
	CHECK(ss_parse_u64("18446744073709551616", &v) != 0);
}

TEST(time_formatter_keeps_three_significant_digits)
{
	char b[SS_DUR_BUF];

	CHECK_STR(ss_fmt_dur(b, sizeof(b), 999), "999 ns");
	CHECK_STR(ss_fmt_dur(b, sizeof(b), 1234), "1.23 us");
	CHECK_STR(ss_fmt_dur(b, sizeof(b), 12345678), "12.3 ms");
	CHECK_STR(ss_fmt_dur(b, sizeof(b), 123456789012ull), "123 s");
}

TEST(syscall_names_cover_both_abis)
{
	CHECK_STR(ss_syscall_name("x86_64", 14), "rt_sigprocmask");
	CHECK_STR(ss_syscall_name("x86_64", 202), "futex");
	CHECK_STR(ss_syscall_name("x86_64", 336), "uprobe");
	CHECK_STR(ss_syscall_name("aarch64", 135), "rt_sigprocmask");
	CHECK_STR(ss_syscall_name("aarch64", 98), "futex");
	CHECK(ss_syscall_name("x86_64", 100000) == NULL);
	CHECK(ss_syscall_name("sparc", 1) == NULL);
}
