/* verify: did any coroutine switch enter the kernel?
 *
 * A coroutine switch is the window [start, end] the runtime measured around
 * it (coro:switch gives start_ns and dur_ns; without start_ns the window is
 * the dur_ns before the probe). Everything the same thread did in the kernel
 * inside that window is examined:
 *   syscall      a sys_enter: a violation, by name;
 *   fault        a user page fault: a violation, with its address;
 *   block        a voluntary sched_switch of the thread: a violation;
 *   preemption   an involuntary sched_switch (timer, a woken task): not the
 *                runtime's doing; counted apart;
 *   stop         the thread stopped by a signal or a tracer (SIGSTOP: the
 *                recorder holds a process at a dlopen): counted apart.
 * Kernel entries of the instrumentation are excluded by what they are: the
 * uprobe syscall of an optimized probe (x86_64 nr 336) and the uretprobe
 * one (335), and clock reads that fell back from the vDSO to a syscall
 * (clock_gettime, gettimeofday, time). The int3 of an unoptimized probe is a
 * trap, not a syscall, and never shows as one. */
#ifndef SS_VERIFY_H
#define SS_VERIFY_H

#include <stdint.h>
#include <stdio.h>

#include "switchscope.h"

enum ss_vkind {
	SS_V_SYSCALL,
	SS_V_FAULT,
	SS_V_BLOCK,
	SS_V_NKINDS,
};

#define SS_VERIFY_EXAMPLES 3

struct ss_vexample {
	uint64_t ts;		/* of the kernel entry */
	uint32_t tid;
	uint64_t from, to;	/* the coroutine switch it fell into */
	uint64_t detail;	/* fault address, or syscall nr */
};

struct ss_vgroup {
	int kind;		/* enum ss_vkind */
	uint32_t nr;		/* syscall number (SS_V_SYSCALL) */
	uint64_t count;
	struct ss_vexample ex[SS_VERIFY_EXAMPLES];
};

struct ss_verify {
	char machine[16];
	uint64_t switches;		/* coroutine switches checked */
	uint64_t switches_no_start;	/* of which windows came from dur_ns only */
	uint64_t threads;		/* threads that ran coroutine switches */
	uint64_t violations;		/* switches with at least one violation */
	uint64_t entries;		/* kernel entries inside switches (violations) */
	uint64_t preemptions;		/* involuntary switches inside switches */
	uint64_t stops;			/* stops (SIGSTOP, tracer) inside switches */
	uint64_t excluded_uprobe;	/* instrumentation syscalls inside windows */
	uint64_t excluded_clock;
	uint64_t seen_uprobe;		/* probe syscalls of any time */
	uint64_t seen_clock;		/* clock syscalls of any time */
	uint64_t overflow;		/* windows with more entries than kept */
	uint64_t syscalls_seen;		/* sys_enter records of any thread */
	uint64_t lost;
	struct ss_vgroup *groups;
	size_t ngroups;
	struct ss_vstate *st;
};

int ss_verify_init(struct ss_verify *v, const char *machine);
void ss_verify_add(struct ss_verify *v, const struct ss_hdr *h);
void ss_verify_free(struct ss_verify *v);

#endif
