/* Helpers shared by the coroutine runtime tests. */
#ifndef CORO_TEST_HELPERS_H
#define CORO_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "coro.h"

/* Run fn(arg) as the first coroutine of a scheduler on this thread;
 * returns coro_run()'s result. */
int run_coro(coro_fn fn, void *arg);

/* Run fn(arg) in a child process with its stderr captured into buf
 * (NUL-terminated); returns the child's wait status. */
int run_child(void (*fn)(void *), void *arg, char *buf, size_t len);

/* Resident set size of this process, bytes. */
uint64_t rss_bytes(void);

uint64_t now_ns(void);

/* A child that ran a coroutine named name off its 64 KiB stack: it died by
 * SIGSEGV (sanitizer builds report it and exit non-zero instead) after the
 * runtime's message named the coroutine and its stack. */
void check_overflow_death(int status, const char *msg, const char *name);

/* A coroutine body that recurses until it runs off its stack. */
void *overflow_stack(void *arg);

#endif
