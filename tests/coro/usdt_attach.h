/* Attach tests/coro/coro_usdt.bpf.c to USDT probes of a binary, run a
 * command, collect the hits (tests and the traced benchmark). */
#ifndef CORO_USDT_ATTACH_H
#define CORO_USDT_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "usdt_event.h"

struct usdt_session;

typedef void (*usdt_cb)(void *ctx, const struct usdt_event *e);

/* Load the BPF object. NULL with a message in err (e.g. no privilege). */
struct usdt_session *usdt_open(char *err, size_t errlen);
/* Attach to provider:name in the ELF file at path, for every process that
 * maps it; hits carry cookie. count_only: on_count instead of on_event.
 * 0, or a negative errno with a message in err. */
int usdt_attach(struct usdt_session *u, int count_only, const char *path,
		const char *provider, const char *name, uint64_t cookie,
		char *err, size_t errlen);
/*
 * Run argv[0] with argv, its stdout captured into out (NUL-terminated);
 * only its hits count. Events go to cb (may be NULL). Returns the wait
 * status, or -1.
 */
int usdt_run(struct usdt_session *u, char *const argv[], usdt_cb cb, void *ctx,
	     char *out, size_t outlen);
uint64_t usdt_hits(struct usdt_session *u);	/* on_count hits of the last run */
uint64_t usdt_lost(struct usdt_session *u);	/* ring buffer overflows */
void usdt_close(struct usdt_session *u);

#endif
