/* Test helpers for the x86_64 context switch: see regs.h. */

	.text
/*
 * uint64_t regs_hold_across(fn=rdi, arg=rsi, seed=rdx, fpctl=rcx)
 *
 * Frame after the prologue (rsp 16-byte aligned at the call to fn):
 *   rsp+0   seed
 *   rsp+8   wanted MXCSR      rsp+12  wanted x87 CW
 *   rsp+16  caller's MXCSR    rsp+20  caller's x87 CW
 *   rsp+24  MXCSR after fn    rsp+28  x87 CW after fn
 *   rsp+32  unused
 *   rsp+40  saved r15 ... rsp+80 saved rbx, rsp+88 return address
 */
	.globl	regs_hold_across
	.type	regs_hold_across, @function
regs_hold_across:
	endbr64
	pushq	%rbx				/* the caller's callee-saved registers */
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$40, %rsp			/* locals; realigns rsp to 16 */
	movq	%rdx, 0(%rsp)			/* seed */
	movl	%ecx, 8(%rsp)			/* wanted MXCSR */
	shrq	$32, %rcx
	movw	%cx, 12(%rsp)			/* wanted x87 control word */
	stmxcsr	16(%rsp)			/* the caller's control state */
	fnstcw	20(%rsp)
	ldmxcsr	8(%rsp)				/* ours */
	fldcw	12(%rsp)
	movq	%rdi, %rax			/* fn */
	movq	%rsi, %rdi			/* its argument */
	movq	%rdx, %rbx			/* every callee-saved register gets */
	xorq	$0x1111, %rbx			/*   a value of its own */
	movq	%rdx, %rbp
	xorq	$0x2222, %rbp
	movq	%rdx, %r12
	xorq	$0x3333, %r12
	movq	%rdx, %r13
	xorq	$0x4444, %r13
	movq	%rdx, %r14
	xorq	$0x5555, %r14
	movq	%rdx, %r15
	xorq	$0x6666, %r15
	callq	*%rax				/* switches away and back */
	stmxcsr	24(%rsp)			/* the control state we came back with */
	fnstcw	28(%rsp)
	xorl	%eax, %eax			/* mask of registers that changed */
	movq	0(%rsp), %rdx
	movq	%rdx, %rcx
	xorq	$0x1111, %rcx
	cmpq	%rcx, %rbx
	je	1f
	orl	$0x01, %eax
1:	movq	%rdx, %rcx
	xorq	$0x2222, %rcx
	cmpq	%rcx, %rbp
	je	1f
	orl	$0x02, %eax
1:	movq	%rdx, %rcx
	xorq	$0x3333, %rcx
	cmpq	%rcx, %r12
	je	1f
	orl	$0x04, %eax
1:	movq	%rdx, %rcx
	xorq	$0x4444, %rcx
	cmpq	%rcx, %r13
	je	1f
	orl	$0x08, %eax
1:	movq	%rdx, %rcx
	xorq	$0x5555, %rcx
	cmpq	%rcx, %r14
	je	1f
	orl	$0x10, %eax
1:	movq	%rdx, %rcx
	xorq	$0x6666, %rcx
	cmpq	%rcx, %r15
	je	1f
	orl	$0x20, %eax
1:	movl	24(%rsp), %ecx			/* MXCSR: control bits only (6-15) */
	xorl	8(%rsp), %ecx
	testl	$0xffc0, %ecx
	jz	1f
	orl	$0x40, %eax
1:	movw	28(%rsp), %cx			/* x87 control word */
	cmpw	12(%rsp), %cx
	je	1f
	orl	$0x80, %eax
1:	ldmxcsr	16(%rsp)			/* give the caller its state back */
	fldcw	20(%rsp)
	addq	$40, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
	.size	regs_hold_across, .-regs_hold_across

	.globl	regs_break_one
	.type	regs_break_one, @function
regs_break_one:
	endbr64
	xorl	%r12d, %r12d			/* clobbers a callee-saved register */
	ret
	.size	regs_break_one, .-regs_break_one

	.globl	regs_entry_misalign
	.type	regs_entry_misalign, @function
regs_entry_misalign:
	endbr64
	leaq	8(%rsp), %rax			/* rsp before the call pushed */
	andl	$15, %eax
	ret
	.size	regs_entry_misalign, .-regs_entry_misalign

	.section .note.GNU-stack,"",@progbits
