/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The USDT probes of provider "coro" (the probe ABI: docs/PROBES.md).
 *
 * Each probe has a semaphore coro_<name>_semaphore that the kernel
 * increments while a uprobe consumer is attached (libbpf, bpftrace, perf
 * set it through the uprobe reference counter). Code tests the semaphore
 * before it computes any argument or takes any timestamp, so an untraced
 * probe costs a load and a not-taken branch.
 *
 * The probe site itself: plain sys/sdt.h emits a 1-byte nop, which the
 * kernel can only turn into an int3 trap. With CORO_PROBE_NOP5 (x86_64)
 * this header emits the 5-byte nop 0f 1f 44 00 00 instead; Linux 6.18+
 * rewrites a uprobe on such a nop into a call to a trampoline, about twice
 * as cheap per hit. It is not the default: on Linux 6.18 the trampoline's
 * mapping ([uprobes-trampoline]) is not inherited by a child of fork()
 * while the calls into it are, so the child dies of SIGSEGV at its first
 * probe hit (docs/PROBES.md). The hot events go through the trace ring
 * anyway, not the probes. The call pushes a return address below the
 * stack pointer, into the red zone, so every file with a probe site is
 * compiled with -mno-red-zone (mk/coro.mk). CORO_NO_PROBES compiles the
 * probes out (benchmark baseline).
 */
#ifndef CORO_PROBES_H
#define CORO_PROBES_H

#include <stdint.h>

#define CORO_SEMAPHORE(name)	coro_##name##_semaphore

#define CORO_SEMAPHORES(X) X(create) X(switch) X(park) X(ready) X(exit) X(stats) X(ring)
#define CORO_SEM_DECLARE(name) \
	extern unsigned short CORO_SEMAPHORE(name) __attribute__((visibility("hidden")));
CORO_SEMAPHORES(CORO_SEM_DECLARE)
#undef CORO_SEM_DECLARE

#ifdef CORO_NO_PROBES

#define CORO_PROBE_ON(name)	0
#define CORO_PROBE_SEM(name)	0
#define CORO_PROBE1(name, a)		do { (void)(a); } while (0)
#define CORO_PROBE2(name, a, b)		do { (void)(a); (void)(b); } while (0)
#define CORO_PROBE3(name, a, b, c)	do { (void)(a); (void)(b); (void)(c); } while (0)
#define CORO_PROBE4(name, a, b, c, d) \
	do { (void)(a); (void)(b); (void)(c); (void)(d); } while (0)

#else

#define _SDT_HAS_SEMAPHORES 1
/* Arguments in registers or as constants, never in memory: a consumer
 * reads a register from the trap's saved registers, but must copy a
 * memory operand from user space (bpf_probe_read_user: about 40 ns an
 * argument here, most of a traced switch's BPF cost). The loads move to
 * the probe site, which runs only while the probe is traced. */
#define STAP_SDT_ARG_CONSTRAINT nr
#include <sys/sdt.h>

#if defined(__x86_64__) && defined(CORO_PROBE_NOP5)
/* The 5-byte nop 0f 1f 44 00 00; the stapsdt note still records the
 * address of its first byte, so any USDT consumer attaches there unchanged.
 * {disp8} keeps the assembler from dropping the zero displacement (which
 * would make it a 4-byte nop); %{ %} and %% because sys/sdt.h pastes this
 * into an extended asm statement. */
#undef _SDT_NOP
#define _SDT_NOP %{disp8%} nopl 0x0(%%rax,%%rax,1)
#endif

/* The kernel writes the semaphore behind the compiler's back. */
#define CORO_PROBE_ON(name) \
	__builtin_expect(*(volatile unsigned short *)&CORO_SEMAPHORE(name) != 0, 0)
/* The semaphore's value: how many consumers are attached. */
#define CORO_PROBE_SEM(name)	(*(volatile unsigned short *)&CORO_SEMAPHORE(name))

#define CORO_PROBE1(name, a)		STAP_PROBE1(coro, name, a)
#define CORO_PROBE2(name, a, b)		STAP_PROBE2(coro, name, a, b)
#define CORO_PROBE3(name, a, b, c)	STAP_PROBE3(coro, name, a, b, c)
#define CORO_PROBE4(name, a, b, c, d)	STAP_PROBE4(coro, name, a, b, c, d)

#endif /* CORO_NO_PROBES */

/* Definition of the semaphores, in one file: the .probes section is where
 * sys/sdt.h users put them and where tools expect them. */
#define CORO_SEM_DEFINE(name) \
	unsigned short CORO_SEMAPHORE(name) __attribute__((section(".probes"), used));
#define CORO_SEMAPHORES_DEFINE CORO_SEMAPHORES(CORO_SEM_DEFINE)

#endif /* CORO_PROBES_H */
