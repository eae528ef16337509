// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Coroutine stacks: page-rounded mmap'd memory with a guard region below,
 * and a per-thread cache of freed stacks of the default size.
 *
 * Guards: MADV_GUARD_INSTALL (Linux 6.13) makes the guard without a
 * mapping of its own, so stacks cost one merged mapping between them and
 * vm.max_map_count does not bound their number. Elsewhere a PROT_NONE page
 * is one more mapping per stack. The madvise guard is verified once: some
 * environments (qemu-user) accept unknown madvise advice and do nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "internal.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#endif

/* CORO_GUARD_SIZE: catches frames up to 16 KiB past the end */
#define GUARD_LEN	CORO_GUARD_SIZE

static size_t page_size;
static int guard_madvise;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Does a guard installed by madvise really fault? A write(2) from it must
 * fail with EFAULT. */
static void probe_guard(void)
{
	char *p;
	int fds[2];

	page_size = (size_t)sysconf(_SC_PAGESIZE);
	p = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	if (madvise(p, page_size, MADV_GUARD_INSTALL) == 0 &&
	    pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
		guard_madvise = write(fds[1], p, 1) < 0 && errno == EFAULT;
		close(fds[0]);
		close(fds[1]);
	}
	munmap(p, 2 * page_size);
}

size_t coro_page_size(void)
{
	pthread_once(&once, probe_guard);
	return page_size;
}

const char *coro_guard_mode(void)
{
	pthread_once(&once, probe_guard);
	return guard_madvise ? "madvise" : "mprotect";
}

/* Touch every page. MADV_POPULATE_WRITE would batch the faults, but
 * qemu-user accepts it and does nothing. The stack is unused: zeroes are
 * harmless, and a write is what makes a private page resident. */
static void prefault(struct coro_stack *st)
{
	for (volatile char *p = st->hi - 1; p >= st->lo; p -= page_size)
		*p = 0;
}

static int stack_map(struct coro_stack *st, size_t size)
{
	size_t len = size + GUARD_LEN;
	char *map;

	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (map == MAP_FAILED)
		return -ENOMEM;
	/* a huge page would make every touched stack cost 2 MiB */
	(void)madvise(map, len, MADV_NOHUGEPAGE);
	if (!(guard_madvise && madvise(map, GUARD_LEN, MADV_GUARD_INSTALL) == 0) &&
	    mprotect(map, GUARD_LEN, PROT_NONE) < 0) {
		/* ENOMEM here: vm.max_map_count reached */
		munmap(map, len);
		return -ENOMEM;
	}
	st->map = map;
	st->map_len = len;
	st->lo = map + GUARD_LEN;
	st->hi = map + len;
#if defined(__SANITIZE_ADDRESS__)
	/* the range may have been a thread's stack that ended with its
	 * shadow still poisoned: a new mapping starts clean (looked at
	 * first: writing the shadow of a clean 8 MiB stack would make
	 * 1 MiB of it resident) */
	if (__asan_region_is_poisoned(st->lo, size))
		__asan_unpoison_memory_region(st->lo, size);
#endif
	return 0;
}

int coro_stack_get(struct sched *s, struct coro_stack *st, size_t size, unsigned int flags)
{
	int rc;

	pthread_once(&once, probe_guard);
	size = (size + page_size - 1) & ~(page_size - 1);
	if (!s->cache_size)
		s->cache_size = (coro_cfg.stack_size + page_size - 1) & ~(page_size - 1);
	if (!(flags & CORO_F_FRESH_STACK) && size == s->cache_size && s->ncache) {
		*st = s->stack_cache[--s->ncache];
#if defined(__SANITIZE_ADDRESS__)
		/* frames of the previous owner left poisoned red zones */
		__asan_unpoison_memory_region(st->lo, size);
#endif
	} else {
		rc = stack_map(st, size);
		if (rc)
			return rc;
	}
	if (flags & CORO_F_PREFAULT)
		prefault(st);
	else if (!(flags & CORO_F_FRESH_STACK))
		/* The page the first frames go on, made resident now: only a
		 * stack handed out untouched on purpose takes its first fault
		 * inside its first switch. */
		*(volatile char *)(st->hi - 1) = 0;
	return 0;
}

void coro_stack_put(struct sched *s, struct coro_stack *st)
{
	size_t size = (size_t)(st->hi - st->lo);

	if (!(coro_cfg.stack_flags & CORO_F_FRESH_STACK) && size == s->cache_size) {
		if (!s->stack_cache)
			s->stack_cache = malloc(STACK_CACHE_MAX * sizeof(*s->stack_cache));
		if (s->stack_cache && s->ncache < STACK_CACHE_MAX) {
			s->stack_cache[s->ncache++] = *st;
			st->map = NULL;
			return;
		}
	}
	munmap(st->map, st->map_len);
	st->map = NULL;
}

void coro_stack_cache_drain(struct sched *s)
{
	while (s->ncache) {
		struct coro_stack *st = &s->stack_cache[--s->ncache];

		munmap(st->map, st->map_len);
	}
	free(s->stack_cache);
	s->stack_cache = NULL;
}

/* Shared stacks: mapped like private ones (guard region below, top page
 * made resident now), one or coro_cfg.shared_stacks per size and thread,
 * handed out round-robin, unmapped when the scheduler ends. */
struct coro_shstack *coro_shstack_get(struct sched *s, size_t size)
{
	struct coro_shstack *pick[SHSTACK_MAX];
	unsigned int n = 0;
	struct coro_shstack *sh;

	pthread_once(&once, probe_guard);
	size = (size + page_size - 1) & ~(page_size - 1);
	for (unsigned int i = 0; i < s->nsh; i++)
		if ((size_t)(s->sh[i].st.hi - s->sh[i].st.lo) == size)
			pick[n++] = &s->sh[i];
	if (n && (n >= coro_cfg.shared_stacks || s->nsh == SHSTACK_MAX))
		return pick[s->sh_rr++ % n];
	if (s->nsh == SHSTACK_MAX)
		return NULL;	/* too many sizes: the caller falls back */
	sh = &s->sh[s->nsh];
	if (stack_map(&sh->st, size))
		return NULL;
	*(volatile char *)(sh->st.hi - 1) = 0;
	sh->owner = NULL;
	s->nsh++;
	return sh;
}

void coro_shstack_fini(struct sched *s)
{
	while (s->nsh) {
		struct coro_shstack *sh = &s->sh[--s->nsh];

		munmap(sh->st.map, sh->st.map_len);
	}
}

struct coro_shstack *coro_shstack_find(struct sched *s, const void *p)
{
	for (unsigned int i = 0; i < s->nsh; i++)
		if ((const char *)p >= s->sh[i].st.lo && (const char *)p < s->sh[i].st.hi)
			return &s->sh[i];
	return NULL;
}
