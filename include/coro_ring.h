/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The coroutine trace ring: a per-thread ring in shared memory into which a
 * coroutine runtime writes its hot events (switch, park, ready, create,
 * exit) while a recorder is attached, instead of hitting a USDT probe (a
 * kernel entry) per event. The recorder maps the ring and merges its
 * records into the trace. docs/PROBES.md describes the protocol; this
 * header is the layout (shared by writer and reader) and a writer that any
 * runtime can include: it needs nothing but libc.
 *
 * Protocol, writer side:
 *  1. At low rate (e.g. every few dozen switches), read the semaphore of
 *     the USDT probe coro:ring. Non-zero: a recorder listens.
 *  2. coro_ring_create(): a sealed memfd, mapped; fire coro:ring(fd,
 *     bytes) once. Fire it again whenever the semaphore's value changes
 *     (a second recorder came or one left).
 *  3. Keep using the USDT probes until coro_ring_check() says a reader
 *     has mapped the ring (it picked the clock); from then on write
 *     records with coro_ring_put() and stop firing the hot probes.
 *  4. Semaphore back to 0: coro_ring_destroy(). At the thread's end:
 *     coro_ring_destroy() as well (it marks the ring closed first).
 *
 * The ring is lossy and never blocks: a writer that laps the reader
 * overwrites the oldest records, and the reader counts exactly how many it
 * missed from the positions. A writer publishes a record with one release
 * store of the head; nothing else is shared on the hot path.
 *
 * Everything a reader finds in the ring is untrusted: it checks every
 * value against the layout below and the file's size, which the writer
 * seals (F_SEAL_SHRINK | F_SEAL_GROW) so that it cannot pull pages from
 * under the reader's mapping.
 */
#ifndef CORO_RING_H
#define CORO_RING_H

#include <stdint.h>

#define CORO_RING_MAGIC		0x31474e52524f4f43ull	/* "COORRNG1" */
#define CORO_RING_VERSION	1
#define CORO_RING_HDR_SIZE	4096u	/* bytes before slot 0 */
#define CORO_RING_SLOTS_MIN	1024u
#define CORO_RING_SLOTS_MAX	(1u << 24)
#define CORO_RING_SLOTS_DEFAULT	(1u << 19)	/* 16 MiB, touched as it fills */

/* coro_ring_hdr.clock, chosen by the reader. */
enum coro_ring_clock {
	CORO_RING_CLOCK_NONE = 0,	/* no reader yet: do not write */
	CORO_RING_CLOCK_MONOTONIC = 1,	/* ts in CLOCK_MONOTONIC ns */
	CORO_RING_CLOCK_COUNTER = 2,	/* ts in raw counter ticks: x86_64
					 * rdtsc, aarch64 cntvct_el0; the reader
					 * converts them */
};

/* coro_ring_hdr.state */
#define CORO_RING_OPEN		0
#define CORO_RING_CLOSED	1	/* the writer is done: read and drop */

/* Record types (coro_ring_rec.type). */
enum coro_ring_type {
	CORO_RING_SWITCH = 1,	/* a: from id, b: to id, ts: start, dur: to end */
	CORO_RING_PARK = 2,	/* a: id, b: reason (the coro:park reasons) */
	CORO_RING_READY = 3,	/* a: id, b: the id that made it runnable */
	CORO_RING_CREATE = 4,	/* a: id, b: entry address, dur: stack bytes */
	CORO_RING_EXIT = 5,	/* a: id */
	CORO_RING_TYPE_MAX = 6,
};

struct coro_ring_rec {
	uint64_t ts;		/* clock of the header (CORO_RING_CLOCK_*) */
	uint64_t a;		/* by type, see enum coro_ring_type */
	uint64_t b;
	uint32_t dur;		/* switch: end - ts in clock units, saturated */
	uint16_t type;		/* enum coro_ring_type */
	uint16_t seq;		/* low 16 bits of the record's position: a
				 * slot holding another lap's record, or
				 * garbage, does not match */
};

