/*
 * What tracing costs per coroutine switch, with a libbpf USDT consumer
 * attached (tests/coro/coro_usdt.bpf.c, on_count: the cheapest program, so
 * the figure is the probe mechanism's cost, not the consumer's work).
 *
 *   untraced      coro-pingpong, nothing attached
 *   stats only    coro:stats attached: every switch is timed (two
 *                 clock reads), a probe hit every 4096 switches
 *   nop5          coro:switch attached, probe site on the 5-byte nop
 *                 (the kernel can turn the trap into a call)
 *   nop1          the same program built with sys/sdt.h's 1-byte nop
 *                 (every hit is an int3 trap)
 *
 * Figures are thread CPU time per switch, fastest of several alternating
 * runs; the hit counts are checked against the switches done. A traced
 * switch also reads the clock twice (start_ns, dur_ns), which both nop
 * kinds pay alike; so the bare hit is measured too: coro-probe-loop calls
 * a 5-byte and a 1-byte probe site in a loop, nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coro_bench.h"
#include "usdt_attach.h"

#define ROUNDS 5
#define SWITCHES "200000"

static const char *nop5_bin, *nop1_bin;

/* One coro-pingpong run; checks that the consumer saw every switch. */
static double run(struct usdt_session *u, const char *bin, int want_hits)
{
	char out[512];
	char *argv[] = { (char *)bin, "--switches", SWITCHES, NULL };
	double ns, sw;
	int st = usdt_run(u, argv, NULL, NULL, out, sizeof(out));

	if (st != 0 || bench_kv(out, "cpu_ns_per_switch", &ns) || bench_kv(out, "switches", &sw)) {
		fprintf(stderr, "coro_traced: %s failed (status %#x): %s\n", bin, st, out);
		exit(1);
	}
	if (want_hits && (double)usdt_hits(u) < sw) {
		fprintf(stderr, "coro_traced: %s: %llu probe hits for %.0f switches\n", bin,
			(unsigned long long)usdt_hits(u), sw);
		exit(1);
	}
	return ns;
}

static struct usdt_session *session(const char *probe)
{
	char err[256];
	struct usdt_session *u = usdt_open(err, sizeof(err));

	if (!u) {
		fprintf(stderr, "coro_traced: %s\n", err);
		exit(1);
	}
	if (probe && (usdt_attach(u, 1, nop5_bin, "coro", probe, 5, err, sizeof(err)) ||
		      usdt_attach(u, 1, nop1_bin, "coro", probe, 1, err, sizeof(err)))) {
		fprintf(stderr, "coro_traced: %s\n", err);
		exit(1);
	}
	return u;
}

/* The bare probe hit: coro-probe-loop untraced, then traced. */
static void bare_hits(void)
{
	char err[256], out[512], path[4096];
	char *argv[] = { path, "200000", NULL };
	double b5[ROUNDS], b1[ROUNDS], h5[ROUNDS], h1[ROUNDS];
	struct usdt_session *u;
	double v5, v1;

	snprintf(path, sizeof(path), "%s", bench_path("tests/bench/coro-probe-loop"));
	for (int traced = 0; traced < 2; traced++) {
		u = usdt_open(err, sizeof(err));
		if (!u || (traced && (usdt_attach(u, 1, path, "coro_test", "p5", 5, err, sizeof(err)) ||
				      usdt_attach(u, 1, path, "coro_test", "p1", 1, err, sizeof(err))))) {
			fprintf(stderr, "coro_traced: %s\n", err);
			exit(1);
		}
		for (int i = 0; i < ROUNDS; i++) {
			if (usdt_run(u, argv, NULL, NULL, out, sizeof(out)) != 0 ||
			    bench_kv(out, "nop5_ns", &v5) || bench_kv(out, "nop1_ns", &v1) ||
			    (traced && usdt_hits(u) != 2 * 200000)) {
				fprintf(stderr, "coro_traced: %s failed: %s\n", path, out);
				exit(1);
			}
			(traced ? h5 : b5)[i] = v5;
			(traced ? h1 : b1)[i] = v1;
		}
		usdt_close(u);
	}
	v5 = bench_min(h5, ROUNDS) - bench_min(b5, ROUNDS);
	v1 = bench_min(h1, ROUNDS) - bench_min(b1, ROUNDS);
	bench_print("coro_probe_hit_nop5", v5, "ns");
	bench_print("coro_probe_hit_nop1", v1, "ns");
	bench_print("coro_probe_hit_nop1_vs_nop5", v1 / v5, "ratio");
}

int main(void)
{
	double base[ROUNDS], stats[ROUNDS], n5[ROUNDS], n1[ROUNDS];
	double b, s, t5, t1;
	struct usdt_session *u;
	char path5[4096], path1[4096];

	snprintf(path5, sizeof(path5), "%s", bench_path("tests/coro/coro-pingpong-nop5"));
	snprintf(path1, sizeof(path1), "%s", bench_path("bin/coro-pingpong"));
	nop5_bin = path5;
	nop1_bin = path1;

	u = session(NULL);
	for (int i = 0; i < ROUNDS; i++)
		base[i] = run(u, nop5_bin, 0);
	usdt_close(u);

	u = session("stats");
	for (int i = 0; i < ROUNDS; i++)
		stats[i] = run(u, nop5_bin, 0);
	usdt_close(u);

	u = session("switch");
	for (int i = 0; i < ROUNDS; i++) {
		n5[i] = run(u, nop5_bin, 1);
		n1[i] = run(u, nop1_bin, 1);
	}
	usdt_close(u);

	b = bench_min(base, ROUNDS);
	s = bench_min(stats, ROUNDS);
	t5 = bench_min(n5, ROUNDS);
	t1 = bench_min(n1, ROUNDS);
	bench_print("coro_traced_untraced_switch", b, "ns");
	bench_print("coro_traced_stats_only_switch", s, "ns");
	bench_print("coro_traced_switch_nop5", t5, "ns");
	bench_print("coro_traced_switch_nop1", t1, "ns");
	bench_print("coro_traced_nop1_vs_nop5", t1 / t5, "ratio");
	bench_print("coro_traced_vs_untraced", t5 / b, "ratio");
	bare_hits();
	return 0;
}
