/* Latency distributions: a log-linear histogram (16 steps per power of
 * two, so percentiles are within 1/16 of the true value) plus exact count,
 * sum, min and max. Fixed size, no samples kept: any trace length. */
#ifndef SS_HIST_H
#define SS_HIST_H

#include <stdint.h>
#include <stdio.h>

#define SS_HIST_SUB	16
#define SS_HIST_BUCKETS	(64 * SS_HIST_SUB)

struct ss_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint32_t b[SS_HIST_BUCKETS];
};

void ss_hist_add(struct ss_hist *h, uint64_t v);
/* Value at quantile q (0..1): the middle of its bucket, clamped to
 * [min, max]. 0 when empty. */
uint64_t ss_hist_quantile(const struct ss_hist *h, double q);
uint64_t ss_hist_avg(const struct ss_hist *h);
/* Counts per power of two of v / unit (slot k: [2^k, 2^(k+1)) units, slot
 * 0 also holds 0); returns the number of slots used. */
int ss_hist_log2(const struct ss_hist *h, uint64_t unit, uint64_t out[64]);

/* Print "count min avg p50 p90 p99 max" cells for a table row. */
void ss_hist_row(FILE *f, const struct ss_hist *h);
/* A runqlat-style log2 histogram in microseconds. */
void ss_hist_print_log2(FILE *f, const struct ss_hist *h, const char *unit_name,
			uint64_t unit);
/* {"count":..,"min_ns":..,"avg_ns":..,"p50_ns":..,"p90_ns":..,"p99_ns":..,
 *  "max_ns":..} */
void ss_hist_json(FILE *f, const struct ss_hist *h);

#endif
