/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Internals of the coroutine runtime shared by its files. */
#ifndef CORO_INTERNAL_H
#define CORO_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "coro.h"
#include "coro_ring.h"
#include "frame.h"
#include "probes.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/* Why a coroutine parks: the values of the coro:park probe (the
 * SS_PARK_* of include/switchscope.h). */
enum coro_park_reason {
	CORO_PARK_CHANNEL = 1,
	CORO_PARK_FD = 2,
	CORO_PARK_SLEEP = 3,
	CORO_PARK_JOIN = 4,
	CORO_PARK_YIELD = 5,
	CORO_PARK_OTHER = 6,
};

/* A stack: [map, map + guard) is the guard region, [lo, hi) the usable
 * stack; the stack grows down from hi. */
struct coro_stack {
	void *map;
	size_t map_len;
	char *lo;
	char *hi;
};

/* One execution context: a coroutine's, or a thread's own (the
 * scheduler, coroutine id 0). */
struct coro_ctx {
	void *sp;		/* asm backend: the saved frame */
	struct coro_frame first __attribute__((aligned(16))); /* the first one */
	ucontext_t *uc;		/* ucontext backend */
#if defined(__SANITIZE_ADDRESS__)
	void *asan_fake;	/* ASan fake stack of a suspended context */
	const void *asan_lo;	/* stack bounds, for the fiber annotations */
	size_t asan_len;
#endif
};

enum coro_state {
	CORO_READY = 1,		/* in a run queue */
	CORO_RUNNING,
	CORO_PARKED,
	CORO_DEAD,		/* finished; result kept until joined */
};

#define CORO_MAGIC	0x636f726f21u	/* a live struct coro */
#define CORO_FREED	0xdeadc0deu	/* back in the struct cache */

struct sched;

struct coro {
	struct coro_ctx ctx;
	struct sched *sched;	/* the thread it runs on, for good */
	uint64_t id;		/* process-unique, from 1 */
	uint64_t magic;		/* CORO_MAGIC while valid */
	struct coro *next;	/* run queue, remote queue, struct cache */
	struct coro *zprev;	/* zombie list: finished, not yet joined */
	struct coro *znext;
	coro_fn fn;
	void *arg;
	void *result;
	struct coro *joiner;	/* coroutine waiting in coro_join */
	const char *name;
	struct coro_stack stack;
	unsigned int flags;	/* CORO_F_* */
	unsigned char state;	/* enum coro_state */
	unsigned char joined;	/* coro_join was called */
	/* shared-stack coroutines only (sh != NULL; stack then describes
	 * sh's memory and is not this coroutine's to free) */
	struct coro_shstack *sh;
	char *save;		/* its frames while another owns sh: [ctx.sp, hi) */
	size_t save_len;	/* bytes in save (0: nothing saved yet) */
	size_t save_cap;
	void *wbuf;		/* chan.c: a waiter off the stack */
	size_t wbuf_cap;
};

/* A stack that the frames of several coroutines take turns on: the
 * owner's frames are on it, everyone else's are saved in its buffer. */
struct coro_shstack {
	struct coro_stack st;
	struct coro *owner;	/* whose frames are on it (NULL: none) */
};

#define SHSTACK_MAX	16	/* shared stacks per thread, of all sizes */

/* Sleepers, by deadline then by order of arrival. */
struct timer {
	uint64_t deadline;	/* CLOCK_MONOTONIC ns */
	uint64_t seq;
	struct coro *c;
};

struct timer_heap {
	struct timer *v;
	size_t n, cap;
	uint64_t seq;
};

/* Waiters on one fd, one per direction. */
struct fd_slot {
	struct coro *rd;
	struct coro *wr;
	unsigned char registered;	/* in the epoll set (edge-triggered) */
};

#define STACK_CACHE_MAX	256

struct sched {
	struct coro main;	/* the thread's own context: id 0 */
	struct coro *cur;	/* running context (&main in the loop) */
	struct coro *rq_head;	/* run queue */
	struct coro *rq_tail;
	struct coro *dead;	/* finished coroutine to reap on main */
	struct coro *zombies;	/* finished, joinable, not joined yet */
	struct coro *free_coros; /* struct cache */
	unsigned int nfree_coros;
	enum coro_backend backend;

	/* switch accounting: coro:switch and coro:stats */
	uint64_t switches;
	uint64_t switch_ns;
	uint64_t stats_mark;	/* switches at the last coro:stats */
	uint64_t sw_t0;		/* start of the switch in flight (0: untimed) */
	uint64_t sw_from;	/* its from id */
	struct coro *sw_prev;	/* context it left (sanitizer annotations) */
	unsigned int sw_park;	/* ring: park reason to record at switch start */

	/* the trace ring (include/coro_ring.h): written while ring.clock != 0 */
	struct coro_ring_writer ring;
	uint64_t ring_ticks;		/* switch time in ring clock units, not yet
					 * in switch_ns (ring_fold) */
	unsigned short ring_sem;	/* coro:ring semaphore last acted on */

	uint64_t created;
	uint64_t alive;
	unsigned int ticks;	/* hand-offs since main last polled */
	unsigned char poll_due;

	struct timer_heap timers;

	int epfd;
	int evfd;		/* cross-thread wakeups */
	struct fd_slot *fds;
	size_t nfds;
	unsigned int fd_waiters;

	/* ready coroutines handed over by other threads */
	pthread_mutex_t rlock;
	struct coro *r_head;
	struct coro *r_tail;
	atomic_int r_pending;
	atomic_int sleeping;	/* in epoll_wait: wakers write evfd */

