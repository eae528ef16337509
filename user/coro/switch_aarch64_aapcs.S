/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Context switch, aarch64 AAPCS64.
 *
 * void coro_ctx_switch(void **save_sp, void *load_sp)
 *   x0 = where to store the leaving context's stack pointer
 *   x1 = the entering context's stack pointer (its saved frame)
 *
 * Saved frame (frame.h), at the saved stack pointer:
 *
 *   +-------------+-------------+  sp+176  the leaving context's stack
 *   | fpcr        | unused      |  sp+160
 *   | x29 (fp)    | x30 (lr)    |  sp+144  lr: where the context resumes
 *   | x27         | x28         |  sp+128
 *   | x25         | x26         |  sp+112
 *   | x23         | x24         |  sp+96
 *   | x21         | x22         |  sp+80
 *   | x19         | x20         |  sp+64
 *   | d14         | d15         |  sp+48   low 64 bits of v14/v15
 *   | d12         | d13         |  sp+32
 *   | d10         | d11         |  sp+16
 *   | d8          | d9          |  sp+0
 *   +-------------+-------------+
 *
 * Everything else is caller-saved in the AAPCS64, so the compiler has
 * already spilled what it needs. No system call on this path. FPCR is
 * per context; the FP status flags (FPSR) stay with the thread.
 */
#include "frame.h"

	.text
	.globl	coro_ctx_switch
	.hidden	coro_ctx_switch
	.type	coro_ctx_switch, %function
	.p2align 4
coro_ctx_switch:
	.cfi_startproc
	hint	#34				/* bti c: valid indirect-call target */
	sub	sp, sp, #CORO_FR_SIZE		/* room for the frame */
	.cfi_adjust_cfa_offset CORO_FR_SIZE
	stp	d8, d9, [sp, #CORO_FR_D8]	/* callee-saved FP registers */
	stp	d10, d11, [sp, #CORO_FR_D10]	/*   d10, d11 */
	stp	d12, d13, [sp, #CORO_FR_D12]	/*   d12, d13 */
	stp	d14, d15, [sp, #CORO_FR_D14]	/*   d14, d15 */
	stp	x19, x20, [sp, #CORO_FR_X19]	/* callee-saved integer registers */
	stp	x21, x22, [sp, #CORO_FR_X21]	/*   x21, x22 */
	stp	x23, x24, [sp, #CORO_FR_X23]	/*   x23, x24 */
	stp	x25, x26, [sp, #CORO_FR_X25]	/*   x25, x26 */
	stp	x27, x28, [sp, #CORO_FR_X27]	/*   x27, x28 */
	stp	x29, x30, [sp, #CORO_FR_X29]	/* frame pointer, resume address */
	mrs	x10, fpcr			/* FP control: rounding, flush-to-zero */
	str	x10, [sp, #CORO_FR_FPCR]	/*   kept in x10 for the compare below */
	mov	x9, sp				/* (sp cannot be stored directly) */
	str	x9, [x0]			/* publish the leaving context's frame */

	mov	sp, x1				/* onto the entering context's stack */
	.cfi_def_cfa sp, CORO_FR_SIZE
	ldp	d8, d9, [sp, #CORO_FR_D8]	/* its callee-saved FP registers */
	ldp	d10, d11, [sp, #CORO_FR_D10]	/*   d10, d11 */
	ldp	d12, d13, [sp, #CORO_FR_D12]	/*   d12, d13 */
	ldp	d14, d15, [sp, #CORO_FR_D14]	/*   d14, d15 */
	ldp	x19, x20, [sp, #CORO_FR_X19]	/* its callee-saved integer registers */
	ldp	x21, x22, [sp, #CORO_FR_X21]	/*   x21, x22 */
	ldp	x23, x24, [sp, #CORO_FR_X23]	/*   x23, x24 */
	ldp	x25, x26, [sp, #CORO_FR_X25]	/*   x25, x26 */
	ldp	x27, x28, [sp, #CORO_FR_X27]	/*   x27, x28 */
	ldp	x29, x30, [sp, #CORO_FR_X29]	/* its frame pointer and resume address */
	ldr	x9, [sp, #CORO_FR_FPCR]		/* its FPCR */
	cmp	x9, x10				/* written only when it differs, as */
	b.ne	.Lload_fpcr			/*   MXCSR on x86_64: rarely needed */
.Lfpcr_done:
	add	sp, sp, #CORO_FR_SIZE		/* pop the frame */
	.cfi_def_cfa sp, 0
	ret					/* to x30 */

	.cfi_def_cfa sp, CORO_FR_SIZE
.Lload_fpcr:
	msr	fpcr, x9			/* its FP control state */
	b	.Lfpcr_done			/* back to the common path */
	.cfi_endproc
	.size	coro_ctx_switch, .-coro_ctx_switch

/*
 * First code of a new context. ctx.c built its frame, off the stack, with
 * x19 = argument, x20 = function, x21 = top of the stack, x29 = 0 (end of
 * the frame chain) and x30 pointing here.
 */
	.globl	coro_ctx_start
	.hidden	coro_ctx_start
	.type	coro_ctx_start, %function
	.p2align 4
coro_ctx_start:
	.cfi_startproc
	.cfi_undefined x30			/* outermost frame: unwinders stop here */
	hint	#34				/* bti c */
	mov	sp, x21				/* onto the coroutine's own stack */
	mov	x0, x19				/* the argument */
	blr	x20				/* the entry function: never returns */
	brk	#0x1				/* trap if it ever does */
	.cfi_endproc
	.size	coro_ctx_start, .-coro_ctx_start

	.section .note.GNU-stack,"",%progbits
