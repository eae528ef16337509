/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * coro: the coroutine runtime of switchscope.
 *
 * Stackful coroutines with a hand-written context switch (x86_64 SysV,
 * aarch64 AAPCS64), mmap'd stacks with a guard region below each, one
 * scheduler per thread, channels (also across threads), sleep, and I/O
 * that parks the coroutine instead of blocking the thread (non-blocking
 * fds + epoll). Every scheduling event is reported through USDT probes of
 * provider "coro" (docs/PROBES.md): nothing is measured or emitted unless
 * a tracer is attached, and an untraced probe costs a load and a branch.
 *
 * Model
 *   A thread becomes a scheduler by calling coro_run(); it returns when
 *   every coroutine created on that thread has finished. Any number of
 *   threads may each run their own scheduler. A coroutine always runs on
 *   the thread that created it; coroutines of different threads talk
 *   through channels (the wakeup crosses threads through an eventfd).
 *   A coroutine switch never makes a system call: the kernel is entered by
 *   I/O calls themselves, by a thread with nothing runnable (it waits in
 *   epoll_wait), and by a wakeup of a coroutine whose thread waits there
 *   (an eventfd write). The ucontext backend is the exception: glibc's
 *   swapcontext sets the signal mask on every switch; it exists for
 *   comparison, and to be caught doing so.
 *
 * Stacks
 *   Page-rounded, CORO_STACK_DEFAULT unless coro_attr.stack_size says
 *   otherwise; only touched pages are resident (about 4 KiB for an idle
 *   coroutine). Below each, CORO_GUARD_SIZE bytes that fault: a coroutine
 *   that overflows its stack kills the process with "coro: stack overflow
 *   in coroutine <id> "<name>" ..." on stderr (the SIGSEGV handler runs on
 *   an alternate signal stack that coro_run() installs). Freed stacks are
 *   cached per thread and handed to the next coroutine of the default
 *   size, with the pages their last owner touched still resident.
 *
 * Shared stacks (CORO_F_SHARED_STACK, or CORO_SHARED_STACK=1)
 *   Copy stacks in the manner of libaco: the frames of several coroutines
 *   take turns on one stack per size per thread (CORO_SHARED_STACKS of
 *   them, handed out round-robin), mapped and guarded like a private one.
 *   A coroutine that switches in onto a shared stack holding someone
 *   else's frames first saves that owner's used part (from its saved stack
 *   pointer to the top) into the owner's private buffer, which grows as
 *   needed and is never shrunk, then copies its own saved bytes back to
 *   the addresses they had. A coroutine that finds its frames still in
 *   place copies nothing. An idle shared-stack coroutine thus costs its
 *   struct and a buffer of its live frames (a few hundred bytes), and a
 *   switch costs a copy of the bytes live on the two stacks. The copy
 *   happens inside the switch's measured window and makes no system call,
 *   except when a buffer has to grow (malloc, which may map memory).
 *   The flag needs the asm backend (with ucontext the coroutine gets a
 *   private stack), and CORO_F_PRIVATE_STACK, CORO_F_FRESH_STACK or
 *   CORO_F_PREFAULT in coro_attr.flags override the environment's default.
 *   Overflow is reported as for private stacks: "coro: stack overflow in
 *   coroutine <id> ... (a shared stack)".
 *
 *   THE CAVEAT. While a shared-stack coroutine is switched out, the
 *   addresses of its locals hold someone else's frames: a pointer to a
 *   local (a buffer, a struct handed to another coroutine, an element
 *   sent as a pointer through a channel) is valid only while its owner
 *   runs. Hand other coroutines heap or static memory instead. The runtime
 *   keeps its own waiters (channels) off the stack. Builds without NDEBUG
 *   check every channel element sent: a pointer-sized word pointing into a
 *   shared stack of the sending thread aborts with "coro: coro_chan_send():
 *   ... points into a shared stack". ASan builds unpoison what they copy
 *   (the red zones of restored frames are lost until those frames return).
 *   The copy totals are in struct coro_stats; coro:stats carries the
 *   bytes saved as a third argument, which switchscope records
 *   (struct ss_coro_stats.shared_saved). struct coro_stats grew with
 *   this: a program must be rebuilt against this header.
 *
 * Errors
 *   Functions that can fail for reasons outside the program (memory, bad
 *   sizes, closed channels, I/O) return -1/NULL and set errno, or return a
 *   negative errno where documented. Misuse that can only be a bug aborts
 *   at once with a message "coro: ...": a coroutine API called outside a
 *   scheduler, a coroutine joined twice or joined from another thread, a
 *   second waiter on one fd direction.
 *
 * Build-time choice: -DCORO_DEFAULT_BACKEND=CORO_BACKEND_UCONTEXT makes
 * ucontext the default backend of a build (the environment and
 * coro_set_backend() still override it).
 *
 * Environment (read once, when the first scheduler starts)
 *   CORO_BACKEND=asm|ucontext   context switch backend (default asm);
 *                               coro_set_backend() overrides it.
 *   CORO_STACK_SIZE=BYTES       default stack size (default CORO_STACK_DEFAULT)
 *   CORO_PREFAULT=1             pre-fault every new stack at creation
 *                               (as if every coroutine had CORO_F_PREFAULT)
 *   CORO_STACK_CACHE=0          never reuse a freed stack: every coroutine
 *                               gets a fresh, untouched mapping (as if every
 *                               coroutine had CORO_F_FRESH_STACK), whose first
 *                               page fault happens inside the first switch
 *                               into it (otherwise a new stack's top page is
 *                               touched when the coroutine is created)
 *   CORO_STATS_EVERY=N          fire coro:stats every N switches (default
 *                               CORO_STATS_EVERY_DEFAULT) and when a thread
 *                               goes idle
 *   CORO_RING=0                 never write the shared-memory trace ring:
 *                               a recorder gets every event through the
 *                               USDT probes (one kernel entry each)
 *   CORO_RING_SLOTS=N           records per thread's trace ring, a power of
 *                               two (default 524288: 16 MiB of address
 *                               space, resident only as far as written)
 *   CORO_SHARED_STACK=1         every coroutine gets a shared stack (as if
 *                               it had CORO_F_SHARED_STACK), unless its attr
 *                               asks for a private, fresh or pre-faulted one
 *   CORO_SHARED_STACKS=N        shared stacks per stack size and thread
 *                               (default 1, at most 16 in all)
 *   CORO_TEST_SWITCH_SYSCALL=1  test hook for `switchscope verify`: every
 *                               switch calls getppid() inside its measured
 *                               window (between the start timestamp and the
 *                               stack switch), so a verifier has a kernel
 *                               entry to catch; see coro_set_test_hooks().
 *                               Such switches are timed like traced ones.
 */
