/*
 * Reading the coroutine trace rings. A ring is memory the traced program
 * can write at any time, so nothing read from it is believed: the header
 * against the announcement and the file's size, the head against the last
 * one seen, each record's position, type and time. The file is sealed
 * against shrinking before it is mapped, so its pages cannot vanish under
 * the reader. We hold the memfd ourselves (pidfd_getfd), so a ring stays
 * readable after its process died, SIGKILL included.
 *
 * Losses: the writer never waits; a slot it overwrote before we copied it
 * is detected from the positions (head read before and after the copy)
 * and counted exactly, and so is every record that fails a check.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CORO_RING_NO_WRITER
#include "clockmap.h"
#include "coro_ring.h"
#include "ring_read.h"
#include "ss.h"

#define BATCH		4096	/* records copied at a time */
#define MAX_RINGS	65536
#define MAX_RINGS_PROC	4096	/* per process: a program that announces
				 * without end cannot make us map without end */
#define JUMP_MAX	(1ull << 40)	/* a head that moves more is garbage */
#define DUR_MAX_NS	(10ull * 1000000000)	/* longer switch: garbage */
#define EXIT_CHECK_NS	(100ull * 1000000)	/* look for dead processes */
#define SAMPLE_NS	(5ull * 1000000)	/* clock points at most this often */
#define BACK_MAX_NS	10000ull	/* a thread's clock going back more: garbage */
#define FUTURE_MAX_NS	10000ull	/* a record later than our clock by more */

struct ring {
	uint32_t tgid, tid;
	dev_t dev;
	ino_t ino;
	struct coro_ring_hdr *hdr;
	const struct coro_ring_rec *slots;
	size_t bytes;
	uint32_t nslots;
	uint32_t clock;		/* as we set it or found it at mapping */
	int pidfd;
	int abandoned;		/* corrupt: no longer read */
	uint64_t tail;		/* next position to read */
	uint64_t last_ts;	/* raw ts of the last record taken */
	uint64_t pend_lost;	/* lost, not yet reported in the trace */
	uint64_t drained_ns;	/* every record stamped before this was read */
	uint64_t invalid;
	char warned;
};

struct ss_rings {
	enum ss_ring_mode mode;
	uint64_t start_ns;
	struct ring **v;
	size_t n, cap;
	struct ss_clockmap *cm;	/* NULL: the writers use CLOCK_MONOTONIC */
	struct coro_ring_rec batch[BATCH];
	uint64_t last_sample, last_exit_check;
	void (*lost_cb)(void *ctx, const struct ss_lost *l);
	void (*hint_cb)(void *ctx, uint32_t tid, uint32_t cpu);
	void *ctx;
	struct ss_rings_stats st;
	uint64_t slack;		/* FUTURE_MAX_NS in the rings' clock units */
	char warned_refuse;
};

static void set_slack(struct ss_rings *r)
{
	uint64_t mult = 0;
	uint32_t shift;

	if (r->cm)
		ss_clockmap_scale(r->cm, &mult, &shift);
	r->slack = mult ? (uint64_t)((double)FUTURE_MAX_NS * 4294967296.0 / (double)mult) :
		   FUTURE_MAX_NS;
}

struct ss_rings *ss_rings_new(enum ss_ring_mode mode, uint64_t start_ns,
			      void (*lost_cb)(void *ctx, const struct ss_lost *l),
			      void (*hint_cb)(void *ctx, uint32_t tid, uint32_t cpu),
			      void *ctx)
{
	struct ss_rings *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->mode = mode;
	r->start_ns = start_ns;
	r->lost_cb = lost_cb;
	r->hint_cb = hint_cb;
	r->ctx = ctx;
	if (mode == SS_RING_COUNTER || (mode == SS_RING_AUTO && ss_clockmap_counter_usable())) {
		r->cm = malloc(sizeof(*r->cm));
		if (!r->cm) {
			free(r);
			return NULL;
		}
		ss_clockmap_init(r->cm);
		r->st.counter = 1;
	}
	set_slack(r);
	return r;
}

