/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Context switch, x86_64 System V ABI.
 *
 * void coro_ctx_switch(void **save_sp, void *load_sp)
 *   rdi = where to store the leaving context's stack pointer
 *   rsi = the entering context's stack pointer (its saved frame)
 *
 * Saved frame (frame.h), at the saved stack pointer:
 *
 *   +------------------+  sp+64  the leaving context's stack
 *   | return address   |  sp+56  pushed by its call: where it resumes
 *   | rbp              |  sp+48
 *   | rbx              |  sp+40
 *   | r15              |  sp+32
 *   | r14              |  sp+24
 *   | r13              |  sp+16
 *   | r12              |  sp+8
 *   | x87 cw | mxcsr   |  sp+0
 *   +------------------+
 *
 * Everything else is caller-saved in the ABI, so the compiler has already
 * spilled what it needs. No system call: the signal mask and the TLS base
 * belong to the thread, not to the coroutine.
 *
 * Floating-point control state is per context: the MXCSR control bits
 * (6-15: DAZ, exception masks, rounding, FTZ) and the x87 control word.
 * The MXCSR exception flags (bits 0-5) stay with the thread. Both are
 * loaded only when they differ from the leaving context's: ldmxcsr costs
 * about 3 ns here, and 70 ns when it changes the register after an
 * inexact result set a flag, i.e. after any printf("%f").
 */
#include "frame.h"

	.text
	.globl	coro_ctx_switch
	.hidden	coro_ctx_switch
	.type	coro_ctx_switch, @function
	.p2align 4
coro_ctx_switch:
	.cfi_startproc
	endbr64					/* valid indirect-branch target (CET) */
	leaq	-(CORO_FR_SIZE - 8)(%rsp), %rsp	/* room for the frame below the return address */
	.cfi_adjust_cfa_offset CORO_FR_SIZE - 8
	stmxcsr	CORO_FR_MXCSR(%rsp)		/* SSE control/status register */
	fnstcw	CORO_FR_X87CW(%rsp)		/* x87 control word */
	movq	%r12, CORO_FR_R12(%rsp)		/* callee-saved registers: r12 */
	movq	%r13, CORO_FR_R13(%rsp)		/*   r13 */
	movq	%r14, CORO_FR_R14(%rsp)		/*   r14 */
	movq	%r15, CORO_FR_R15(%rsp)		/*   r15 */
	movq	%rbx, CORO_FR_RBX(%rsp)		/*   rbx */
	movq	%rbp, CORO_FR_RBP(%rsp)		/*   rbp (frame pointer, if used) */
	movl	CORO_FR_MXCSR(%rsp), %eax	/* keep the leaving context's values */
	movzwl	CORO_FR_X87CW(%rsp), %ecx	/*   to compare with the entering one's */
	movq	%rsp, (%rdi)			/* publish the leaving context's frame */

	movq	%rsi, %rsp			/* onto the entering context's stack */
	.cfi_def_cfa rsp, CORO_FR_SIZE
	movq	CORO_FR_R12(%rsp), %r12		/* its callee-saved registers: r12 */
	movq	CORO_FR_R13(%rsp), %r13		/*   r13 */
	movq	CORO_FR_R14(%rsp), %r14		/*   r14 */
	movq	CORO_FR_R15(%rsp), %r15		/*   r15 */
	movq	CORO_FR_RBX(%rsp), %rbx		/*   rbx */
	movq	CORO_FR_RBP(%rsp), %rbp		/*   rbp */
	movl	CORO_FR_MXCSR(%rsp), %edx	/* its MXCSR */
	xorl	%eax, %edx			/* MXCSR bits that differ */
	testl	$0xffc0, %edx			/* any control bit? */
	jnz	.Lload_mxcsr			/* rare: a context changed its rounding etc. */
.Lmxcsr_done:
	cmpw	CORO_FR_X87CW(%rsp), %cx	/* x87 control word differs? */
	jne	.Lload_x87cw			/* rare */
.Lx87cw_done:
	leaq	CORO_FR_PC(%rsp), %rsp		/* pop the frame */
	.cfi_def_cfa rsp, 8
	ret					/* to where it resumes: a ret, not a
						   jmp, keeps the return stack buffer
						   balanced (a jmp left one entry per
						   switch: 24 ns instead of 6.5 ns per
						   yield ping-pong, every later return
						   mispredicted) */

	.cfi_def_cfa rsp, CORO_FR_SIZE
.Lload_mxcsr:
	andl	$0xffc0, %edx			/* the control bits that differ */
	xorl	%edx, %eax			/* current flags, entering control bits */
	movl	%eax, CORO_FR_MXCSR(%rsp)	/* the frame slot is dead: reuse it */
	ldmxcsr	CORO_FR_MXCSR(%rsp)		/* its SSE control state */
	jmp	.Lmxcsr_done			/* back to the common path */
.Lload_x87cw:
	fldcw	CORO_FR_X87CW(%rsp)		/* its x87 control word */
	jmp	.Lx87cw_done			/* back to the common path */
	.cfi_endproc
	.size	coro_ctx_switch, .-coro_ctx_switch

/*
 * First code of a new context. ctx.c built its frame, off the stack, with
 * rbx = argument, r12 = function, r13 = top of the stack (16-byte aligned,
 * as a call requires) and the return address pointing here. The call is
 * the stack's first touch.
 */
	.globl	coro_ctx_start
	.hidden	coro_ctx_start
	.type	coro_ctx_start, @function
	.p2align 4
coro_ctx_start:
	.cfi_startproc
	.cfi_undefined rip			/* outermost frame: unwinders stop here */
	endbr64					/* valid indirect-branch target (CET) */
	movq	%r13, %rsp			/* onto the coroutine's own stack */
	movq	%rbx, %rdi			/* the argument */
	callq	*%r12				/* the entry function: never returns */
	ud2					/* trap if it ever does */
	.cfi_endproc
	.size	coro_ctx_start, .-coro_ctx_start

	.section .note.GNU-stack,"",@progbits
