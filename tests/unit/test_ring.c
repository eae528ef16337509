/* The coroutine trace ring, writer (include/coro_ring.h) against reader
 * (user/record/ring_read.c) in one process: a writer that laps the reader
 * never gets a torn or stale record past it, every record is read or
 * counted lost, a ring that lies about itself is refused or abandoned,
 * and the counter converts to CLOCK_MONOTONIC within 100 ns. */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clockmap.h"
#include "coro_ring.h"
#include "harness.h"
#include "ring_read.h"
#include "ss.h"

struct writer {
	struct coro_ring_writer w;
	uint32_t nslots;
	uint64_t n;		/* records to write */
	uint32_t tid;
	atomic_int ready, done;
};

static void *write_seq(void *arg)
{
	struct writer *x = arg;

	if (coro_ring_create(&x->w, x->nslots))
		return NULL;
	x->tid = gettid();
	atomic_store(&x->ready, 1);
	while (!coro_ring_check(&x->w))
		;
	for (uint64_t i = 0; i < x->n; i++) {
		uint64_t t = coro_ring_now(&x->w);

		coro_ring_put(&x->w, CORO_RING_SWITCH, t, i + 1, ~i, 1);
	}
	coro_ring_destroy(&x->w);
	atomic_store(&x->done, 1);
	return NULL;
}

struct got {
	uint64_t n, next, bad, lost, lost_records;
};

static void on_rec(void *ctx, const struct ss_hdr *h)
{
	struct got *g = ctx;
	const struct ss_coro_switch *s = (const void *)h;

	g->n++;
	/* in order, no record twice, and whole: to is ~(from - 1) */
	if (h->type != SS_EV_CORO_SWITCH || s->from < g->next || s->to != ~(s->from - 1))
		g->bad++;
	g->next = s->from + 1;
}

static void on_lost(void *ctx, const struct ss_lost *l)
{
	struct got *g = ctx;

	g->lost += l->count;
	g->lost_records++;
}

static struct ss_coro_ring announce_of(const struct writer *x)
{
	return (struct ss_coro_ring){
		.hdr = { SS_EV_CORO_RING, sizeof(struct ss_coro_ring), 0, 0 },
		.tid = x->tid, .tgid = getpid(), .fd = x->w.fd,
		.bytes = coro_ring_bytes(x->nslots),
	};
}

static void run_lapping(enum ss_ring_mode mode)
{
	struct writer x = { .nslots = CORO_RING_SLOTS_MIN, .n = 3000000 };
	struct got g = { .next = 1 };
	struct ss_rings *r = ss_rings_new(mode, ss_now_ns(), on_lost, NULL, &g);
	struct ss_rings_stats st;
	struct ss_coro_ring a;
	pthread_t t;

	REQUIRE(r != NULL);
	REQUIRE(pthread_create(&t, NULL, write_seq, &x) == 0);
	while (!atomic_load(&x.ready))
		;
	a = announce_of(&x);
	ss_rings_announce(r, &a);
	ss_rings_stats(r, &st);
	CHECK_EQ(st.rings, 1);
	/* poll with pauses so that the writer laps the reader often */
	while (!atomic_load(&x.done)) {
		ss_rings_poll(r, UINT64_MAX, on_rec, &g);
		for (volatile int i = 0; i < 20000; i++)
			;
	}
	pthread_join(t, NULL);
	ss_rings_poll(r, UINT64_MAX, on_rec, &g);	/* closed: the last read */
	ss_rings_stats(r, &st);
	ss_rings_free(r);
	CHECK_EQ(g.bad, 0);
	CHECK_EQ(g.n + g.lost, x.n);
	CHECK_GT(g.lost, 0);	/* the writer was meant to lap the reader */
	CHECK_GT(g.n, 0);
	CHECK_GT(g.lost_records, 0);
}

TEST(ring_lapped_by_its_writer_gives_whole_records_and_exact_losses_counter)
{
	if (!ss_clockmap_counter_usable())
		ss_test_skip("the kernel's clocksource is not the CPU counter");
	else
		run_lapping(SS_RING_COUNTER);
}

TEST(ring_lapped_by_its_writer_gives_whole_records_and_exact_losses_monotonic)
{
	run_lapping(SS_RING_MONOTONIC);
}

/* A ring made by hand, then damaged. */
static int make_ring(uint32_t nslots, int seal, struct coro_ring_hdr **h)
{
	uint64_t bytes = coro_ring_bytes(nslots);
	int fd = memfd_create("t", MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, bytes))
		return -1;
	if (seal)
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
	*h = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	(*h)->magic = CORO_RING_MAGIC;
	(*h)->version = CORO_RING_VERSION;
	(*h)->hdr_size = CORO_RING_HDR_SIZE;
	(*h)->rec_size = sizeof(struct coro_ring_rec);
	(*h)->nslots = nslots;
	(*h)->tid = gettid();
	return fd;
}

static struct ss_coro_ring hand_announce(int fd, uint32_t nslots)
{
	return (struct ss_coro_ring){ .tid = gettid(), .tgid = getpid(), .fd = fd,
				      .bytes = coro_ring_bytes(nslots) };
}

