// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Stack overflow reports. A coroutine that runs off its stack faults in
 * the guard region below it; the SIGSEGV handler runs on the thread's
 * alternate signal stack (the coroutine's own is exhausted), names the
 * coroutine and lets the fault kill the process. Faults that are not ours
 * go to the handler that was there before.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define ALTSTACK_MIN	(64u << 10)

static struct sigaction prev_segv;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int handler_ok;

/* Signal-safe formatting into a fixed buffer. */
struct msg {
	char buf[512];
	size_t len;
};

static void put_str(struct msg *m, const char *s)
{
	while (*s && m->len < sizeof(m->buf))
		m->buf[m->len++] = *s++;
}

static void put_num(struct msg *m, unsigned long long v, unsigned int base)
{
	char tmp[24];
	int i = 0;

	if (base == 16)
		put_str(m, "0x");
	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i && m->len < sizeof(m->buf))
		m->buf[m->len++] = tmp[--i];
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	struct sched *s = coro_tls_sched;
	struct coro *c = s ? s->cur : NULL;
	char *addr = si->si_addr;
	struct msg m = { .len = 0 };
	int saved = errno;

	if (c && c != &s->main && c->stack.map &&
	    addr >= (char *)c->stack.map && addr < c->stack.lo) {
		put_str(&m, "coro: stack overflow in coroutine ");
		put_num(&m, c->id, 10);
		if (c->name) {
			put_str(&m, " \"");
			put_str(&m, c->name);
			put_str(&m, "\"");
		}
		put_str(&m, ": fault at ");
		put_num(&m, (uintptr_t)addr, 16);
		put_str(&m, ", in the guard region below its ");
		put_num(&m, (unsigned long long)(c->stack.hi - c->stack.lo), 10);
		put_str(&m, "-byte stack ");
		put_num(&m, (uintptr_t)c->stack.lo, 16);
		put_str(&m, "-");
		put_num(&m, (uintptr_t)c->stack.hi, 16);
		if (c->sh)
			put_str(&m, " (a shared stack)");
		put_str(&m, " (give it a larger coro_attr.stack_size)\n");
		(void)!write(STDERR_FILENO, m.buf, m.len);
		signal(SIGSEGV, SIG_DFL);
	} else {
		sigaction(SIGSEGV, &prev_segv, NULL);
	}
	/* returning re-executes the faulting access under that disposition */
	errno = saved;
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	handler_ok = sigaction(SIGSEGV, &sa, &prev_segv) == 0;
}

/* The handler needs a stack of its own on every scheduler thread; a thread
 * that already has one (the application's, a sanitizer's) keeps it. */
int coro_guard_thread_init(struct sched *s)
{
	stack_t cur, ss;
	long min = sysconf(_SC_SIGSTKSZ);
	size_t len = ALTSTACK_MIN;

	pthread_once(&once, install);
	if (!handler_ok)
		return -EINVAL;
	if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
		return 0;
	if (min > 0 && (size_t)min > len)
		len = (size_t)min;
	ss.ss_sp = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ss.ss_sp == MAP_FAILED)
		return -ENOMEM;
	ss.ss_size = len;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) < 0) {
		int rc = -errno;

		munmap(ss.ss_sp, len);
		return rc;
	}
	s->altstack = ss.ss_sp;
	s->altstack_len = len;
	return 0;
}

void coro_guard_thread_fini(struct sched *s)
{
	stack_t ss = { .ss_flags = SS_DISABLE };

	if (!s->altstack)
		return;
	sigaltstack(&ss, NULL);
	munmap(s->altstack, s->altstack_len);
	s->altstack = NULL;
}
