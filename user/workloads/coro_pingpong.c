// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * coro-pingpong: pairs of coroutines hand a token back and forth, on each
 * of T threads (each thread runs its own scheduler). Prints one result
 * line of key=value fields:
 *
 *   coro-pingpong backend=asm mode=yield threads=1 pairs=1 switches=1000004
 *     elapsed_ns=4123456 ns_per_switch=4.12 cpu_ns_per_switch=4.10
 *
 * switches: context switches the runtime counted inside the measured
 * window, all threads; ns_per_switch: wall time per switch of one thread
 * (averaged over threads); cpu_ns_per_switch: the same in thread CPU time,
 * which leaves out time the thread spent preempted.
 *
 * Modes: yield (the token is a shared word, each pass is one coro_yield:
 * one switch) or chan (two unbuffered channels: two switches per round
 * trip, with park and ready on each).
 *
 * --rate R paces a yield pair to R switches per second (it spins until
 * each batch of 64 passes is due): the recorder's sustained rate is
 * measured with it.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coro.h"

struct pair {
	int turn;		/* whose turn: 0 or 1 (yield mode) */
	uint64_t passes;	/* passes each side makes */
	struct coro_chan *ab;	/* chan mode */
	struct coro_chan *ba;
};

struct side {
	struct pair *p;
	int me;			/* 0 or 1 */
};

struct thread_result {
	uint64_t switches;
	uint64_t wall_ns;
	uint64_t cpu_ns;
	int err;
};

static int mode_chan;
static uint64_t rate;		/* switches per second per pair (0: flat out) */
static unsigned int npairs = 1;
static uint64_t nswitches = 1000000;
static pthread_barrier_t start_barrier;

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *yield_side(void *arg)
{
	struct side *s = arg;
	struct pair *p = s->p;
	uint64_t t0 = rate ? clock_ns(CLOCK_MONOTONIC) : 0;

	for (uint64_t i = 0; i < p->passes;) {
		if (p->turn == s->me) {
			p->turn = !s->me;
			i++;
			/* both sides pass: 2 switches per i of each side */
			if (rate && !(i & 63))
				while (clock_ns(CLOCK_MONOTONIC) - t0 < i * 2000000000ull / rate)
					;
		}
		coro_yield();
	}
	return NULL;
}

static void *chan_side(void *arg)
{
	struct side *s = arg;
	struct pair *p = s->p;
	uint64_t token = 0;

	for (uint64_t i = 0; i < p->passes; i++) {
		if (s->me == 0) {
			token++;
			if (coro_chan_send(p->ab, &token) || coro_chan_recv(p->ba, &token))
				return (void *)1;
		} else {
			if (coro_chan_recv(p->ab, &token))
				return (void *)1;
			token++;
			if (coro_chan_send(p->ba, &token))
				return (void *)1;
		}
	}
	return NULL;
}

static void *thread_main(void *arg)
{
	struct thread_result *r = arg;
	struct pair *pairs = calloc(npairs, sizeof(*pairs));
	struct side *sides = calloc(2 * (size_t)npairs, sizeof(*sides));
	struct coro **cs = calloc(2 * (size_t)npairs, sizeof(*cs));
	struct coro_stats st0, st1;
	uint64_t w0, c0;

	if (!pairs || !sides || !cs) {
		r->err = ENOMEM;
		return NULL;
	}
	for (unsigned int i = 0; i < npairs; i++) {
		/* yield: each side's pass is one switch; chan: each round
		 * trip (a pass of side 0) is two */
		pairs[i].passes = nswitches / 2;
		if (mode_chan) {
			pairs[i].ab = coro_chan_new(sizeof(uint64_t), 0);
			pairs[i].ba = coro_chan_new(sizeof(uint64_t), 0);
			if (!pairs[i].ab || !pairs[i].ba) {
				r->err = ENOMEM;
				return NULL;
			}
		}
	}
	pthread_barrier_wait(&start_barrier);
	coro_get_stats(&st0);
	w0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (unsigned int i = 0; i < 2 * npairs; i++) {
		sides[i] = (struct side){ .p = &pairs[i / 2], .me = (int)(i % 2) };
		cs[i] = coro_create(mode_chan ? chan_side : yield_side, &sides[i], NULL);
		if (!cs[i]) {
			r->err = errno;
			return NULL;
		}
	}
	for (unsigned int i = 0; i < 2 * npairs; i++) {
		void *res;

		coro_join(cs[i], &res);
		if (res)
			r->err = EPIPE;
	}
	r->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	r->wall_ns = clock_ns(CLOCK_MONOTONIC) - w0;
	coro_get_stats(&st1);
	r->switches = st1.switches - st0.switches;
	for (unsigned int i = 0; i < npairs; i++) {
		coro_chan_free(pairs[i].ab);
		coro_chan_free(pairs[i].ba);
	}
	free(pairs);
	free(sides);
	free(cs);
	return NULL;
}

