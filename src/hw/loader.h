/*
 * loader.h - reading firmware, kernel and initrd images into guest RAM.
 *
 * Files are read whole into host memory once (the machine keeps them to
 * reload on reset). ELF64 RISC-V executables are placed by their program
 * headers' physical addresses; other files are flat binaries.
 *
 * Threading: main thread (construction) and vCPU thread (reset reload);
 * pure functions over caller-owned buffers.
 */
#ifndef RINGVM_HW_LOADER_H
#define RINGVM_HW_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loader_file {
	uint8_t *data; /* malloc'ed; loader_file_free releases it */
	size_t size;
};

/* Read path whole. Returns 0, or -errno (-EFBIG if over max_size). */
int loader_file_read(struct loader_file *f, const char *path, size_t max_size);
void loader_file_free(struct loader_file *f);

bool loader_is_elf(const struct loader_file *f);

/*
 * Check an ELF64 little-endian RISC-V file and find where it goes: each
 * PT_LOAD segment at p_paddr + bias (bias 0 for firmware and bare-metal
 * programs; see loader_elf_kernel_bias for a Linux vmlinux). [*lo, *hi)
 * covers every segment, *entry is e_entry made physical (through the
 * segment whose virtual range holds it) plus bias. Returns 0, -ENOEXEC (not
 * a RISC-V ELF64 executable) or -ERANGE (a segment outside
 * [ram_base, ram_base + ram_size)).
 */
int loader_elf_layout(const struct loader_file *f, uint64_t ram_base, uint64_t ram_size,
		      uint64_t bias, uint64_t *entry, uint64_t *lo, uint64_t *hi);

/* Copy the PT_LOAD segments (zero-filling bss) into ram; layout checked
 * with the same bias. */
void loader_elf_copy(const struct loader_file *f, uint8_t *ram, uint64_t ram_base,
		     uint64_t bias);

/*
 * A Linux vmlinux is not linked at a RAM address (RISC-V's has physical
 * addresses from 0, older ones the virtual 0xffffffff80000000); it must
 * run from load_base, as an Image would. Returns the bias that moves its
 * lowest segment there, or 0 when its segments already start in RAM
 * (at or above ram_base, below the kernel's virtual half).
 */
uint64_t loader_elf_kernel_bias(const struct loader_file *f, uint64_t ram_base,
				uint64_t load_base);

/*
 * The RISC-V Linux Image header: if f starts with one (magic "RSC\x05" at
 * offset 56), stores text_offset and image_size (memory the kernel needs,
 * bss included) and returns true.
 */
bool loader_linux_image(const struct loader_file *f, uint64_t *text_offset,
			uint64_t *image_size);

#endif
