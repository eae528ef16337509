// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The per-thread scheduler: run queue, create/yield/park/join/exit, and
 * the switch path with its probes.
 *
 * A parking coroutine hands the CPU straight to the next runnable one;
 * only when nothing is runnable (or every POLL_EVERY hand-offs, if timers,
 * fds or other threads may have work) does control go back to the
 * thread's own context, which polls epoll and fires timers. A finishing
 * coroutine always returns to the thread's context, which frees its stack
 * (a coroutine cannot unmap the stack it runs on).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#include "internal.h"

#define POLL_EVERY	64	/* hand-offs between looks at timers, fds, other threads */
#define FREE_CORO_MAX	1024	/* struct coro kept for reuse per thread */
#define CORO_F_RUNMAIN	0x100	/* the coroutine of coro_run(): not joinable */

CORO_SEMAPHORES_DEFINE

__thread struct sched *coro_tls_sched __attribute__((tls_model("initial-exec")));
static atomic_uint_fast64_t next_id = 1;	/* 0 is every thread's own context */
static atomic_int nsched;			/* schedulers running */
static int backend_set;				/* coro_set_backend() overrides the env */
static enum coro_backend backend_choice;

void coro_fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("coro: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

struct sched *coro_sched_get(const char *fn)
{
	struct sched *s = coro_tls_sched;

	if (unlikely(!s))
		coro_fatal("%s() called outside a scheduler: call it from a coroutine "
			   "started by coro_run()", fn);
	return s;
}

uint64_t coro_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t coro_cur_id(void)
{
	struct sched *s = coro_tls_sched;

	return s ? s->cur->id : 0;
}

/* ------------------------------------------------------------------ */
/* The switch path. */

#if defined(__SANITIZE_ADDRESS__)
/* ASan must know which stack is live, or it reports the other stacks'
 * frames as overflows. A dying context passes no fake-stack slot. */
static inline void asan_leave(struct sched *s, struct coro *from, struct coro *to)
{
	s->sw_prev = from;
	__sanitizer_start_switch_fiber(from->state == CORO_DEAD ? NULL : &from->ctx.asan_fake,
				       to->ctx.asan_lo, to->ctx.asan_len);
}

static inline void asan_enter(struct sched *s, struct coro *self)
{
	struct coro *prev = s->sw_prev;

	__sanitizer_finish_switch_fiber(self->ctx.asan_fake, &prev->ctx.asan_lo,
					&prev->ctx.asan_len);
}
#else
static inline void asan_leave(struct sched *s, struct coro *from, struct coro *to) { }
static inline void asan_enter(struct sched *s, struct coro *self) { }
#endif

/* Anyone listening? Four loads and one branch when not. */
static inline int switch_timed(struct sched *s)
{
	return CORO_PROBE_ON(switch) | CORO_PROBE_ON(stats) | (coro_hooks != 0) |
	       (s->ring.clock != 0);
}

static void fire_stats(struct sched *s)
{
	uint64_t n, ns, saved;

	ring_fold(s);
	saved = s->sh_saved;
	n = s->switches;
	ns = s->switch_ns;

	s->stats_mark = n;
	CORO_PROBE3(stats, n, ns, saved);
}

/* Start of a timed switch: the timestamp is the last thing before the
 * stack switch. The test hook's system call sits inside the window on
 * purpose: a verifier must find it there. */
static __attribute__((noinline, cold)) void switch_begin_slow(struct sched *s, struct coro *from)
{
	s->sw_from = from->id;
	if (s->ring.clock) {
		s->sw_t0 = coro_ring_now(&s->ring);
		/* a park is the instant its switch begins: one clock read */
		if (s->sw_park)
			coro_ring_put(&s->ring, CORO_RING_PARK, s->sw_t0, from->id,
				      s->sw_park, 0);
		s->sw_park = 0;
	} else {
		s->sw_t0 = coro_now_ns();
	}
	if (coro_hooks & CORO_TEST_SWITCH_SYSCALL)
		(void)getppid();
}

/* End of a timed switch, first thing on the entered stack; the probe fires
 * after the second timestamp, so its own cost is outside dur. */
static __attribute__((noinline, cold)) void switch_end_slow(struct sched *s, struct coro *self)
{
	uint64_t t0 = s->sw_t0, dur;

	s->sw_t0 = 0;
	dur = coro_now_ns() - t0;
	s->switch_ns += dur;
	if (CORO_PROBE_ON(switch)) {
		uint64_t from = s->sw_from, to = self->id;

		CORO_PROBE4(switch, from, to, dur, t0);
	}
	if (CORO_PROBE_ON(stats) && s->switches - s->stats_mark >= coro_cfg.stats_every)
		fire_stats(s);
}

/* The ring's half of a timed switch, inline: a clock read on each side of
 * the stack switch and one record. The probes' half, the test hook and the
 * ucontext backend take the slow calls above. Under ASan they stay calls:
 * inlined there, ASan reported a store to a live coroutine's local as a
 * stack error and failed its own frame check (test
 * every_thread_runs_its_own_scheduler); not understood yet, so the ASan
 * build keeps the shape it was verified with. */
#if defined(__SANITIZE_ADDRESS__)
#define SWITCH_HALF static __attribute__((noinline))
#else
#define SWITCH_HALF static inline
#endif
SWITCH_HALF void switch_begin(struct sched *s, struct coro *from)
{
	if (likely(s->ring.clock) && !coro_hooks) {
		s->sw_from = from->id;
		s->sw_t0 = coro_ring_now(&s->ring);
		if (unlikely(s->sw_park)) {
			coro_ring_put(&s->ring, CORO_RING_PARK, s->sw_t0, from->id, s->sw_park, 0);
			s->sw_park = 0;
		}
		return;
	}
	switch_begin_slow(s, from);
}

SWITCH_HALF void switch_end(struct sched *s, struct coro *self)
{
	if (likely(s->ring.clock)) {
		uint64_t t0 = s->sw_t0, d = coro_ring_now(&s->ring) - t0;

		s->sw_t0 = 0;
		/* the ring replaces the probes; periodic coro:stats too (each
		 * would be a kernel entry, and the ring has every switch) */
		coro_ring_put(&s->ring, CORO_RING_SWITCH, t0, s->sw_from, self->id, d);
		s->ring_ticks += d;
		s->stats_mark = s->switches;
		return;
	}
	switch_end_slow(s, self);
}

/* ------------------------------------------------------------------ */
/* Shared stacks: the copy. Inside the switch window (the timestamps of
 * switch_begin and switch_end are around it), no system call unless a
 * save buffer must grow (malloc). */

#if defined(__SANITIZE_ADDRESS__)
/* Frames copied off or onto a shared stack carry ASan red zones: the
 * saved region is unpoisoned before it is read, and the region restored
 * is unpoisoned before it is written (the restored frames lose their red
 * zones until they return; nothing is reported that is not there).
 * Poisoning what the saved owner left below the entering frames would
 * catch dangling pointers into it, but new frames there are not all
 * re-shadowed (spills, struct temporaries copied by __asan_memcpy): it
 * reported accesses that were fine, and is not done. */
#define sh_unpoison(p, n)	__asan_unpoison_memory_region((p), (n))
#else
#define sh_unpoison(p, n)	do { } while (0)
#endif

/* Save the frames of sh's owner (switched out: its frame is on top) and
 * put to's back, at the addresses they had. Never runs on sh itself. */
static void sh_copy(struct sched *s, struct coro *to)
{
	struct coro_shstack *sh = to->sh;
	struct coro *o = sh->owner;

	if (o) {
		size_t len = (size_t)(sh->st.hi - (char *)o->ctx.sp);

		if (unlikely(len > o->save_cap)) {
			size_t cap = o->save_cap + o->save_cap / 2;
			char *p;

			if (cap < len)
				cap = (len + 127) & ~(size_t)127;
			p = realloc(o->save, cap);
			if (!p)
				coro_fatal("out of memory saving the %zu-byte shared stack of "
					   "coroutine %llu", len, (unsigned long long)o->id);
			o->save = p;
			o->save_cap = cap;
		}
		sh_unpoison(o->ctx.sp, len);
		memcpy(o->save, o->ctx.sp, len);
		o->save_len = len;
		s->sh_saved += len;
	}
	if (to->save_len) {
		sh_unpoison(to->ctx.sp, to->save_len);
		memcpy(to->ctx.sp, to->save, to->save_len);
		s->sh_restored += to->save_len;
	}
	sh->owner = to;
	s->sh_copies++;
}

/* The copier: a small private context that a coroutine leaving a shared
 * stack switches to when the next one needs that same stack (nothing can
 * overwrite the stack it runs on). It copies and goes on to sh_next. */
static void copier_entry(struct coro *self)
{
	struct sched *s = self->sched;

	for (;;) {
		struct coro *to = s->sh_next;

		asan_enter(s, self);
		sh_copy(s, to);
		asan_leave(s, self, to);
		coro_ctx_switch(&self->ctx.sp, to->ctx.sp);
	}
}

/* to runs on a shared stack that holds someone else's frames (or none):
 * copy now, on from's stack, or let the copier do it if from stands on
 * that very stack. Returns the context to switch to. */
static __attribute__((noinline)) struct coro *sh_prepare(struct sched *s, struct coro *from,
							 struct coro *to)
{
	if (from->sh != to->sh) {
		sh_copy(s, to);
		return to;
	}
	s->sh_next = to;
	return &s->copier;
}

/* Made with the first shared-stack coroutine, outside any switch: its
 * mapping and its first page fault must not land in a switch window. */
static int copier_init(struct sched *s)
{
	struct coro *k = &s->copier;
	int rc;

	k->sched = s;
	k->magic = CORO_MAGIC;
	k->name = "shared-stack copier";
	rc = coro_stack_get(s, &k->stack, CORO_STACK_DEFAULT, 0);
	if (!rc)
		rc = coro_ctx_init(s, k, copier_entry);
	if (!rc)
		return 0;
	if (k->stack.map)
		coro_stack_put(s, &k->stack);
	k->ctx.sp = NULL;
	return rc;
}

/* A new shared-stack coroutine's save buffer, allocated and touched now:
 * a coroutine whose frames stay under SAVE_INIT bytes never allocates or
 * faults inside a switch. */
#define SAVE_INIT	512

static int save_init(struct coro *c)
{
	c->save = malloc(SAVE_INIT);
	if (!c->save)
		return -ENOMEM;
	memset(c->save, 0, SAVE_INIT);
	c->save_cap = SAVE_INIT;
	return 0;
}

/* The one place that switches. Not inlined on purpose: every suspended
 * context then resumes at the same address, the return address this call
 * site pushed, so the switch's ret is always predicted (a new context's
 * first entry excepted). */
static __attribute__((noinline)) void switch_to(struct sched *s, struct coro *from,
						struct coro *to)
{
	s->cur = to;
	to->state = CORO_RUNNING;
	s->switches++;
	if (unlikely(switch_timed(s)))
		switch_begin(s, from);
	if (unlikely(to->sh != NULL)) {
		if (to->sh->owner != to)
			to = sh_prepare(s, from, to);
		else
			s->sh_skipped++;
	}
	asan_leave(s, from, to);
	if (likely(s->backend == CORO_BACKEND_ASM))
		coro_ctx_switch(&from->ctx.sp, to->ctx.sp);
	else
		swapcontext(from->ctx.uc, to->ctx.uc);
	/* back in from, resumed by some later switch */
	asan_enter(s, from);
	if (unlikely(s->sw_t0))
		switch_end(s, from);
}

/* ------------------------------------------------------------------ */
/* Run queue. */

static inline void rq_push(struct sched *s, struct coro *c)
{
	c->next = NULL;
	if (s->rq_tail)
		s->rq_tail->next = c;
	else
		s->rq_head = c;
	s->rq_tail = c;
}

static inline struct coro *rq_pop(struct sched *s)
{
	struct coro *c = s->rq_head;

	s->rq_head = c->next;
	if (!s->rq_head)
		s->rq_tail = NULL;
	return c;
}

static inline int pollable(struct sched *s)
{
	return s->timers.n || s->fd_waiters ||
	       atomic_load_explicit(&s->r_pending, memory_order_relaxed);
}

/* Who runs next when the current coroutine stops: the head of the run
 * queue, or the thread's context when there is none or it is time to look
 * at timers, fds and other threads. */
static inline struct coro *next_runnable(struct sched *s)
{
	if (unlikely(++s->ticks >= POLL_EVERY)) {
		s->ticks = 0;
		coro_ring_tick(s);
		if (pollable(s)) {
			s->poll_due = 1;
			return &s->main;
		}
	}
	if (!s->rq_head)
		return &s->main;
	return rq_pop(s);
}

void coro_ready(struct coro *c, uint64_t by)
{
	struct sched *s = c->sched, *me = coro_tls_sched;

	/* recorded on the waker's thread, like the probe */
	if (me && me->ring.clock) {
		coro_ring_put(&me->ring, CORO_RING_READY, coro_ring_now(&me->ring), c->id,
			      by, 0);
	} else if (CORO_PROBE_ON(ready)) {
		uint64_t id = c->id;

		CORO_PROBE2(ready, id, by);
	}
	if (s == coro_tls_sched) {
		c->state = CORO_READY;
		rq_push(s, c);
		return;
	}
	/* Another thread's coroutine. The eventfd write happens under the
	 * lock so that the scheduler cannot finish and free itself between
	 * our push and our look at its sleeping flag. */
	pthread_mutex_lock(&s->rlock);
	c->next = NULL;
	if (s->r_tail)
		s->r_tail->next = c;
	else
		s->r_head = c;
	s->r_tail = c;
	atomic_store(&s->r_pending, 1);
	atomic_thread_fence(memory_order_seq_cst);	/* pairs with coro_io_poll's */
	if (atomic_load(&s->sleeping)) {
		uint64_t one = 1;

		if (write(s->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			coro_fatal("cannot wake thread: eventfd write: %s", strerror(errno));
	}
	pthread_mutex_unlock(&s->rlock);
}

/* Move coroutines readied by other threads into the run queue. */
void coro_drain_remote(struct sched *s)
{
	struct coro *c;

	if (!atomic_load(&s->r_pending))
		return;
	pthread_mutex_lock(&s->rlock);
	c = s->r_head;
	s->r_head = s->r_tail = NULL;
	atomic_store(&s->r_pending, 0);
	pthread_mutex_unlock(&s->rlock);
	while (c) {
		struct coro *n = c->next;

		c->state = CORO_READY;
		rq_push(s, c);
		c = n;
	}
}

void coro_park(struct sched *s, enum coro_park_reason why)
{
	struct coro *self = s->cur;

	self->state = CORO_PARKED;
	if (s->ring.clock) {
		s->sw_park = why;
	} else if (CORO_PROBE_ON(park)) {
		uint64_t id = self->id;
		uint32_t reason = why;

		CORO_PROBE2(park, id, reason);
	}
	switch_to(s, self, next_runnable(s));
}

void coro_yield(void)
{
	struct sched *s = coro_sched_get("coro_yield");
	struct coro *self = s->cur, *next;

	/* No park or ready probe: a yielding coroutine never stops being
	 * runnable, and its switch says all there is. Two more probe hits
	 * would triple the cost of the commonest traced switch. */
	self->state = CORO_READY;
	rq_push(s, self);
	next = next_runnable(s);
	if (next == self) {
		self->state = CORO_RUNNING;
		return;
	}
	switch_to(s, self, next);
}

/* ------------------------------------------------------------------ */
/* Coroutine lifecycle. */

static struct coro *coro_alloc(struct sched *s)
{
	struct coro *c = s->free_coros;

	if (c) {
		s->free_coros = c->next;
		s->nfree_coros--;
	} else {
		c = malloc(sizeof(*c));
		if (!c)
			return NULL;
	}
	memset(c, 0, sizeof(*c));
	return c;
}

/* The struct is kept for reuse: a second join of a freed coroutine then
 * still finds CORO_FREED and aborts instead of reading freed memory. */
static void coro_free(struct sched *s, struct coro *c)
{
	c->magic = CORO_FREED;
	if (s->nfree_coros < FREE_CORO_MAX) {
		c->next = s->free_coros;
		s->free_coros = c;
		s->nfree_coros++;
	} else {
		free(c);
	}
}

static void zombie_add(struct sched *s, struct coro *c)
{
	c->zprev = NULL;
	c->znext = s->zombies;
	if (s->zombies)
		s->zombies->zprev = c;
	s->zombies = c;
}

static void zombie_del(struct sched *s, struct coro *c)
{
	if (c->zprev)
		c->zprev->znext = c->znext;
	else
		s->zombies = c->znext;
	if (c->znext)
		c->znext->zprev = c->zprev;
}

/* On the thread's context, right after a coroutine finished. */
static void reap(struct sched *s)
{
	struct coro *c = s->dead;

	s->dead = NULL;
	if (c->sh) {
		/* its frames die with it: nothing to save */
		if (c->sh->owner == c)
			c->sh->owner = NULL;
		c->sh = NULL;
		c->stack.map = NULL;
	} else {
		coro_stack_put(s, &c->stack);
	}
	free(c->save);
	c->save = NULL;
	c->save_len = c->save_cap = 0;
	free(c->wbuf);
	c->wbuf = NULL;
	c->wbuf_cap = 0;
	coro_ctx_fini(&c->ctx);
	if (c->flags & CORO_F_DETACHED)
		coro_free(s, c);
	else if (!c->joined)
		zombie_add(s, c);
	/* joined: the joiner frees it when it resumes */
}

/* First code on a new coroutine's stack. */
static void coro_entry(struct coro *c)
{
	struct sched *s = c->sched;

	asan_enter(s, c);
	if (unlikely(s->sw_t0))
		switch_end(s, c);
	coro_exit(c->fn(c->arg));
}

void coro_exit(void *result)
{
	struct sched *s = coro_sched_get("coro_exit");
	struct coro *self = s->cur;

	if (self == &s->main)
		coro_fatal("coro_exit() called outside a coroutine");
	self->result = result;
	self->state = CORO_DEAD;
	s->alive--;
	if (s->ring.clock) {
		coro_ring_put(&s->ring, CORO_RING_EXIT, coro_ring_now(&s->ring), self->id, 0, 0);
	} else if (CORO_PROBE_ON(exit)) {
		uint64_t id = self->id;

		CORO_PROBE1(exit, id);
	}
	if (self->joiner)
		coro_ready(self->joiner, self->id);
	s->dead = self;
	switch_to(s, self, &s->main);
	coro_fatal("finished coroutine %llu was resumed", (unsigned long long)self->id);
}

struct coro *coro_create(coro_fn fn, void *arg, const struct coro_attr *attr)
{
	struct sched *s = coro_sched_get("coro_create");
	size_t size = attr && attr->stack_size ? attr->stack_size : coro_cfg.stack_size;
	unsigned int flags = (attr ? attr->flags : 0) | coro_cfg.stack_flags;
	struct coro *c;
	int rc;

	if (!fn || size < CORO_STACK_MIN || size > CORO_STACK_MAX) {
		errno = EINVAL;
		return NULL;
	}
	c = coro_alloc(s);
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->sched = s;
	c->fn = fn;
	c->arg = arg;
	c->name = attr ? attr->name : NULL;
	/* the environment's default gives way to a request for a private
	 * stack, a fresh or pre-faulted one (stack flags: private stacks) */
	if (coro_cfg.shared_default && !(attr && (attr->flags & (CORO_F_PRIVATE_STACK |
			CORO_F_FRESH_STACK | CORO_F_PREFAULT))))
		flags |= CORO_F_SHARED_STACK;
	if (flags & CORO_F_PRIVATE_STACK)
		flags &= ~CORO_F_SHARED_STACK;
	c->flags = flags;
	if ((flags & CORO_F_SHARED_STACK) && s->backend == CORO_BACKEND_ASM)
		c->sh = coro_shstack_get(s, size);
	if (c->sh) {
		c->stack = c->sh->st;
		rc = save_init(c);
		if (!rc && !s->copier.ctx.sp)
			rc = copier_init(s);
	} else {
		c->flags &= ~CORO_F_SHARED_STACK;
		rc = coro_stack_get(s, &c->stack, size, flags);
	}
	if (!rc)
		rc = coro_ctx_init(s, c, coro_entry);
	if (rc) {
		if (c->stack.map && !c->sh)
			coro_stack_put(s, &c->stack);
		free(c->save);
		coro_free(s, c);
		errno = -rc;
		return NULL;
	}
	c->magic = CORO_MAGIC;
	c->id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
	s->created++;
	s->alive++;
	if (s->ring.clock) {
		coro_ring_put(&s->ring, CORO_RING_CREATE, coro_ring_now(&s->ring), c->id,
			      (uintptr_t)fn, (uint64_t)(c->stack.hi - c->stack.lo));
	} else if (CORO_PROBE_ON(create)) {
		uint64_t id = c->id, entry = (uintptr_t)fn;
		uint64_t ssize = (uint64_t)(c->stack.hi - c->stack.lo);

		CORO_PROBE3(create, id, entry, ssize);
	}
	coro_ready(c, s->cur->id);
	return c;
}

void coro_join(struct coro *c, void **result)
{
	struct sched *s = coro_sched_get("coro_join");
	struct coro *self = s->cur;

	if (!c || c->magic != CORO_MAGIC)
		coro_fatal("coro_join(): not a live coroutine (already joined, or a "
			   "detached one that finished)");
	if (c->sched != s)
		coro_fatal("coro_join(): coroutine %llu belongs to another thread",
			   (unsigned long long)c->id);
	if (c->joined)
		coro_fatal("coro_join(): coroutine %llu joined twice",
			   (unsigned long long)c->id);
	if (c->flags & (CORO_F_DETACHED | CORO_F_RUNMAIN))
		coro_fatal("coro_join(): coroutine %llu is not joinable",
			   (unsigned long long)c->id);
	if (c == self)
		coro_fatal("coro_join(): coroutine %llu joins itself",
			   (unsigned long long)c->id);
	c->joined = 1;
	if (c->state != CORO_DEAD) {
		c->joiner = self;
		coro_park(s, CORO_PARK_JOIN);
	} else {
		zombie_del(s, c);
	}
	if (result)
		*result = c->result;
	coro_free(s, c);
}

int coro_sleep_ns(uint64_t ns)
{
	struct sched *s = coro_sched_get("coro_sleep_ns");
	int rc;

	if (!ns) {
		coro_yield();
		return 0;
	}
	rc = coro_timer_add(&s->timers, coro_now_ns() + ns, s->cur);
	if (rc)
		return rc;
	coro_park(s, CORO_PARK_SLEEP);
	return 0;
}

struct coro *coro_self(void)
{
	struct sched *s = coro_tls_sched;

	return s && s->cur != &s->main ? s->cur : NULL;
}

uint64_t coro_id(const struct coro *c)
{
	return c ? c->id : 0;
}

int coro_in_scheduler(void)
{
	return coro_tls_sched != NULL;
}

void coro_get_stats(struct coro_stats *st)
{
	struct sched *s = coro_sched_get("coro_get_stats");

	ring_fold(s);
	st->switches = s->switches;
	st->switch_ns = s->switch_ns;
	st->created = s->created;
	st->alive = s->alive;
	st->shared_saved = s->sh_saved;
	st->shared_restored = s->sh_restored;
	st->shared_copies = s->sh_copies;
	st->shared_skipped = s->sh_skipped;
}

/* ------------------------------------------------------------------ */
/* The thread's own context: the scheduler loop. */

void coro_fire_stats_idle(struct sched *s)
{
	if (CORO_PROBE_ON(stats))
		fire_stats(s);
}

static void sched_loop(struct sched *s)
{
	for (;;) {
		coro_ring_tick(s);
		if (s->dead)
			reap(s);
		if (!s->rq_head || s->poll_due) {
			if (!s->rq_head && !s->alive)
				break;
			s->poll_due = 0;
			coro_io_poll(s, s->rq_head == NULL);
			continue;
		}
		switch_to(s, &s->main, rq_pop(s));
	}
}

static void sched_free(struct sched *s)
{
	while (s->zombies) {
		struct coro *c = s->zombies;

		zombie_del(s, c);
		coro_free(s, c);
	}
	while (s->free_coros) {
		struct coro *c = s->free_coros;

		s->free_coros = c->next;
		free(c);
	}
	coro_ring_destroy(&s->ring);
	if (s->copier.stack.map)
		coro_stack_put(s, &s->copier.stack);
	coro_ctx_fini(&s->copier.ctx);
	coro_shstack_fini(s);
	coro_stack_cache_drain(s);
	coro_timer_fini(&s->timers);
	coro_io_fini(s);
	coro_guard_thread_fini(s);
	coro_ctx_fini(&s->main.ctx);
	/* a waker of another thread may still hold the lock */
	pthread_mutex_lock(&s->rlock);
	pthread_mutex_unlock(&s->rlock);
	pthread_mutex_destroy(&s->rlock);
	free(s);
}

int coro_run(coro_fn fn, void *arg, void **result)
{
	struct sched *s;
	struct coro *c;
	int rc;

	if (coro_tls_sched)
		return -EBUSY;
	coro_config_load();
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->rlock, NULL);
	s->backend = backend_set ? backend_choice : coro_cfg.backend;
	s->main.sched = s;
	s->main.state = CORO_RUNNING;
	s->main.magic = CORO_MAGIC;
	s->cur = &s->main;
	s->epfd = s->evfd = -1;
	s->ring.fd = -1;
	rc = coro_io_init(s);
	if (!rc)
		rc = coro_ctx_main_init(s);
	if (!rc)
		rc = coro_guard_thread_init(s);
	if (rc) {
		sched_free(s);
		return rc;
	}
	coro_tls_sched = s;
	atomic_fetch_add(&nsched, 1);
	coro_ring_tick(s);
	c = coro_create(fn, arg, NULL);
	if (!c) {
		rc = -errno;
	} else {
		c->flags |= CORO_F_RUNMAIN;
		sched_loop(s);
		if (result)
			*result = c->result;
		coro_fire_stats_idle(s);
	}
	coro_tls_sched = NULL;
	sched_free(s);
	atomic_fetch_sub(&nsched, 1);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Backend selection. */

int coro_set_backend(enum coro_backend b)
{
	if (b != CORO_BACKEND_ASM && b != CORO_BACKEND_UCONTEXT)
		return -EINVAL;
	if (atomic_load(&nsched))
		return -EBUSY;
	backend_choice = b;
	backend_set = 1;
	return 0;
}

enum coro_backend coro_get_backend(void)
{
	struct sched *s = coro_tls_sched;

	if (s)
		return s->backend;
	if (backend_set)
		return backend_choice;
	coro_config_load();
	return coro_cfg.backend;
}

const char *coro_backend_name(enum coro_backend b)
{
	return b == CORO_BACKEND_UCONTEXT ? "ucontext" : "asm";
}
