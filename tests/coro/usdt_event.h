/* What tests/coro/coro_usdt.bpf.c reports for each USDT probe hit. */
#ifndef CORO_USDT_EVENT_H
#define CORO_USDT_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define USDT_MAX_ARGS	4

struct usdt_event {
	__u64 cookie;			/* which probe: set at attach time */
	__u64 ts;			/* ns, CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 tid;			/* thread that hit the probe */
	__u32 tgid;			/* its process */
	__u32 nargs;			/* arguments the probe has */
	__u32 pad;
	__u64 arg[USDT_MAX_ARGS];	/* its first arguments */
};

#endif
