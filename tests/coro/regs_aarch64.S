/* Test helpers for the aarch64 context switch: see regs.h. */

	.text
.macro SETX reg, k
	mov	x12, #(\k * 0x101)
	eor	\reg, x2, x12
.endm
.macro SETD reg, k
	mov	x12, #(\k * 0x101)
	eor	x13, x2, x12
	fmov	\reg, x13
.endm
.macro CHKX reg, k, bit
	mov	x12, #(\k * 0x101)
	eor	x13, x2, x12
	cmp	\reg, x13
	b.eq	1f
	orr	x0, x0, #(1 << \bit)
1:
.endm
.macro CHKD reg, k, bit
	mov	x12, #(\k * 0x101)
	eor	x13, x2, x12
	fmov	x14, \reg
	cmp	x14, x13
	b.eq	1f
	orr	x0, x0, #(1 << \bit)
1:
.endm

/*
 * uint64_t regs_hold_across(fn=x0, arg=x1, seed=x2, fpctl=x3)
 *
 * Frame: sp+0 x29/x30, sp+16..95 x19-x28, sp+96..159 d8-d15,
 * sp+160 caller's FPCR, sp+168 seed, sp+176 wanted FPCR.
 */
	.globl	regs_hold_across
	.type	regs_hold_across, %function
regs_hold_across:
	hint	#34				/* bti c */
	stp	x29, x30, [sp, #-192]!
	mov	x29, sp				/* x29 is checked against this */
	stp	x19, x20, [sp, #16]		/* the caller's callee-saved registers */
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr			/* the caller's FP control */
	str	x9, [sp, #160]
	str	x2, [sp, #168]
	str	x3, [sp, #176]
	msr	fpcr, x3			/* ours */
	SETX	x19, 1				/* every callee-saved register gets */
	SETX	x20, 2				/*   a value of its own */
	SETX	x21, 3
	SETX	x22, 4
	SETX	x23, 5
	SETX	x24, 6
	SETX	x25, 7
	SETX	x26, 8
	SETX	x27, 9
	SETX	x28, 10
	SETD	d8, 11
	SETD	d9, 12
	SETD	d10, 13
	SETD	d11, 14
	SETD	d12, 15
	SETD	d13, 16
	SETD	d14, 17
	SETD	d15, 18
	mov	x9, x0
	mov	x0, x1
	blr	x9				/* switches away and back */
	ldr	x2, [sp, #168]
	mov	x0, #0				/* mask of registers that changed */
	CHKX	x19, 1, 0
	CHKX	x20, 2, 1
	CHKX	x21, 3, 2
	CHKX	x22, 4, 3
	CHKX	x23, 5, 4
	CHKX	x24, 6, 5
	CHKX	x25, 7, 6
	CHKX	x26, 8, 7
	CHKX	x27, 9, 8
	CHKX	x28, 10, 9
	mov	x13, sp				/* x29: still our frame */
	cmp	x29, x13
	b.eq	1f
	orr	x0, x0, #(1 << 10)
1:	CHKD	d8, 11, 11
	CHKD	d9, 12, 12
	CHKD	d10, 13, 13
	CHKD	d11, 14, 14
	CHKD	d12, 15, 15
	CHKD	d13, 16, 16
	CHKD	d14, 17, 17
	CHKD	d15, 18, 18
	mrs	x13, fpcr			/* FPCR: rounding, FZ, DN, AHP */
	ldr	x14, [sp, #176]
	eor	x13, x13, x14
	and	x13, x13, #0x07c00000
	cbz	x13, 1f
	orr	x0, x0, #(1 << 19)
1:	ldr	x9, [sp, #160]			/* give the caller its state back */
	msr	fpcr, x9
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldp	x29, x30, [sp], #192
	ret
	.size	regs_hold_across, .-regs_hold_across

	.globl	regs_break_one
	.type	regs_break_one, %function
regs_break_one:
	hint	#34
	mov	x21, #0				/* clobbers a callee-saved register */
	ret
	.size	regs_break_one, .-regs_break_one

	.globl	regs_entry_misalign
	.type	regs_entry_misalign, %function
regs_entry_misalign:
	hint	#34
	mov	x0, sp
	and	x0, x0, #15
	ret
	.size	regs_entry_misalign, .-regs_entry_misalign

	.section .note.GNU-stack,"",%progbits