struct coro_ring_hdr {
	/* written once by the writer before it announces the ring */
	uint64_t magic;		/* CORO_RING_MAGIC */
	uint32_t version;	/* CORO_RING_VERSION */
	uint32_t hdr_size;	/* CORO_RING_HDR_SIZE */
	uint32_t rec_size;	/* sizeof(struct coro_ring_rec) */
	uint32_t nslots;	/* records the ring holds, a power of two */
	uint32_t tid;		/* writer thread */
	uint32_t pid;		/* its process at creation */
	uint64_t created_ns;	/* CLOCK_MONOTONIC at creation */
	uint64_t reserved0[3];
	/* the writer's line: only the writer stores here */
	uint64_t head;		/* records published so far (release store) */
	uint32_t state;		/* CORO_RING_OPEN / CORO_RING_CLOSED */
	uint32_t pad0;
	uint64_t reserved1[6];
	/* the reader's line: only readers store here */
	uint32_t clock;		/* enum coro_ring_clock, stored last (release) */
	uint32_t ns_shift;	/* counter: ns = ticks * ns_mult >> ns_shift */
	uint64_t ns_mult;	/* (for the writer's own sums, e.g. coro:stats) */
	uint64_t reserved2[6];
};

#define CORO_RING_OFF(f)	__builtin_offsetof(struct coro_ring_hdr, f)
_Static_assert(sizeof(struct coro_ring_rec) == 32, "ring record size");
_Static_assert(CORO_RING_OFF(nslots) == 20 && CORO_RING_OFF(created_ns) == 32, "ring header");
_Static_assert(CORO_RING_OFF(head) == 64 && CORO_RING_OFF(state) == 72, "ring writer line");
_Static_assert(CORO_RING_OFF(clock) == 128 && CORO_RING_OFF(ns_mult) == 136, "ring reader line");
_Static_assert(sizeof(struct coro_ring_hdr) == 192, "ring header size");
#undef CORO_RING_OFF

/* Bytes of a ring with n slots. */
static inline uint64_t coro_ring_bytes(uint32_t nslots)
{
	return CORO_RING_HDR_SIZE + (uint64_t)nslots * sizeof(struct coro_ring_rec);
}

static inline uint64_t coro_ring_counter(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
#elif defined(__aarch64__)
	uint64_t v;

	__asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
	return v;
#else
	return 0;
#endif
}

/* ===================================================================
 * The writer. Not for the reader: it needs the thread-private state below.
 */
#ifndef CORO_RING_NO_WRITER
#if !defined(_GNU_SOURCE)
#error "the writer of coro_ring.h needs _GNU_SOURCE (memfd_create, gettid) before any #include"
#endif
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct coro_ring_writer {
	struct coro_ring_hdr *hdr;	/* NULL: no ring */
	struct coro_ring_rec *slot;
	uint64_t pos;			/* next position: private copy of head */
	uint32_t mask;			/* nslots - 1 */
	uint32_t clock;			/* 0 until a reader picked one */
	uint64_t ns_mult;
	uint32_t ns_shift;
	int fd;				/* the memfd, for the announcement */
};

static inline uint64_t coro_ring_mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* A ring of nslots (a power of two in [SLOTS_MIN, SLOTS_MAX]) for the
 * calling thread. 0 or -errno; w->fd is what coro:ring announces. */
