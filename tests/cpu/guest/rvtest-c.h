/* rvtest-c.h - helpers for hart tests written in C (see common.S). */
#ifndef RVTEST_C_H
#define RVTEST_C_H
#include <stdint.h>

struct probe { long cause; uint64_t val; };
struct probe probe_ld(uint64_t va);
struct probe probe_lw(uint64_t va);
struct probe probe_amo(uint64_t va, uint64_t add);
/* returns {cause or -1, tval} */
struct probe probe_sd(uint64_t va, uint64_t v);
struct probe probe_fetch(uint64_t va);
void enter_mode(long mode);
void back_to_m(void);
void set_check(long n);
uint64_t last_tval(void);
uint64_t last_epc(void);
void pass(void) __attribute__((noreturn));
void fail(void) __attribute__((noreturn));
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

#define csr_read(r) ({ unsigned long __v; __asm__ volatile("csrr %0, " #r : "=r"(__v) :: "memory"); __v; })
#define csr_write(r, v) __asm__ volatile("csrw " #r ", %0" :: "r"((unsigned long)(v)) : "memory")
#define csr_set(r, v) __asm__ volatile("csrs " #r ", %0" :: "r"((unsigned long)(v)) : "memory")
#define csr_clear(r, v) __asm__ volatile("csrc " #r ", %0" :: "r"((unsigned long)(v)) : "memory")

/* check n: fail with code n unless cond */
#define T(n, cond) do { set_check(n); if (!(cond)) fail(); } while (0)
#define NO_TRAP (-1L)
#endif
