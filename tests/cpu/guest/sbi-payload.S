/* sbi-payload.S - S-mode payload for the OpenSBI boot test: prints through
   the legacy SBI console, takes one SBI timer interrupt (OpenSBI forwards
   MTIP as STIP), then shuts down through SRST. */
  .text
  .globl _start
_start:
  la a1, hello
  call puts
  /* timer: sbi_set_timer(time + 1000), STIE + SIE, wfi */
  la t0, strap
  csrw stvec, t0
  rdtime a0
  addi a0, a0, 1000
  li a7, 0                /* legacy set_timer */
  ecall
  li t0, 0x20
  csrs sie, t0
  csrsi sstatus, 2
1: wfi
  beqz s1, 1b
  la a1, timer_ok
  call puts
  /* SRST: shutdown */
  li a7, 0x53525354
  li a6, 0
  li a0, 0
  li a1, 0
  ecall
2: j 2b

puts:                     /* a1 = string */
  mv t1, ra
3: lbu a0, 0(a1)
  beqz a0, 4f
  li a7, 1                /* legacy console_putchar */
  ecall
  addi a1, a1, 1
  j 3b
4: mv ra, t1
  ret

  .align 2
strap:
  li s1, 1
  li a0, -1               /* no further timer */
  li a7, 0
  ecall
  sret

  .data
hello: .asciz "ringvm payload: hello from S-mode\n"
timer_ok: .asciz "ringvm payload: timer interrupt ok\n"
