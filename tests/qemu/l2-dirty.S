/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The small guest that tests/qemu/migrate.py migrates: a multiboot kernel
 * of a few hundred bytes, so that QEMU starts it in milliseconds instead of
 * booting Linux for minutes under nested TCG.  It runs in 32-bit protected
 * mode with paging off, as multiboot loaders leave it, and forever:
 *
 *   round r: write r into WINDOW pages, page (r * WINDOW + i) * STRIDE
 *            modulo NPAGES from BASE on (STRIDE is prime and coprime to
 *            NPAGES, so the rounds scatter over every page of the range and
 *            the ring entries come in no particular order); print
 *            "l2: round r" on COM1 every 4 rounds; then spin until the TSC
 *            advanced by DELAY cycles.
 *
 * A burst of WINDOW pages fills a 1024-entry dirty ring (soft limit 960 on
 * AMD) if QEMU's reaper, which empties the rings about once a second, does
 * not run within it, and a 256-entry ring (soft limit 192) unless it runs
 * five times within it; the pause keeps the dirty rate (at most 4 MiB a
 * burst) below what QEMU migrates under nested TCG, so that the migration
 * converges.
 *
 * Built by migrate.py: gcc -m32 -nostdlib -static -Wl,-n,-Ttext=0x100000
 */
	.set	MB_MAGIC, 0x1badb002
	.set	MB_FLAGS, 0
	.set	BASE, 0x400000		/* 4 MiB: above this code and its stack */
	.set	NPAGES, 38400		/* 150 MiB: the guest has 160 MiB */
	.set	STRIDE, 7919
	.set	WINDOW, 1024
#ifndef L2_DELAY
#define L2_DELAY 0xf0000000		/* TSC cycles: about a second */
#endif
	.set	DELAY, L2_DELAY		/* bench_migrate.py builds shorter ones */
	.set	COM1, 0x3f8

	.text
	.code32
	/* The multiboot header: in the first 8 KiB of the file, aligned. */
	.align	4
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
	.globl	_start
_start:
	cli
	mov	$stack_top, %esp
	mov	$msg_up, %esi
	call	puts
	xor	%ebp, %ebp			/* round */
round:
	inc	%ebp
	xor	%edi, %edi			/* page of the window */
1:	mov	%ebp, %eax
	imul	$WINDOW, %eax
	add	%edi, %eax
	mov	$STRIDE, %ecx
	mul	%ecx				/* edx:eax = index * STRIDE */
	mov	$NPAGES, %ecx
	div	%ecx				/* edx = that modulo NPAGES */
	shl	$12, %edx
	mov	%ebp, BASE(%edx)
	mov	%edi, BASE + 2048(%edx)
	inc	%edi
	cmp	$WINDOW, %edi
	jb	1b

	test	$3, %ebp
	jnz	2f
	mov	$msg_round, %esi
	call	puts
	mov	%ebp, %eax
	call	putu
	mov	$msg_nl, %esi
	call	puts

2:	rdtsc
	mov	%eax, %ebx
3:	rdtsc
	sub	%ebx, %eax
	cmp	$DELAY, %eax
	jb	3b
	jmp	round

/* Print the NUL-terminated string at %esi.  Clobbers %eax, %edx, %esi. */
puts:
	mov	$COM1, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	ret

/* Print %eax in decimal.  Clobbers %eax, %ecx, %edx, %esi. */
putu:
	mov	$numbuf_end, %esi
	movb	$0, (%esi)
	mov	$10, %ecx
1:	xor	%edx, %edx
	div	%ecx
	add	$'0', %dl
	dec	%esi
	mov	%dl, (%esi)
	test	%eax, %eax
	jnz	1b
	jmp	puts

	.data
msg_up:		.asciz	"l2: dirtying memory\n"
msg_round:	.asciz	"l2: round "
msg_nl:		.asciz	"\n"

	.bss
	.align	16
numbuf:		.space	16
numbuf_end:	.space	4
stack:		.space	4096
stack_top:
