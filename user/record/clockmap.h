/* The CPU's cycle counter (rdtsc, cntvct_el0) mapped to CLOCK_MONOTONIC,
 * for records that user space timestamps with the counter (the coroutine
 * trace ring): points (counter, monotonic) taken by the recorder, and
 * linear interpolation between them. */
#ifndef SS_CLOCKMAP_H
#define SS_CLOCKMAP_H

#include <stdint.h>

#define SS_CLOCKMAP_POINTS 8192	/* kept: 80 s at one point per 10 ms */

struct ss_clock_point {
	uint64_t counter;
	uint64_t ns;
};

struct ss_clockmap {
	struct ss_clock_point p[SS_CLOCKMAP_POINTS];	/* a ring, oldest at first */
	unsigned int first, n;
	uint64_t worst_ns;	/* widest uncertainty of a point kept (half the
				 * clock_gettime pair around its counter read) */
	unsigned int hint;	/* segment of the last lookup: records come in
				 * time order, mostly */
};

/* 1 when the kernel keeps CLOCK_MONOTONIC on this counter (clocksource
 * tsc / arch_sys_counter): then the counter runs at a constant rate and in
 * step across CPUs, and converting it loses nothing but the fit. */
int ss_clockmap_counter_usable(void);
void ss_clockmap_init(struct ss_clockmap *m);
/* Take a point now (the best of a few tries). */
void ss_clockmap_sample(struct ss_clockmap *m);
uint64_t ss_clockmap_ns(struct ss_clockmap *m, uint64_t counter);
/* Fixed-point scale ns = ticks * mult >> shift of the newest fit. */
void ss_clockmap_scale(const struct ss_clockmap *m, uint64_t *mult, uint32_t *shift);

#endif
