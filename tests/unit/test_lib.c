/* Helpers of the user library: histograms, id map, parsers, names, the
 * CPU flags and the words chosen for what tlb_flush counts show. */
#include <string.h>
#include <sys/utsname.h>

#include "analysis.h"
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

/* The sentence says what (or does not), printing it when it fails. */
#define SAYS(text, what) CHECK(strstr((text), (what)) != NULL, "\"%s\" not in \"%s\"", \
			       (what), (text))
#define NEVER_SAYS(text, what) CHECK(strstr((text), (what)) == NULL, "\"%s\" in \"%s\"", \
				     (what), (text))

TEST(cpu_flags_are_read_as_whole_words_of_the_flags_line)
{
	struct ss_cpu_caps c;

	ss_cpu_caps_parse(&c, "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
			  "flags\t\t: fpu vme pse pcid sse4_1 hypervisor invpcid rdpid\n"
			  "bugs\t\t: sysret_ss_attrs\n");
	CHECK_EQ(c.pcid, SS_FLAG_YES);
	CHECK_EQ(c.invpcid, SS_FLAG_YES);
	CHECK_EQ(c.hypervisor, SS_FLAG_YES);
	/* an EPYC guest without PCID: invpcid_single is not invpcid, and
	 * the bugs line is not read as flags */
	ss_cpu_caps_parse(&c, "processor\t: 0\nflags\t\t: fpu vme invpcid_single xpcid\n"
			  "bugs\t\t: pcid hypervisor\n");
	CHECK_EQ(c.pcid, SS_FLAG_NO);
	CHECK_EQ(c.invpcid, SS_FLAG_NO);
	CHECK_EQ(c.hypervisor, SS_FLAG_NO);
	/* pcid the last word of the line, no newline after it */
	ss_cpu_caps_parse(&c, "flags : fpu pcid");
	CHECK_EQ(c.pcid, SS_FLAG_YES);
	/* aarch64 has Features, not flags: nothing is known */
	ss_cpu_caps_parse(&c, "processor\t: 0\nFeatures\t: fp asimd evtstrm\n");
	CHECK_EQ(c.pcid, SS_FLAG_UNKNOWN);
	CHECK_EQ(c.hypervisor, SS_FLAG_UNKNOWN);
	ss_cpu_caps_parse(&c, "");
	CHECK_EQ(c.pcid, SS_FLAG_UNKNOWN);
}

TEST(tlb_words_without_pcid_say_every_switch_flushed_and_never_credit_pcid)
{
	/* the process ping-pong on an EPYC without PCID: 20013 process
	 * switches, 20012 full flushes */
	struct ss_tlb_counts t = { 20013, 20012, 0 };
	char w[400];

	ss_tlb_words(w, sizeof(w), &t, SS_FLAG_NO, "this CPU");
	SAYS(w, "this CPU has no PCID");
	SAYS(w, "20012 of 20013 mm switches flushed the whole TLB");
	NEVER_SAYS(w, "kept the TLB");
	NEVER_SAYS(w, "has PCID");
	NEVER_SAYS(w, "thanks to PCID");
	CHECK(ss_tlb_mostly_full(&t));
	CHECK(!ss_tlb_mostly_kept(&t));
	/* the same counts where the flags are not known: no cause at all */
	ss_tlb_words(w, sizeof(w), &t, SS_FLAG_UNKNOWN, "this CPU");
	SAYS(w, "20012 of 20013 mm switches flushed the whole TLB");
	SAYS(w, "whether the recording CPU had PCID is not in the trace");
	NEVER_SAYS(w, "has PCID");
	NEVER_SAYS(w, "no PCID");
	NEVER_SAYS(w, "kept the TLB");
}

TEST(tlb_words_with_pcid_credit_it_only_for_the_switches_that_kept_the_tlb)
{
	struct ss_tlb_counts kept = { 20013, 6, 0 }, flushed = { 500, 500, 0 };
	struct ss_tlb_counts part = { 100, 10, 30 }, none = { 0, 0, 0 };
	char w[400];

	ss_tlb_words(w, sizeof(w), &kept, SS_FLAG_YES, "this CPU");
	SAYS(w, "this CPU has PCID");
	SAYS(w, "kept the TLB on 20007 of 20013 mm switches");
	SAYS(w, "6 flushed all of it");
	NEVER_SAYS(w, "no PCID");
	CHECK(ss_tlb_mostly_kept(&kept));
	CHECK(!ss_tlb_mostly_full(&kept));
	/* PCID, yet every switch flushed (its ASIDs recycled): no credit */
	ss_tlb_words(w, sizeof(w), &flushed, SS_FLAG_YES, "this CPU");
	SAYS(w, "yet all 500 mm switches flushed");
	NEVER_SAYS(w, "kept the TLB");
	CHECK(!ss_tlb_mostly_kept(&flushed));
	/* kept counts without PCID credit where the flags are not known */
	ss_tlb_words(w, sizeof(w), &kept, SS_FLAG_UNKNOWN, "this CPU");
	SAYS(w, "6 of 20013 mm switches flushed the whole TLB, 20007 none");
	NEVER_SAYS(w, "has PCID");
	ss_tlb_words(w, sizeof(w), &part, SS_FLAG_YES, "the recording CPU");
	SAYS(w, "the recording CPU has PCID: it kept the TLB on 60 of 100");
	SAYS(w, "30 part of it");
	CHECK_STR(ss_tlb_words(w, sizeof(w), &none, SS_FLAG_YES, "this CPU"), "");
	/* no flush at all: no "0 flushed" */
	ss_tlb_words(w, sizeof(w), &(struct ss_tlb_counts){ 18327, 0, 0 }, SS_FLAG_YES, "this CPU");
	SAYS(w, "kept the TLB on 18327 of 18327 mm switches");
	NEVER_SAYS(w, "flushed all");
}

TEST(a_trace_is_this_boots_only_with_this_host_release_and_boot_time)
{
	struct ss_meta m = { 0 };
	struct utsname u;

	REQUIRE(uname(&u) == 0);
	snprintf(m.hostname, sizeof(m.hostname), "%s", u.nodename);
	snprintf(m.release, sizeof(m.release), "%s", u.release);
	m.start_ns = ss_now_ns();
	m.start_realtime_ns = ss_realtime_ns();
	CHECK(ss_meta_this_boot(&m));
	/* an hour earlier by the monotonic clock at the same wall time: the
	 * machine booted an hour later than this one did */
	m.start_ns -= 3600ull * 1000000000;
	CHECK(!ss_meta_this_boot(&m));
	m.start_ns += 3600ull * 1000000000;
	snprintf(m.hostname, sizeof(m.hostname), "elsewhere");
	CHECK(!ss_meta_this_boot(&m));
	snprintf(m.hostname, sizeof(m.hostname), "%s", u.nodename);
	snprintf(m.release, sizeof(m.release), "0.0-other");
	CHECK(!ss_meta_this_boot(&m));
	/* a trace without the wall clock (an old writer) */
	snprintf(m.release, sizeof(m.release), "%s", u.release);
	m.start_realtime_ns = 0;
	CHECK(!ss_meta_this_boot(&m));
}