static void refuse(struct ss_rings *r, const struct ss_coro_ring *a, const char *why)
{
	if (++r->st.refused > 16) {
		if (r->st.refused == 17)
			ss_warn("more coroutine trace rings refused: not shown");
		return;
	}
	ss_warn("pid %u tid %u: not reading its coroutine trace ring (%s); its events "
		"keep coming through the USDT probes", a->tgid, a->tid, why);
}

/* The CPU the thread is on now (field 39 of /proc/PID/task/TID/stat). */
static int task_cpu(uint32_t tgid, uint32_t tid)
{
	char buf[1024], *p = ss_proc_stat(tgid, tid, buf, sizeof(buf));
	int cpu = -1, field = 2;

	for (; p && *p; p++)
		if (*p == ' ' && ++field == 39) {
			cpu = atoi(p + 1);
			break;
		}
	return cpu;
}

/* The header must say what the announcement and the file say. */
static const char *bad_header(const struct coro_ring_hdr *h, const struct ss_coro_ring *a,
			      uint64_t bytes)
{
	if (h->magic != CORO_RING_MAGIC)
		return "no ring magic";
	if (h->version != CORO_RING_VERSION)
		return "unknown ring version";
	if (h->hdr_size != CORO_RING_HDR_SIZE || h->rec_size != sizeof(struct coro_ring_rec))
		return "header or record size not of this version";
	if (h->nslots < CORO_RING_SLOTS_MIN || h->nslots > CORO_RING_SLOTS_MAX ||
	    (h->nslots & (h->nslots - 1)) || coro_ring_bytes(h->nslots) != bytes)
		return "slot count does not match the file size";
	if (h->tid != a->tid)
		return "the header names another thread";
	return NULL;
}

static int map_ring(struct ss_rings *r, const struct ss_coro_ring *a, struct ring *g)
{
	int pidfd, fd, seals;
	struct stat st;
	const char *why;
	void *m;

	pidfd = syscall(SYS_pidfd_open, a->tgid, 0);
	if (pidfd < 0)
		return errno == ESRCH ? 0 : (refuse(r, a, strerror(errno)), 0);
	fd = syscall(SYS_pidfd_getfd, pidfd, (int)a->fd, 0);
	if (fd < 0) {
		if (errno != ESRCH && errno != EBADF)
			refuse(r, a, errno == EPERM ?
			       "cannot take its fd (pidfd_getfd: EPERM; ptrace access needed)" :
			       strerror(errno));
		close(pidfd);
		return 0;
	}
	why = NULL;
	seals = fcntl(fd, F_GET_SEALS);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		why = "the announced fd is not a memory file";
	else if ((uint64_t)st.st_size != a->bytes || a->bytes < coro_ring_bytes(CORO_RING_SLOTS_MIN) ||
		 a->bytes > coro_ring_bytes(CORO_RING_SLOTS_MAX))
		why = "its size is not the announced one or out of range";
	else if (seals < 0 || !(seals & F_SEAL_SHRINK) || !(seals & F_SEAL_GROW))
		why = "not sealed against resizing";
	for (size_t i = 0; !why && i < r->n; i++)
		if (r->v[i]->dev == st.st_dev && r->v[i]->ino == st.st_ino) {
			close(fd);
			close(pidfd);
			return 0;	/* announced again (another reader came) */
		}
	if (why) {
		refuse(r, a, why);
		close(fd);
		close(pidfd);
		return 0;
	}
	m = mmap(NULL, a->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		refuse(r, a, strerror(errno));
		close(pidfd);
		return 0;
	}
	why = bad_header(m, a, a->bytes);
	if (why) {
		refuse(r, a, why);
		munmap(m, a->bytes);
		close(pidfd);
		return 0;
	}
	*g = (struct ring){
		.tgid = a->tgid, .tid = a->tid, .dev = st.st_dev, .ino = st.st_ino,
		.hdr = m, .slots = (const void *)((char *)m + CORO_RING_HDR_SIZE),
		.bytes = a->bytes, .nslots = ((struct coro_ring_hdr *)m)->nslots,
		.pidfd = pidfd,
	};
	return 1;
}

/* Tell the writer to start, on our clock; another reader may have
 * already: then its clock stays. Reading starts at the head: what was
 * there before is someone else's. */