TEST(ring_that_is_unsealed_or_lies_about_its_size_is_refused)
{
	struct got g = { .next = 1 };
	struct ss_rings *r = ss_rings_new(SS_RING_MONOTONIC, 0, on_lost, NULL, &g);
	struct ss_rings_stats st;
	struct coro_ring_hdr *h;
	struct ss_coro_ring a;
	int fd;

	fd = make_ring(CORO_RING_SLOTS_MIN, 0, &h);
	a = hand_announce(fd, CORO_RING_SLOTS_MIN);
	ss_rings_announce(r, &a);
	fd = make_ring(CORO_RING_SLOTS_MIN, 1, &h);
	a = hand_announce(fd, CORO_RING_SLOTS_MIN);
	a.bytes += 4096;
	ss_rings_announce(r, &a);
	fd = make_ring(CORO_RING_SLOTS_MIN, 1, &h);
	h->nslots = CORO_RING_SLOTS_MIN * 2;	/* more slots than the file holds */
	a = hand_announce(fd, CORO_RING_SLOTS_MIN);
	ss_rings_announce(r, &a);
	ss_rings_stats(r, &st);
	CHECK_EQ(st.rings, 0);
	CHECK_EQ(st.refused, 3);
	ss_rings_free(r);
}

TEST(ring_with_garbage_records_and_a_head_that_jumps_back_is_survived)
{
	struct got g = { .next = 1 };
	struct ss_rings *r = ss_rings_new(SS_RING_MONOTONIC, ss_now_ns(), on_lost, NULL, &g);
	struct coro_ring_rec *slot;
	struct ss_rings_stats st;
	struct coro_ring_hdr *h;
	struct ss_coro_ring a;
	int fd = make_ring(CORO_RING_SLOTS_MIN, 1, &h);
	uint64_t now = ss_now_ns();

	a = hand_announce(fd, CORO_RING_SLOTS_MIN);
	ss_rings_announce(r, &a);
	CHECK_EQ(h->clock, CORO_RING_CLOCK_MONOTONIC);
	slot = (void *)((char *)h + CORO_RING_HDR_SIZE);
	for (int i = 0; i < 100; i++)
		slot[i] = (struct coro_ring_rec){ now + i, i + 1, ~(uint64_t)i, 1,
						  CORO_RING_SWITCH, (uint16_t)i };
	slot[10].seq = 999;			/* another lap's */
	slot[20].type = 77;			/* unknown type */
	slot[30].ts = now + 1000000000000ull;	/* far future */
	slot[40].ts = now - 5000000;		/* back in time, before the start */
	slot[50].dur = 0xffffffffu - 1;		/* a 4 s switch... */
	slot[50].ts = now - 100;		/* ...ending in the future */
	h->head = 100;
	ss_rings_poll(r, UINT64_MAX, on_rec, &g);
	CHECK_EQ(g.n, 95);
	CHECK_EQ(g.lost, 5);
	CHECK_EQ(g.bad, 0);
	h->head = 50;				/* backwards: abandoned */
	ss_rings_poll(r, UINT64_MAX, on_rec, &g);
	h->head = 200;				/* not read any more */
	ss_rings_poll(r, UINT64_MAX, on_rec, &g);
	ss_rings_stats(r, &st);
	CHECK_EQ(g.n, 95);
	CHECK_EQ(st.records, 95);
	CHECK_EQ(st.invalid, 5);
	ss_rings_free(r);
}

/* The 60 s version of this is a benchmark (tests/bench/ring_clock.c). */
TEST(counter_converts_to_monotonic_within_100ns_over_a_second)
{
	struct ss_clockmap *m = malloc(sizeof(*m));
	int64_t worst = 0;
	int n = 0;

	if (!ss_clockmap_counter_usable()) {
		free(m);
		ss_test_skip("the kernel's clocksource is not the CPU counter");
		return;
	}
	ss_clockmap_init(m);
	for (uint64_t end = ss_now_ns() + 1000000000; ss_now_ns() < end;) {
		struct timespec pause = { 0, 10000000 };

		nanosleep(&pause, NULL);
		/* a reading between two points: taken before the next one */
		for (int i = 0; i < 20; i++) {
			uint64_t a = ss_now_ns(), c = coro_ring_counter(), b = ss_now_ns();
			int64_t err = (int64_t)(ss_clockmap_ns(m, c) - (a + (b - a) / 2));

			if (b - a > 200)
				continue;	/* preempted: the truth is not known */
			err = err < 0 ? -err : err;
			err -= (int64_t)(b - a) / 2;
			if (err > worst)
				worst = err;
			n++;
		}
		ss_clockmap_sample(m);
	}
	CHECK_GT(n, 100);
	CHECK_LE(worst, 100);	/* ns beyond the clock_gettime pair's own width */
	free(m);
}

static void on_create(void *ctx, const struct ss_hdr *h)
{
	const struct ss_coro_create *c = (const void *)h;

	if (h->type == SS_EV_CORO_CREATE && c->id == 7 && c->stack_size == (8u << 20))
		(*(int *)ctx)++;
}

TEST(ring_create_record_carries_a_stack_size_not_a_duration)
{
	int got = 0;
	struct ss_rings *r = ss_rings_new(SS_RING_MONOTONIC, ss_now_ns(), on_lost, NULL, &got);
	struct coro_ring_rec *slot;
	struct coro_ring_hdr *h;
	struct ss_coro_ring a;
	int fd = make_ring(CORO_RING_SLOTS_MIN, 1, &h);

	a = hand_announce(fd, CORO_RING_SLOTS_MIN);
	ss_rings_announce(r, &a);
	slot = (void *)((char *)h + CORO_RING_HDR_SIZE);
	/* written just now, with 8 MiB in dur: not a switch ending 8 ms ahead */
	slot[0] = (struct coro_ring_rec){ ss_now_ns(), 7, 0x1000, 8u << 20, CORO_RING_CREATE, 0 };
	h->head = 1;
	ss_rings_poll(r, UINT64_MAX, on_create, &got);
	CHECK_EQ(got, 1);
	ss_rings_free(r);
}
