/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The frame coro_ctx_switch() saves on the stack it leaves; the saved
 * stack pointer points at its first byte. Included by the assembly files
 * (offsets) and by C (ctx.c builds the first frame of a new coroutine and
 * checks these offsets against a struct with _Static_assert).
 */
#ifndef CORO_FRAME_H
#define CORO_FRAME_H

#if defined(__x86_64__)
/*
 *   sp+0   mxcsr (4 bytes) | x87 control word (2) | unused (2)
 *   sp+8   r12
 *   sp+16  r13
 *   sp+24  r14
 *   sp+32  r15
 *   sp+40  rbx
 *   sp+48  rbp
 *   sp+56  return address: where the context resumes
 *   sp+64  (the context's stack before the switch)
 */
#define CORO_FR_MXCSR	0
#define CORO_FR_X87CW	4
#define CORO_FR_R12	8
#define CORO_FR_R13	16
#define CORO_FR_R14	24
#define CORO_FR_R15	32
#define CORO_FR_RBX	40
#define CORO_FR_RBP	48
#define CORO_FR_PC	56
#define CORO_FR_SIZE	64
#elif defined(__aarch64__)
/*
 *   sp+0    d8   d9
 *   sp+16   d10  d11
 *   sp+32   d12  d13
 *   sp+48   d14  d15
 *   sp+64   x19  x20
 *   sp+80   x21  x22
 *   sp+96   x23  x24
 *   sp+112  x25  x26
 *   sp+128  x27  x28
 *   sp+144  x29 (frame pointer)  x30 (lr: where the context resumes)
 *   sp+160  fpcr  unused
 *   sp+176  (the context's stack before the switch)
 */
#define CORO_FR_D8	0
#define CORO_FR_D10	16
#define CORO_FR_D12	32
#define CORO_FR_D14	48
#define CORO_FR_X19	64
#define CORO_FR_X21	80
#define CORO_FR_X23	96
#define CORO_FR_X25	112
#define CORO_FR_X27	128
#define CORO_FR_X29	144
#define CORO_FR_PC	152
#define CORO_FR_FPCR	160
#define CORO_FR_SIZE	176
#else
#error "coro: no context switch for this architecture"
#endif

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
struct coro_frame {
	uint32_t mxcsr;
	uint16_t x87cw;
	uint16_t unused;
	uint64_t r12, r13, r14, r15, rbx, rbp;
	uint64_t pc;
};
_Static_assert(offsetof(struct coro_frame, mxcsr) == CORO_FR_MXCSR, "mxcsr");
_Static_assert(offsetof(struct coro_frame, x87cw) == CORO_FR_X87CW, "x87cw");
_Static_assert(offsetof(struct coro_frame, r12) == CORO_FR_R12, "r12");
_Static_assert(offsetof(struct coro_frame, r13) == CORO_FR_R13, "r13");
_Static_assert(offsetof(struct coro_frame, r14) == CORO_FR_R14, "r14");
_Static_assert(offsetof(struct coro_frame, r15) == CORO_FR_R15, "r15");
_Static_assert(offsetof(struct coro_frame, rbx) == CORO_FR_RBX, "rbx");
_Static_assert(offsetof(struct coro_frame, rbp) == CORO_FR_RBP, "rbp");
_Static_assert(offsetof(struct coro_frame, pc) == CORO_FR_PC, "pc");
#else
struct coro_frame {
	uint64_t d[8];		/* d8..d15 */
	uint64_t x[10];		/* x19..x28 */
	uint64_t fp;		/* x29 */
	uint64_t pc;		/* x30 */
	uint64_t fpcr;
	uint64_t unused;
};
_Static_assert(offsetof(struct coro_frame, d[0]) == CORO_FR_D8, "d8");
_Static_assert(offsetof(struct coro_frame, d[2]) == CORO_FR_D10, "d10");
_Static_assert(offsetof(struct coro_frame, d[4]) == CORO_FR_D12, "d12");
_Static_assert(offsetof(struct coro_frame, d[6]) == CORO_FR_D14, "d14");
_Static_assert(offsetof(struct coro_frame, x[0]) == CORO_FR_X19, "x19");
_Static_assert(offsetof(struct coro_frame, x[2]) == CORO_FR_X21, "x21");
_Static_assert(offsetof(struct coro_frame, x[4]) == CORO_FR_X23, "x23");
_Static_assert(offsetof(struct coro_frame, x[6]) == CORO_FR_X25, "x25");
_Static_assert(offsetof(struct coro_frame, x[8]) == CORO_FR_X27, "x27");
_Static_assert(offsetof(struct coro_frame, fp) == CORO_FR_X29, "x29");
_Static_assert(offsetof(struct coro_frame, pc) == CORO_FR_PC, "x30");
_Static_assert(offsetof(struct coro_frame, fpcr) == CORO_FR_FPCR, "fpcr");
#endif
_Static_assert(sizeof(struct coro_frame) == CORO_FR_SIZE, "frame size");
_Static_assert(CORO_FR_SIZE % 16 == 0, "frame keeps the stack 16-aligned");

/* Save the running context's frame on its stack, store its stack pointer
 * in *save_sp, resume the context whose frame is at load_sp. */
void coro_ctx_switch(void **save_sp, void *load_sp);
/* First code a new context runs: calls frame.(rbx|x19) as the argument
 * of frame.(r12|x20); never returns. */
void coro_ctx_start(void);
#endif /* !__ASSEMBLER__ */
#endif /* CORO_FRAME_H */