static void start_ring(struct ss_rings *r, struct ring *g)
{
	uint32_t c = __atomic_load_n(&g->hdr->clock, __ATOMIC_ACQUIRE);

	g->drained_ns = ss_now_ns();
	g->tail = __atomic_load_n(&g->hdr->head, __ATOMIC_ACQUIRE);
	if (c == CORO_RING_CLOCK_NONE) {
		c = r->cm ? CORO_RING_CLOCK_COUNTER : CORO_RING_CLOCK_MONOTONIC;
		if (r->cm) {
			uint64_t mult;
			uint32_t shift;

			ss_clockmap_scale(r->cm, &mult, &shift);
			g->hdr->ns_mult = mult;
			g->hdr->ns_shift = shift;
		}
		__atomic_store_n(&g->hdr->clock, c, __ATOMIC_RELEASE);
	}
	if (c == CORO_RING_CLOCK_COUNTER && !r->cm) {
		/* another reader chose the counter; we can convert it too */
		r->cm = malloc(sizeof(*r->cm));
		if (r->cm) {
			ss_clockmap_init(r->cm);
			r->st.counter = 1;
			set_slack(r);
		}
	}
	g->clock = c;
}

void ss_rings_announce(struct ss_rings *r, const struct ss_coro_ring *a)
{
	struct ring *g;
	int cpu;

	if (r->n == MAX_RINGS) {
		if (!r->warned_refuse++)
			ss_warn("more than %u coroutine trace rings: later ones are not read",
				MAX_RINGS);
		r->st.refused++;
		return;
	}
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		struct ring **nv = realloc(r->v, nc * sizeof(*nv));

		if (!nv)
			return;
		r->v = nv;
		r->cap = nc;
	}
	for (size_t i = 0, k = 0; i < r->n; i++)
		if (r->v[i]->tgid == a->tgid && ++k == MAX_RINGS_PROC) {
			refuse(r, a, "too many rings in this process");
			return;
		}
	g = malloc(sizeof(*g));
	if (!g)
		return;
	if (!map_ring(r, a, g)) {
		free(g);
		return;
	}
	start_ring(r, g);
	if (g->clock == CORO_RING_CLOCK_COUNTER && !r->cm) {
		refuse(r, a, "out of memory for the clock map");
		munmap(g->hdr, g->bytes);
		close(g->pidfd);
		free(g);
		return;
	}
	cpu = task_cpu(g->tgid, g->tid);
	if (cpu >= 0 && r->hint_cb)
		r->hint_cb(r->ctx, g->tid, (uint32_t)cpu);
	r->v[r->n++] = g;
	r->st.rings++;
}

static uint64_t to_ns(struct ss_rings *r, const struct ring *g, uint64_t ts)
{
	return g->clock == CORO_RING_CLOCK_COUNTER ? ss_clockmap_ns(r->cm, ts) : ts;
}

static void invalid(struct ss_rings *r, struct ring *g, uint64_t pos, const char *why)
{
	g->invalid++;
	g->pend_lost++;
	r->st.invalid++;
	if (!g->warned++)
		ss_warn("pid %u tid %u: its coroutine trace ring holds garbage: record %llu "
			"%s; such records are skipped and counted as lost", g->tgid, g->tid,
			(unsigned long long)pos, why);
}

static void report_lost(struct ss_rings *r, struct ring *g, uint64_t ts)
{
	struct ss_lost l = {
		.hdr = { SS_EV_LOST, sizeof(l), SS_CPU_UNKNOWN, ts },
		.source = SS_LOST_CORO_RING,
		.tid = g->tid,
	};

	if (!g->pend_lost)
		return;
	l.count = g->pend_lost;
	g->pend_lost = 0;
	r->lost_cb(r->ctx, &l);
}

/* One record that passed the position check: the rest of the checks, then
 * on as a trace record. */