#ifndef CORO_H
#define CORO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif
/* The library is built with -fvisibility=hidden: this is its whole API. */
#pragma GCC visibility push(default)

struct coro;		/* a coroutine */
struct coro_chan;	/* a channel */

typedef void *(*coro_fn)(void *arg);

/* Default stack: small enough for hundreds of thousands of coroutines
 * (only touched pages are resident), large enough for libc formatting.
 * Sanitizer builds need more stack per frame. */
#if defined(__SANITIZE_ADDRESS__)
#define CORO_STACK_DEFAULT	(256u << 10)
#else
#define CORO_STACK_DEFAULT	(64u << 10)
#endif
#define CORO_STACK_MIN		(16u << 10)	/* smaller: EINVAL */
#define CORO_GUARD_SIZE		(16u << 10)	/* inaccessible, below every stack */
#define CORO_STACK_MAX		(1u << 30)	/* larger: EINVAL */
#define CORO_STATS_EVERY_DEFAULT 4096

/* struct coro_attr.flags */
#define CORO_F_DETACHED		0x1	/* never joined: freed when it returns */
#define CORO_F_PREFAULT		0x2	/* touch every stack page at creation */
#define CORO_F_FRESH_STACK	0x4	/* a new untouched mapping, not a cached stack */
#define CORO_F_SHARED_STACK	0x8	/* frames copied on and off a shared stack */
#define CORO_F_PRIVATE_STACK	0x10	/* a private stack even if CORO_SHARED_STACK=1 */

struct coro_attr {
	size_t stack_size;	/* bytes, rounded up to pages; 0: default */
	unsigned int flags;	/* CORO_F_* */
	const char *name;	/* shown in fatal messages; not copied */
};

/*
 * Run a scheduler on the calling thread: create a coroutine for fn(arg),
 * then run coroutines, timers and I/O until every coroutine of this
 * thread has finished. *result (if not NULL) receives fn's return value.
 * Returns 0, or a negative errno (-EBUSY: this thread already runs a
 * scheduler; -ENOMEM; -EMFILE from epoll/eventfd).
 */
int coro_run(coro_fn fn, void *arg, void **result);

/*
 * Create a coroutine on the calling thread's scheduler; it becomes
 * runnable at once and first runs when the caller yields or parks.
 * attr may be NULL. Returns NULL with errno EINVAL (stack size outside
 * CORO_STACK_MIN..CORO_STACK_MAX) or ENOMEM.
 */