	struct coro_stack *stack_cache;	/* freed stacks of cache_size */
	unsigned int ncache;
	size_t cache_size;

	void *altstack;		/* signal stack for stack-overflow reports */
	size_t altstack_len;

	/* shared stacks (stack.c): allocated on first use */
	struct coro_shstack sh[SHSTACK_MAX];
	unsigned int nsh;
	unsigned int sh_rr;		/* round-robin among stacks of one size */
	struct coro copier;		/* copies when a shared stack changes
					 * hands under the coroutine leaving it */
	struct coro *sh_next;		/* where the copier goes on */
	uint64_t sh_saved;		/* bytes saved on switch-out (coro_stats) */
	uint64_t sh_restored;		/* bytes restored on switch-in */
	uint64_t sh_copies;		/* switches into a shared stack that copied */
	uint64_t sh_skipped;		/* ... that found their frames in place */
};

extern __thread struct sched *coro_tls_sched __attribute__((tls_model("initial-exec")));

/* Configuration read once from the environment (coro.h). */
struct coro_config {
	enum coro_backend backend;
	size_t stack_size;
	unsigned int stats_every;
	unsigned int stack_flags;	/* CORO_F_PREFAULT | CORO_F_FRESH_STACK */
	unsigned int ring_slots;	/* 0: no trace ring (CORO_RING=0) */
	unsigned int shared_default;	/* CORO_SHARED_STACK=1 */
	unsigned int shared_stacks;	/* CORO_SHARED_STACKS: per size per thread */
};
extern struct coro_config coro_cfg;
extern unsigned int coro_hooks;
void coro_config_load(void);

/* The calling thread's scheduler, or abort naming the API function. */
struct sched *coro_sched_get(const char *fn);
__attribute__((noreturn, format(printf, 1, 2)))
void coro_fatal(const char *fmt, ...);

/* Park the running coroutine (the caller has recorded where it waits);
 * returns once someone made it ready again. */
void coro_park(struct sched *s, enum coro_park_reason why);
/* Make a parked coroutine runnable; by = id of the waker (0: scheduler).
 * Works from any thread. */
void coro_ready(struct coro *c, uint64_t by);
uint64_t coro_now_ns(void);
/* Move coroutines readied by other threads into the run queue. */
void coro_drain_remote(struct sched *s);
/* coro:stats when the thread goes idle (if anyone listens). */
void coro_fire_stats_idle(struct sched *s);
uint64_t coro_cur_id(void);

/* Switch time kept in ring clock units is added to switch_ns when read. */
static inline void ring_fold(struct sched *s)
{
	if (s->ring_ticks) {
		s->switch_ns += coro_ring_to_ns(&s->ring, s->ring_ticks);
		s->ring_ticks = 0;
	}
}

/* ring.c: the trace ring's low-rate half (the hot half is in sched.c). */
void coro_ring_poll(struct sched *s);
/* A child of fork() forgets its parent's rings (once, at config load). */
void coro_ring_atfork(void);
/* Called every few dozen switches and in the scheduler loop: a load and
 * a compare unless a recorder came, left, or mapped the ring. */
static inline void coro_ring_tick(struct sched *s)
{
	if (unlikely(CORO_PROBE_SEM(ring) != s->ring_sem ||
		     (s->ring.hdr && !s->ring.clock)))
		coro_ring_poll(s);
}

/* stack.c */
int coro_stack_get(struct sched *s, struct coro_stack *st, size_t size,
		   unsigned int flags);
void coro_stack_put(struct sched *s, struct coro_stack *st);
void coro_stack_cache_drain(struct sched *s);
/* A shared stack of size bytes for a new coroutine (NULL: ENOMEM). */
struct coro_shstack *coro_shstack_get(struct sched *s, size_t size);
void coro_shstack_fini(struct sched *s);
/* Debug builds (not NDEBUG): is p inside one of s's shared stacks? */
struct coro_shstack *coro_shstack_find(struct sched *s, const void *p);
size_t coro_page_size(void);

/* ctx.c: first frame of a new context. coro_ctx_make builds the frame
 * for coro_ctx_switch in f, not on the stack, and returns the stack
 * pointer to switch to: entry(c) runs on the first switch, on the stack
 * below stack_hi (page-aligned). Creating a coroutine thus never touches
 * its stack: a fresh stack's first page fault happens in its first
 * switch, where `switchscope verify` must see it. */
void *coro_ctx_make(struct coro_frame *f, char *stack_hi,
		    void (*entry)(struct coro *), struct coro *c);
int coro_ctx_init(struct sched *s, struct coro *c, void (*entry)(struct coro *));
void coro_ctx_fini(struct coro_ctx *x);
int coro_ctx_main_init(struct sched *s);

/* guard.c: stack-overflow reports. */
int coro_guard_thread_init(struct sched *s);
void coro_guard_thread_fini(struct sched *s);

/* timer.c */
int coro_timer_add(struct timer_heap *h, uint64_t deadline, struct coro *c);
/* Make ready every sleeper due at now; ns until the next one, or -1. */
int64_t coro_timer_expire(struct timer_heap *h, uint64_t now);
void coro_timer_fini(struct timer_heap *h);

/* io.c */
int coro_io_init(struct sched *s);
void coro_io_fini(struct sched *s);
/* Wait for fds, timers and remote wakeups: block (until the next timer,
 * or forever) or just look (timeout 0). */
void coro_io_poll(struct sched *s, int block);

#endif /* CORO_INTERNAL_H */