static void take(struct ss_rings *r, struct ring *g, uint64_t pos,
		 const struct coro_ring_rec *x, uint64_t now_raw, uint64_t until_ns,
		 ss_record_cb cb, void *ctx)
{
	union {
		struct ss_hdr h;
		struct ss_coro_switch sw;
		struct ss_coro_park pk;
		struct ss_coro_ready rd;
		struct ss_coro_create cr;
		struct ss_coro_exit ex;
	} u;
	uint64_t ts, end, span;

	if (x->seq != (uint16_t)pos)
		return invalid(r, g, pos, "is not the record of that position");
	if (x->type == 0 || x->type >= CORO_RING_TYPE_MAX)
		return invalid(r, g, pos, "has an unknown type");
	/* the counters of two CPUs may differ a little, and our counter read
	 * may run ahead of the head's load */
	/* dur is a time only in a switch (a create puts its stack size there) */
	span = x->type == CORO_RING_SWITCH ? x->dur : 0;
	if (x->ts > now_raw + r->slack || x->ts + span > now_raw + r->slack)
		return invalid(r, g, pos, "is from the future");
	ts = to_ns(r, g, x->ts);
	end = to_ns(r, g, x->ts + span);
	/* one thread's records come in program order; counters of two CPUs
	 * may disagree by a little after a migration */
	if (x->ts < g->last_ts && to_ns(r, g, g->last_ts) - ts > BACK_MAX_NS)
		return invalid(r, g, pos, "goes back in time");
	if (ts + 1000000 < r->start_ns)
		return invalid(r, g, pos, "is from before the recording");
	if (end - ts > DUR_MAX_NS)
		return invalid(r, g, pos, "has an implausible duration");
	if (x->ts > g->last_ts)
		g->last_ts = x->ts;
	if (ts > until_ns)
		return;		/* after the end: not part of the recording */
	report_lost(r, g, ts);
	memset(&u, 0, sizeof(u));
	switch (x->type) {
	case CORO_RING_SWITCH:
		u.h = (struct ss_hdr){ SS_EV_CORO_SWITCH, sizeof(u.sw), SS_CPU_UNKNOWN, end };
		u.sw.from = x->a;
		u.sw.to = x->b;
		u.sw.start_ns = ts;
		u.sw.dur_ns = end - ts;
		break;
	case CORO_RING_PARK:
		u.h = (struct ss_hdr){ SS_EV_CORO_PARK, sizeof(u.pk), SS_CPU_UNKNOWN, ts };
		u.pk.id = x->a;
		u.pk.reason = (uint32_t)x->b;
		break;
	case CORO_RING_READY:
		u.h = (struct ss_hdr){ SS_EV_CORO_READY, sizeof(u.rd), SS_CPU_UNKNOWN, ts };
		u.rd.id = x->a;
		u.rd.by = x->b;
		break;
	case CORO_RING_CREATE:
		u.h = (struct ss_hdr){ SS_EV_CORO_CREATE, sizeof(u.cr), SS_CPU_UNKNOWN, ts };
		u.cr.id = x->a;
		u.cr.entry = x->b;
		u.cr.stack_size = x->dur;
		break;
	default:
		u.h = (struct ss_hdr){ SS_EV_CORO_EXIT, sizeof(u.ex), SS_CPU_UNKNOWN, ts };
		u.ex.id = x->a;
		break;
	}
	/* every coroutine record has tid and tgid right after the header */
	memcpy((char *)&u + sizeof(u.h), &g->tid, sizeof(g->tid));
	memcpy((char *)&u + sizeof(u.h) + 4, &g->tgid, sizeof(g->tgid));
	r->st.records++;
	cb(ctx, &u.h);
}

/* n positions the writer overwrote before we read them. */
static void lapped(struct ss_rings *r, struct ring *g, uint64_t n)
{
	g->pend_lost += n;
	r->st.lost += n;
}

static void abandon(struct ring *g, const char *why, uint64_t a, uint64_t b)
{
	ss_warn("pid %u tid %u: its coroutine trace ring is corrupt (%s: %llu, then %llu); "
		"no longer read", g->tgid, g->tid, why, (unsigned long long)a,
		(unsigned long long)b);
	g->abandoned = 1;
}

static uint64_t head_of(const struct ring *g)
{
	return __atomic_load_n(&g->hdr->head, __ATOMIC_ACQUIRE);
}

/* Everything published since the last read. Returns how many positions
 * the head moved. */
