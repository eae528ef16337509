#include <stdio.h>
#include <string.h>
#include <time.h>

#define CORO_RING_NO_WRITER
#include "clockmap.h"
#include "coro_ring.h"
#include "ss.h"

int ss_clockmap_counter_usable(void)
{
	char cs[64] = "";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");

	if (!f)
		return 0;
	if (!fgets(cs, sizeof(cs), f))
		cs[0] = 0;
	fclose(f);
	cs[strcspn(cs, "\n")] = 0;
#if defined(__x86_64__)
	return strcmp(cs, "tsc") == 0;
#elif defined(__aarch64__)
	return strcmp(cs, "arch_sys_counter") == 0;
#else
	return 0;
#endif
}

void ss_clockmap_init(struct ss_clockmap *m)
{
	struct timespec pause = { 0, 2000000 };

	memset(m, 0, sizeof(*m));
	/* two points from the start, so that there is always a slope */
	ss_clockmap_sample(m);
	nanosleep(&pause, NULL);
	ss_clockmap_sample(m);
}

static const struct ss_clock_point *at(const struct ss_clockmap *m, unsigned int i)
{
	return &m->p[(m->first + i) % SS_CLOCKMAP_POINTS];
}

void ss_clockmap_sample(struct ss_clockmap *m)
{
	struct ss_clock_point best = { 0, 0 };
	uint64_t width = UINT64_MAX;

	/* A preemption between the reads widens the pair: keep the
	 * narrowest of a few. */
	for (int i = 0; i < 5; i++) {
		uint64_t a = ss_now_ns(), c = coro_ring_counter(), b = ss_now_ns();

		if (b - a < width) {
			width = b - a;
			best = (struct ss_clock_point){ c, a + (b - a) / 2 };
		}
	}
	if (m->n && best.counter <= at(m, m->n - 1)->counter)
		return;
	if (width / 2 > m->worst_ns)
		m->worst_ns = width / 2;
	if (m->n == SS_CLOCKMAP_POINTS) {
		m->first = (m->first + 1) % SS_CLOCKMAP_POINTS;
		m->n--;
		m->hint = 0;
	}
	m->p[(m->first + m->n) % SS_CLOCKMAP_POINTS] = best;
	m->n++;
}

static uint64_t line(const struct ss_clock_point *a, const struct ss_clock_point *b,
		     uint64_t c)
{
	double slope = (double)(b->ns - a->ns) / (double)(b->counter - a->counter);
	double d = (double)(int64_t)(c - a->counter) * slope;

	/* counters far from any point (garbage) saturate instead of wrapping */
	if (d > 9e18)
		return UINT64_MAX;
	if (d < -(double)a->ns)
		return 0;
	return a->ns + (int64_t)d;
}

uint64_t ss_clockmap_ns(struct ss_clockmap *m, uint64_t c)
{
	unsigned int lo = 0, hi;

	if (m->n < 2)
		return m->n ? at(m, 0)->ns : 0;
	if (c <= at(m, 0)->counter)
		return line(at(m, 0), at(m, 1), c);
	hi = m->n - 1;
	if (c >= at(m, hi)->counter)
		return line(at(m, hi - 1), at(m, hi), c);
	lo = m->hint < hi ? m->hint : 0;
	if (at(m, lo)->counter <= c && c < at(m, lo + 1)->counter)
		return line(at(m, lo), at(m, lo + 1), c);
	lo = 0;
	/* the segment [lo, lo + 1] that holds c */
	while (hi - lo > 1) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (at(m, mid)->counter <= c)
			lo = mid;
		else
			hi = mid;
	}
	m->hint = lo;
	return line(at(m, lo), at(m, lo + 1), c);
}

void ss_clockmap_scale(const struct ss_clockmap *m, uint64_t *mult, uint32_t *shift)
{
	const struct ss_clock_point *a, *b;

	*mult = 0;
	*shift = 32;
	if (m->n < 2)
		return;
	a = at(m, 0);
	b = at(m, m->n - 1);
	*mult = (uint64_t)((double)(b->ns - a->ns) / (double)(b->counter - a->counter) *
			   4294967296.0);
}
