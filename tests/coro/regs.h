/* Assembly test helpers (regs_<arch>.S): hold known values in every
 * callee-saved register and in the FP control state across a call that
 * switches coroutines, then report which of them came back changed. */
#ifndef CORO_TEST_REGS_H
#define CORO_TEST_REGS_H

#include <stdint.h>

/* Bits of the mask regs_hold_across() returns. */
#if defined(__x86_64__)
#define REGS_NGPR	6	/* rbx rbp r12 r13 r14 r15: bits 0-5 */
#define REGS_FP_BIT	6	/* MXCSR control bits */
#define REGS_FP2_BIT	7	/* x87 control word */
#define REGS_ALL	0xffu
#else
#define REGS_NGPR	11	/* x19-x28, x29: bits 0-10 */
#define REGS_FPR_BIT	11	/* d8-d15: bits 11-18 */
#define REGS_FP_BIT	19	/* FPCR */
#define REGS_ALL	0xfffffu
#endif

/*
 * Load the callee-saved registers with values derived from seed, set the
 * FP control state to fpctl (x86_64: MXCSR in the low 32 bits, x87
 * control word in bits 32-47; aarch64: FPCR), call fn(arg), and return a
 * mask of the registers (bits above) that did not hold their value. The
 * caller's registers and FP control state are restored.
 */
uint64_t regs_hold_across(void (*fn)(void *), void *arg, uint64_t seed, uint64_t fpctl);

/* A "function" that breaks the ABI: zeroes one callee-saved register
 * (x86_64 r12 = bit 2, aarch64 x21 = bit 2): proves the check can fail. */
void regs_break_one(void *arg);

/* Stack pointer misalignment at function entry: 0 when the caller's stack
 * was 16-byte aligned at the call, as the ABI requires. */
uint64_t regs_entry_misalign(void);

#endif