static void *thread_run(void *arg)
{
	struct thread_result *r = arg;
	int rc = coro_run(thread_main, r, NULL);

	if (rc)
		r->err = -rc;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: coro-pingpong [--backend asm|ucontext] [--threads T] "
		"[--switches N] [--pairs P] [--mode yield|chan] [--rate R]\n"
		"  N switches per pair (default 1000000), P pairs per thread (1),\n"
		"  T threads each running a scheduler (1), R switches per second\n"
		"  per pair (yield mode; default: as fast as it goes).\n");
}

static int parse_num(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "switches", required_argument, NULL, 'n' },
		{ "pairs", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t nthreads = 1, v, switches = 0;
	double per_sw = 0, cpu_per_sw = 0, wall_max = 0;
	struct thread_result *res;
	pthread_t *tids;
	int c;

	while ((c = getopt_long(argc, argv, "b:t:n:p:m:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (strcmp(optarg, "asm") == 0)
				coro_set_backend(CORO_BACKEND_ASM);
			else if (strcmp(optarg, "ucontext") == 0)
				coro_set_backend(CORO_BACKEND_UCONTEXT);
			else
				goto bad;
			break;
		case 't':
			if (parse_num(optarg, 1, 4096, &nthreads))
				goto bad;
			break;
		case 'n':
			if (parse_num(optarg, 2, UINT64_MAX / 2, &nswitches))
				goto bad;
			break;
		case 'p':
			if (parse_num(optarg, 1, 1000000, &v))
				goto bad;
			npairs = (unsigned int)v;
			break;
		case 'm':
			if (strcmp(optarg, "chan") == 0)
				mode_chan = 1;
			else if (strcmp(optarg, "yield") != 0)
				goto bad;
			break;
		case 'r':
			if (parse_num(optarg, 1, 10000000000ull, &rate))
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;

	res = calloc(nthreads, sizeof(*res));
	tids = calloc(nthreads, sizeof(*tids));
	if (!res || !tids || pthread_barrier_init(&start_barrier, NULL, (unsigned int)nthreads)) {
		fprintf(stderr, "coro-pingpong: out of memory\n");
		return 1;
	}
	for (uint64_t i = 0; i < nthreads; i++) {
		if (pthread_create(&tids[i], NULL, thread_run, &res[i])) {
			fprintf(stderr, "coro-pingpong: cannot create thread %llu\n",
				(unsigned long long)i);
			return 1;
		}
	}
	for (uint64_t i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	for (uint64_t i = 0; i < nthreads; i++) {
		if (res[i].err) {
			fprintf(stderr, "coro-pingpong: thread %llu: %s\n",
				(unsigned long long)i, strerror(res[i].err));
			return 1;
		}
		switches += res[i].switches;
		per_sw += (double)res[i].wall_ns / (double)res[i].switches / (double)nthreads;
		cpu_per_sw += (double)res[i].cpu_ns / (double)res[i].switches / (double)nthreads;
		if (res[i].wall_ns > wall_max)
			wall_max = (double)res[i].wall_ns;
	}
	printf("coro-pingpong backend=%s mode=%s threads=%llu pairs=%u switches=%llu "
	       "elapsed_ns=%.0f ns_per_switch=%.2f cpu_ns_per_switch=%.2f\n",
	       coro_backend_name(coro_get_backend()), mode_chan ? "chan" : "yield",
	       (unsigned long long)nthreads, npairs, (unsigned long long)switches,
	       wall_max, per_sw, cpu_per_sw);
	return 0;
bad:
	usage(stderr);
	return 2;
}