static uint64_t read_ring(struct ss_rings *r, struct ring *g, uint64_t until_ns,
			  ss_record_cb cb, void *ctx)
{
	uint64_t t0 = ss_now_ns(), h = head_of(g), start = g->tail;
	uint64_t now_raw = g->clock == CORO_RING_CLOCK_COUNTER ? coro_ring_counter() : ss_now_ns();

	if (h < g->tail || h - g->tail > JUMP_MAX) {
		abandon(g, "its head jumped", g->tail, h);
		return 0;
	}
	if (h - g->tail > g->nslots) {
		lapped(r, g, h - g->nslots - g->tail);
		g->tail = h - g->nslots;
	}
	while (g->tail < h) {
		uint64_t n = h - g->tail < BATCH ? h - g->tail : BATCH, h2, valid_from;

		for (uint64_t i = 0; i < n; i++)
			r->batch[i] = g->slots[(g->tail + i) & (g->nslots - 1)];
		/* the copies happen before the second look at the head */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		h2 = head_of(g);
		if (h2 < h || h2 - h > JUMP_MAX) {
			abandon(g, "its head jumped", h, h2);
			return 0;
		}
		/* the writer may be filling slot h2, which held position
		 * h2 - nslots: that one and older ones may be torn */
		valid_from = h2 >= g->nslots ? h2 - g->nslots + 1 : 0;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t pos = g->tail + i;

			if (pos < valid_from) {
				lapped(r, g, 1);
				continue;
			}
			take(r, g, pos, &r->batch[i], now_raw, until_ns, cb, ctx);
		}
		g->tail += n;
		if (g->tail < valid_from && valid_from <= h) {
			lapped(r, g, valid_from - g->tail);
			g->tail = valid_from;
		}
	}
	g->drained_ns = t0;
	return h - start;
}

static void drop_ring(struct ss_rings *r, size_t i)
{
	struct ring *g = r->v[i];

	if (g->pend_lost) {
		uint64_t ts = g->last_ts ? to_ns(r, g, g->last_ts) : ss_now_ns();

		report_lost(r, g, ts);
	}
	munmap(g->hdr, g->bytes);
	close(g->pidfd);
	free(g);
	r->v[i] = r->v[--r->n];
}

static int gone(const struct ring *g)
{
	struct pollfd p = { .fd = g->pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

int ss_rings_poll(struct ss_rings *r, uint64_t until_ns, ss_record_cb cb, void *ctx)
{
	uint64_t now = ss_now_ns();
	int busy = 0, check_exit = now - r->last_exit_check >= EXIT_CHECK_NS;

	/* points all along, rings or not: a ring that comes late converts
	 * between near points, not across a long gap */
	if (r->cm && now - r->last_sample >= SAMPLE_NS) {
		ss_clockmap_sample(r->cm);
		r->last_sample = now;
	}
	if (!r->n)
		return 0;
	if (check_exit)
		r->last_exit_check = now;
	for (size_t i = 0; i < r->n;) {
		struct ring *g = r->v[i];
		int last = g->abandoned ||
			   __atomic_load_n(&g->hdr->state, __ATOMIC_ACQUIRE) == CORO_RING_CLOSED ||
			   (check_exit && gone(g));

		if (!g->abandoned && read_ring(r, g, until_ns, cb, ctx) > g->nslots / 8)
			busy = 1;
		if (last) {
			drop_ring(r, i);
			continue;
		}
		i++;
	}
	if (r->cm) {
		ss_clockmap_sample(r->cm);
		r->last_sample = ss_now_ns();
	}
	return busy;
}

uint64_t ss_rings_watermark(const struct ss_rings *r)
{
	uint64_t w = UINT64_MAX;

	for (size_t i = 0; r && i < r->n; i++)
		if (!r->v[i]->abandoned && r->v[i]->drained_ns < w)
			w = r->v[i]->drained_ns;
	return w;
}

void ss_rings_stats(const struct ss_rings *r, struct ss_rings_stats *st)
{
	*st = r->st;
	st->clock_err_ns = r->cm ? r->cm->worst_ns : 0;
}

void ss_rings_free(struct ss_rings *r)
{
	if (!r)
		return;
	while (r->n)
		drop_ring(r, r->n - 1);
	free(r->v);
	free(r->cm);
	free(r);
}