struct coro *coro_create(coro_fn fn, void *arg, const struct coro_attr *attr);

/* Let every other runnable coroutine of this thread run once. */
void coro_yield(void);

/*
 * Wait for c to finish; *result (if not NULL) receives its return value
 * (or the value given to coro_exit()). Frees c. Only once per coroutine,
 * from the thread that created it, never for CORO_F_DETACHED ones.
 */
void coro_join(struct coro *c, void **result);

/* Finish the calling coroutine with a result; does not return. */
__attribute__((noreturn)) void coro_exit(void *result);

/* Park the calling coroutine for at least ns nanoseconds (0: a yield).
 * 0, or -ENOMEM (the timer heap could not grow). */
int coro_sleep_ns(uint64_t ns);

/* The running coroutine; its process-unique id (1, 2, ...; 0 = none). */
struct coro *coro_self(void);
uint64_t coro_id(const struct coro *c);

/* Is the calling thread running a scheduler? */
int coro_in_scheduler(void);

/*
 * Channels of fixed-size elements. capacity 0: unbuffered (a send waits
 * for a receiver). Usable by coroutines of any thread.
 * coro_chan_send/recv return 0, or -EPIPE once the channel is closed
 * (recv: closed and drained). Waiters are woken by close with -EPIPE.
 * coro_chan_free: the channel must have no waiters.
 */
struct coro_chan *coro_chan_new(size_t elem_size, size_t capacity);
int coro_chan_send(struct coro_chan *ch, const void *elem);
int coro_chan_recv(struct coro_chan *ch, void *elem);
void coro_chan_close(struct coro_chan *ch);
void coro_chan_free(struct coro_chan *ch);

/*
 * I/O on non-blocking fds: like read(2) etc., but EAGAIN parks the
 * coroutine until epoll reports the fd ready; other coroutines run
 * meanwhile. -1 and errno on failure. An fd is used by coroutines of one
 * thread only, at most one reader and one writer at a time, and is closed
 * with coro_close() (it forgets the fd's epoll registration).
 */
int coro_fd_nonblock(int fd);
int coro_fd_wait(int fd, unsigned int epoll_events);	/* EPOLLIN/EPOLLOUT */
ssize_t coro_read(int fd, void *buf, size_t len);
ssize_t coro_write(int fd, const void *buf, size_t len);
int coro_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
int coro_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);
int coro_close(int fd);

/* Context switch backends. */
enum coro_backend {
	CORO_BACKEND_ASM = 0,		/* this runtime's assembly switch */
	CORO_BACKEND_UCONTEXT = 1,	/* glibc swapcontext: a syscall per switch */
};

/* Select the backend of schedulers started from now on: 0, or -EBUSY
 * while any scheduler runs (contexts of two backends never meet). */
int coro_set_backend(enum coro_backend b);
enum coro_backend coro_get_backend(void);
const char *coro_backend_name(enum coro_backend b);

/* Test hooks (CORO_TEST_SWITCH_SYSCALL above); 0 turns them off. */
#define CORO_TEST_SWITCH_SYSCALL	0x1	/* getppid() inside each switch window */
void coro_set_test_hooks(unsigned int hooks);

/* Per-thread totals of the calling thread's scheduler (also what
 * coro:stats reports: switches, switch_ns, shared_saved). switch_ns only sums switches that were timed, i.e.
 * made while coro:switch or coro:stats had a consumer attached. */
struct coro_stats {
	uint64_t switches;	/* context switches made by this thread */
	uint64_t switch_ns;	/* summed duration of the timed ones, ns */
	uint64_t created;	/* coroutines created on this thread */
	uint64_t alive;		/* coroutines not yet finished */
	/* shared stacks (coro:stats carries shared_saved as its 3rd arg) */
	uint64_t shared_saved;	/* bytes saved off shared stacks on switch-out */
	uint64_t shared_restored; /* bytes copied back on switch-in */
	uint64_t shared_copies;	/* switches into a shared stack that copied */
	uint64_t shared_skipped; /* ... that found their frames in place */
};
void coro_get_stats(struct coro_stats *st);

/* How stack guard pages are made: "madvise" (MADV_GUARD_INSTALL, Linux
 * 6.13+: no extra mapping per stack) or "mprotect" (a PROT_NONE page: one
 * extra mapping per stack, so vm.max_map_count bounds the number of
 * coroutines at about half its value). */
const char *coro_guard_mode(void);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* CORO_H */
