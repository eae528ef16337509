/* Helpers of the coroutine runtime's benchmarks (tests/bench/coro_*). */
#ifndef CORO_BENCH_H
#define CORO_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* "bench: <name> <value> <unit>", the line `make bench` collects. */
void bench_print(const char *name, double value, const char *unit);

double bench_min(const double *v, int n);
double bench_median(double *v, int n);
uint64_t bench_now_ns(void);

/* Run argv (argv[0] a path) with stdout captured into out; returns the
 * wait status or -1. */
int bench_run(char *const argv[], char *out, size_t outlen);

/* Value of key=<number> in a line; 0 if found. */
int bench_kv(const char *line, const char *key, double *out);

/* Path of a program in the build tree, relative to this executable
 * (build/tests/bench/X -> build/REL). */
const char *bench_path(const char *rel);

#endif
