// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Contexts: the first frame of a new coroutine for the assembly switch
 * (frame.h), or a makecontext() context for the ucontext backend.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void (*uc_entry_fn)(struct coro *);

/* makecontext() passes int arguments only; the coroutine is the one the
 * scheduler is switching to. */
static void uc_entry(void)
{
	uc_entry_fn(coro_tls_sched->cur);
}

/* A new coroutine starts with the floating-point control state of the
 * coroutine that created it, as a new thread inherits its creator's. */
void *coro_ctx_make(struct coro_frame *f, char *stack_hi,
		    void (*entry)(struct coro *), struct coro *c)
{
	memset(f, 0, sizeof(*f));
#if defined(__x86_64__)
	__asm__ volatile("stmxcsr %0" : "=m"(f->mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(f->x87cw));
	f->mxcsr &= ~0x3fu;		/* control bits only, no stale exception flags */
	f->rbx = (uintptr_t)c;
	f->r12 = (uintptr_t)entry;
	f->r13 = (uintptr_t)stack_hi;	/* page-aligned, so 16-byte aligned */
#else
	uint64_t fpcr;

	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	f->fpcr = fpcr;
	f->x[0] = (uintptr_t)c;		/* x19 */
	f->x[1] = (uintptr_t)entry;	/* x20 */
	f->x[2] = (uintptr_t)stack_hi;	/* x21 */
#endif
	f->pc = (uintptr_t)coro_ctx_start;
	return f;
}

int coro_ctx_init(struct sched *s, struct coro *c, void (*entry)(struct coro *))
{
	struct coro_ctx *x = &c->ctx;

#if defined(__SANITIZE_ADDRESS__)
	x->asan_lo = c->stack.lo;
	x->asan_len = (size_t)(c->stack.hi - c->stack.lo);
#endif
	if (s->backend == CORO_BACKEND_ASM) {
		x->sp = coro_ctx_make(&x->first, c->stack.hi, entry, c);
		return 0;
	}
	if (!x->uc) {
		x->uc = malloc(sizeof(*x->uc));
		if (!x->uc)
			return -ENOMEM;
	}
	if (getcontext(x->uc) < 0)
		return -errno;
	x->uc->uc_stack.ss_sp = c->stack.lo;
	x->uc->uc_stack.ss_size = (size_t)(c->stack.hi - c->stack.lo);
	x->uc->uc_link = NULL;
	uc_entry_fn = entry;
	makecontext(x->uc, uc_entry, 0);
	return 0;
}

void coro_ctx_fini(struct coro_ctx *x)
{
	free(x->uc);
	x->uc = NULL;
}

/* The thread's own context needs storage only with ucontext: the assembly
 * switch keeps everything on the thread's stack. */
int coro_ctx_main_init(struct sched *s)
{
	if (s->backend != CORO_BACKEND_UCONTEXT)
		return 0;
	s->main.ctx.uc = calloc(1, sizeof(*s->main.ctx.uc));
	return s->main.ctx.uc ? 0 : -ENOMEM;
}
