/* A runtime that is not ours writing the trace ring with the header-only
 * writer of include/coro_ring.h, and its one probe, coro:ring, by hand
 * with plain sys/sdt.h: what another runtime adopting the ring does.
 *
 *   ring-writer clock SEC   for SEC seconds, every millisecond, a switch
 *                           record whose from/to ids are the
 *                           CLOCK_MONOTONIC readings just before and after
 *                           its timestamp: the reader's conversion of the
 *                           ring's clock can be checked against them
 *   ring-writer hostile     1000 good switch records (from = i+1, to =
 *                           i+2), then 100 of garbage, then the head moved
 *                           back: the reader must survive and keep the 1000
 *   ring-writer plain N     N good switch records, then exit at once
 *
 * Prints "ring=on" once a reader mapped the ring, "ring=off" if none did
 * within 5 s (then nothing else is written).
 */
#define _SDT_HAS_SEMAPHORES 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>

#include "coro_ring.h"

unsigned short coro_ring_semaphore __attribute__((section(".probes")));

static struct coro_ring_writer w;

static void pause_ms(long ms)
{
	struct timespec d = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&d, NULL);
}

/* The protocol's start: ring made once a recorder listens, announced,
 * used once a reader picked the clock. */
static int start(void)
{
	for (int i = 0; i < 5000; i++, pause_ms(1)) {
		if (!w.hdr && *(volatile unsigned short *)&coro_ring_semaphore) {
			long fd;
			unsigned long long bytes = coro_ring_bytes(CORO_RING_SLOTS_MIN * 4);

			if (coro_ring_create(&w, CORO_RING_SLOTS_MIN * 4))
				return 0;
			fd = w.fd;
			STAP_PROBE2(coro, ring, fd, bytes);
		}
		if (coro_ring_check(&w))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!start()) {
		puts("ring=off");
		return 0;
	}
	puts("ring=on");
	fflush(stdout);
	if (!strcmp(mode, "clock") && argc == 3) {
		uint64_t end = coro_ring_mono_ns() + atol(argv[2]) * 1000000000ull, n = 0;

		while (coro_ring_mono_ns() < end) {
			uint64_t a = coro_ring_mono_ns(), t = coro_ring_now(&w), b = coro_ring_mono_ns();

			coro_ring_put(&w, CORO_RING_SWITCH, t, a, b, 0);
			n++;
			pause_ms(1);
		}
		printf("points=%llu\n", (unsigned long long)n);
	} else if (!strcmp(mode, "hostile")) {
		for (uint64_t i = 0; i < 1000; i++)
			coro_ring_put(&w, CORO_RING_SWITCH, coro_ring_now(&w), i + 1, i + 2, 1);
		pause_ms(100);
		srand(7);
		for (int i = 0; i < 100; i++) {
			uint64_t *s = (uint64_t *)&w.slot[w.pos & w.mask];

			for (int k = 0; k < 4; k++)
				s[k] = (uint64_t)rand() << 33 ^ (uint64_t)rand();
			w.pos++;
			__atomic_store_n(&w.hdr->head, w.pos, __ATOMIC_RELEASE);
		}
		pause_ms(100);
		__atomic_store_n(&w.hdr->head, 5, __ATOMIC_RELEASE);
		pause_ms(100);
		puts("valid=1000");
	} else if (!strcmp(mode, "plain") && argc == 3) {
		long n = atol(argv[2]);

		for (long i = 0; i < n; i++)
			coro_ring_put(&w, CORO_RING_SWITCH, coro_ring_now(&w), i + 1, i + 2, 1);
		printf("valid=%ld\n", n);
		return 0;	/* no destroy: the ring outlives its writer */
	} else {
		fprintf(stderr, "usage: ring-writer clock SEC | hostile | plain N\n");
		return 2;
	}
	coro_ring_destroy(&w);
	return 0;
}
