#include <string.h>

#include "hist.h"
#include "ss.h"

/* Bucket of v: values below SS_HIST_SUB map to themselves; above, the
 * power of two picks a group and the next 4 bits the step inside it. */
static unsigned int bucket(uint64_t v)
{
	unsigned int msb, shift;

	if (v < SS_HIST_SUB)
		return v;
	msb = 63 - __builtin_clzll(v);
	shift = msb - 4;
	return (shift + 1) * SS_HIST_SUB + ((v >> shift) & (SS_HIST_SUB - 1));
}

static uint64_t bucket_low(unsigned int b)
{
	unsigned int g = b / SS_HIST_SUB, s = b % SS_HIST_SUB;

	if (g == 0)
		return s;
	return (uint64_t)(SS_HIST_SUB + s) << (g - 1);
}

void ss_hist_add(struct ss_hist *h, uint64_t v)
{
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->b[bucket(v)]++;
}

uint64_t ss_hist_quantile(const struct ss_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (!h->count)
		return 0;
	rank = (uint64_t)(q * (h->count - 1)) + 1;
	for (unsigned int i = 0; i < SS_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t lo = bucket_low(i), hi = bucket_low(i + 1);
			uint64_t mid = lo + (hi - lo) / 2;

			if (i < SS_HIST_SUB)
				mid = lo;
			if (mid < h->min)
				mid = h->min;
			if (mid > h->max)
				mid = h->max;
			return mid;
		}
	}
	return h->max;
}

uint64_t ss_hist_avg(const struct ss_hist *h)
{
	return h->count ? h->sum / h->count : 0;
}

int ss_hist_log2(const struct ss_hist *h, uint64_t unit, uint64_t out[64])
{
	int used = 0;

	memset(out, 0, 64 * sizeof(out[0]));
	for (unsigned int i = 0; i < SS_HIST_BUCKETS; i++) {
		uint64_t v, u;
		int k;

		if (!h->b[i])
			continue;
		v = bucket_low(i);
		u = v / unit;
		k = u ? 63 - __builtin_clzll(u) : 0;
		out[k] += h->b[i];
		if (k + 1 > used)
			used = k + 1;
	}
	return used;
}

void ss_hist_row(FILE *f, const struct ss_hist *h)
{
	char b[6][SS_DUR_BUF];

	fprintf(f, "%9llu %9s %9s %9s %9s %9s %9s", (unsigned long long)h->count,
		ss_fmt_dur(b[0], SS_DUR_BUF, h->min),
		ss_fmt_dur(b[1], SS_DUR_BUF, ss_hist_avg(h)),
		ss_fmt_dur(b[2], SS_DUR_BUF, ss_hist_quantile(h, 0.50)),
		ss_fmt_dur(b[3], SS_DUR_BUF, ss_hist_quantile(h, 0.90)),
		ss_fmt_dur(b[4], SS_DUR_BUF, ss_hist_quantile(h, 0.99)),
		ss_fmt_dur(b[5], SS_DUR_BUF, h->max));
}

void ss_hist_print_log2(FILE *f, const struct ss_hist *h, const char *unit_name,
			uint64_t unit)
{
	uint64_t slots[64], top = 0;
	int used = ss_hist_log2(h, unit, slots);

	for (int i = 0; i < used; i++)
		if (slots[i] > top)
			top = slots[i];
	fprintf(f, "%22s : %-9s |%-40s|\n", unit_name, "count", "distribution");
	for (int i = 0; i < used; i++) {
		uint64_t lo = i ? 1ull << i : 0, hi = (1ull << (i + 1)) - 1;
		int stars = top ? (int)(slots[i] * 40 / top) : 0;
		char bar[41];

		memset(bar, '*', stars);
		bar[stars] = 0;
		fprintf(f, "%10llu -> %-9llu : %-9llu |%-40s|\n",
			(unsigned long long)lo, (unsigned long long)hi,
			(unsigned long long)slots[i], bar);
	}
}

void ss_hist_json(FILE *f, const struct ss_hist *h)
{
	fprintf(f, "{\"count\":%llu,\"min_ns\":%llu,\"avg_ns\":%llu,\"p50_ns\":%llu,"
		"\"p90_ns\":%llu,\"p99_ns\":%llu,\"max_ns\":%llu}",
		(unsigned long long)h->count, (unsigned long long)h->min,
		(unsigned long long)ss_hist_avg(h),
		(unsigned long long)ss_hist_quantile(h, 0.50),
		(unsigned long long)ss_hist_quantile(h, 0.90),
		(unsigned long long)ss_hist_quantile(h, 0.99),
		(unsigned long long)h->max);
}