static inline int coro_ring_create(struct coro_ring_writer *w, uint32_t nslots)
{
	uint64_t bytes = coro_ring_bytes(nslots);
	struct coro_ring_hdr *h;
	void *m;
	int fd, e;

	if (nslots < CORO_RING_SLOTS_MIN || nslots > CORO_RING_SLOTS_MAX ||
	    (nslots & (nslots - 1)))
		return -EINVAL;
	fd = memfd_create("coro-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)bytes) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		goto fail;
	m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (m == MAP_FAILED)
		goto fail;
	/* A child of fork() must not write into its parent's ring: it gets
	 * no mapping at all (the runtime forgets the ring in the child). */
	madvise(m, bytes, MADV_DONTFORK);
	h = m;
	h->version = CORO_RING_VERSION;
	h->hdr_size = CORO_RING_HDR_SIZE;
	h->rec_size = sizeof(struct coro_ring_rec);
	h->nslots = nslots;
	h->tid = (uint32_t)gettid();
	h->pid = (uint32_t)getpid();
	h->created_ns = coro_ring_mono_ns();
	__atomic_store_n(&h->magic, CORO_RING_MAGIC, __ATOMIC_RELEASE);
	*w = (struct coro_ring_writer){
		.hdr = h,
		.slot = (struct coro_ring_rec *)((char *)m + CORO_RING_HDR_SIZE),
		.mask = nslots - 1,
		.fd = fd,
	};
	return 0;
fail:
	e = errno;
	close(fd);
	return -e;
}

/* Low rate: has a reader mapped the ring? Returns the clock to write
 * with (0: not yet). */
static inline uint32_t coro_ring_check(struct coro_ring_writer *w)
{
	uint32_t c;

	if (!w->hdr || w->clock)
		return w->clock;
	c = __atomic_load_n(&w->hdr->clock, __ATOMIC_ACQUIRE);
	if (c == CORO_RING_CLOCK_MONOTONIC || c == CORO_RING_CLOCK_COUNTER) {
		w->ns_mult = w->hdr->ns_mult;
		w->ns_shift = w->hdr->ns_shift & 63;
		if (c == CORO_RING_CLOCK_COUNTER && !w->ns_mult)
			c = CORO_RING_CLOCK_MONOTONIC;	/* a reader that gave no scale */
		w->clock = c;
	}
	return w->clock;
}

/* A timestamp in the ring's clock (only once coro_ring_check() gave one). */
static inline uint64_t coro_ring_now(const struct coro_ring_writer *w)
{
	return w->clock == CORO_RING_CLOCK_COUNTER ? coro_ring_counter() : coro_ring_mono_ns();
}

/* Clock units to ns, for the writer's own totals. */
static inline uint64_t coro_ring_to_ns(const struct coro_ring_writer *w, uint64_t d)
{
	if (w->clock != CORO_RING_CLOCK_COUNTER)
		return d;
	return (uint64_t)(((unsigned __int128)d * w->ns_mult) >> w->ns_shift);
}

/* The hot path: fill the next slot, publish it. */
static inline void coro_ring_put(struct coro_ring_writer *w, uint16_t type, uint64_t ts,
				 uint64_t a, uint64_t b, uint64_t dur)
{
	uint64_t pos = w->pos;
	struct coro_ring_rec *r = &w->slot[pos & w->mask];

#if !defined(__x86_64__)
	/* Weakly ordered CPUs: this slot's stores must not become visible
	 * before the previous head, or a reader could take a half-overwritten
	 * slot for an intact one. x86 keeps stores in order by itself. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
#endif
	r->ts = ts;
	r->a = a;
	r->b = b;
	r->dur = dur > UINT32_MAX ? UINT32_MAX : (uint32_t)dur;
	r->type = type;
	r->seq = (uint16_t)pos;
	w->pos = pos + 1;
	__atomic_store_n(&w->hdr->head, pos + 1, __ATOMIC_RELEASE);
}

/* Stop writing; the reader keeps its own mapping and fd. */
static inline void coro_ring_destroy(struct coro_ring_writer *w)
{
	if (!w->hdr)
		return;
	__atomic_store_n(&w->hdr->state, CORO_RING_CLOSED, __ATOMIC_RELEASE);
	munmap(w->hdr, coro_ring_bytes(w->mask + 1));
	close(w->fd);
	*w = (struct coro_ring_writer){ .fd = -1 };
}

/* In a child of fork(): the ring was not inherited (MADV_DONTFORK), the fd
 * was: close it, forget the rest. */
static inline void coro_ring_forget(struct coro_ring_writer *w)
{
	if (w->hdr)
		close(w->fd);
	*w = (struct coro_ring_writer){ .fd = -1 };
}
#endif /* CORO_RING_NO_WRITER */

#endif /* CORO_RING_H */
