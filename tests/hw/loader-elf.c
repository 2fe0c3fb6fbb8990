/*
 * loader-elf.c - image parsing: a RISC-V ELF64 is placed by its PT_LOAD
 * physical addresses with bss zeroed; segments outside RAM, other machines,
 * and truncated or inconsistent headers are refused without reading out of
 * bounds; the Linux Image header gives text_offset and image_size.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "hw/loader.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (1ull << 20)

static uint8_t file[4096];
static uint8_t ram[RAM_SIZE];

/* An ELF with two PT_LOAD segments: code at 0x80000000 and data+bss. */
static struct loader_file make_elf(void)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)file;
	Elf64_Phdr *ph = (Elf64_Phdr *)(file + sizeof(*eh));

	memset(file, 0, sizeof(file));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = 243; /* EM_RISCV */
	eh->e_entry = RAM_BASE + 0x10;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x200, .p_paddr = RAM_BASE,
			      .p_vaddr = 0xffffffff80000000ull, .p_filesz = 0x100, .p_memsz = 0x100 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x300, .p_paddr = RAM_BASE + 0x1000,
			      .p_filesz = 0x10, .p_memsz = 0x800 };
	memset(file + 0x200, 0xaa, 0x100);
	memset(file + 0x300, 0xbb, 0x10);
	return (struct loader_file){ file, sizeof(file) };
}

int main(void)
{
	struct loader_file f = make_elf();
	Elf64_Ehdr *eh = (Elf64_Ehdr *)file;
	Elf64_Phdr *ph = (Elf64_Phdr *)(file + sizeof(*eh));
	uint64_t entry, lo, hi, off, size;

	t_timeout(10);
	CHECK(loader_is_elf(&f));
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, 0, &entry, &lo, &hi), 0);
	CHECK_EQ(entry, RAM_BASE + 0x10);
	CHECK_EQ(lo, RAM_BASE);
	CHECK_EQ(hi, RAM_BASE + 0x1800);
	memset(ram, 0xcc, 0x2000);
	loader_elf_copy(&f, ram, RAM_BASE, 0);
	CHECK_EQ(ram[0], 0xaa);
	CHECK_EQ(ram[0xff], 0xaa);
	CHECK_EQ(ram[0x100], 0xcc);  /* between segments: untouched */
	CHECK_EQ(ram[0x100f], 0xbb);
	CHECK_EQ(ram[0x1010], 0);    /* bss zeroed */
	CHECK_EQ(ram[0x17ff], 0);
	CHECK_EQ(ram[0x1800], 0xcc);

	/* A vmlinux-style file (paddr = kernel virtual address) is moved. */
	CHECK_EQ(loader_elf_kernel_bias(&f, RAM_BASE, RAM_BASE + 0x80000), 0); /* plain: no bias */
	ph[0].p_paddr = 0xffffffff80000000ull;
	ph[1].p_paddr = 0xffffffff80001000ull;
	eh->e_entry = 0xffffffff80000010ull;
	uint64_t bias = loader_elf_kernel_bias(&f, RAM_BASE, RAM_BASE + 0x80000);
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, 0, &entry, &lo, &hi), -ERANGE);
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, bias, &entry, &lo, &hi), 0);
	CHECK_EQ(entry, RAM_BASE + 0x80010);
	CHECK_EQ(lo, RAM_BASE + 0x80000);
	memset(ram, 0xcc, sizeof(ram));
	loader_elf_copy(&f, ram, RAM_BASE, bias);
	CHECK_EQ(ram[0x80000], 0xaa);
	CHECK_EQ(ram[0x81010], 0);
	/* RISC-V Linux's own layout: physical from 0, virtual in the top half */
	ph[0].p_paddr = 0;
	ph[1].p_paddr = 0x1000;
	bias = loader_elf_kernel_bias(&f, RAM_BASE, RAM_BASE + 0x80000);
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, bias, &entry, &lo, &hi), 0);
	CHECK_EQ(entry, RAM_BASE + 0x80010); /* e_entry is virtual: translated */
	CHECK_EQ(lo, RAM_BASE + 0x80000);
	f = make_elf();

	/* A segment past the end of RAM, or below it. */
	ph[1].p_paddr = RAM_BASE + RAM_SIZE - 0x100;
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, 0, &entry, &lo, &hi), -ERANGE);
	ph[1].p_paddr = 0x1000;
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, 0, &entry, &lo, &hi), -ERANGE);
	ph[1].p_paddr = UINT64_MAX - 0x10; /* wraps */
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, 0, &entry, &lo, &hi), -ERANGE);

	/* File data beyond the file, filesz > memsz, bad phdr table. */
	f = make_elf();
	ph[0].p_offset = sizeof(file) - 0x10;
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, 0, &entry, &lo, &hi), -ENOEXEC);
	f = make_elf();
	ph[1].p_filesz = 0x900;
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, 0, &entry, &lo, &hi), -ENOEXEC);
	f = make_elf();
	eh->e_phnum = 1000;
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, 0, &entry, &lo, &hi), -ENOEXEC);
	f = make_elf();
	eh->e_machine = EM_X86_64;
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, 0, &entry, &lo, &hi), -ENOEXEC);
	f = make_elf();
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, 0, &entry, &lo, &hi), -ENOEXEC);
	f = make_elf();
	f.size = 40; /* shorter than the ELF header */
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, 0, &entry, &lo, &hi), -ENOEXEC);
	f = make_elf();
	ph[0].p_type = ph[1].p_type = PT_NOTE; /* nothing to load */
	CHECK_EQ(loader_elf_layout(&f, RAM_BASE, RAM_SIZE, 0, &entry, &lo, &hi), -ENOEXEC);

	/* The RISC-V Linux Image header. */
	memset(file, 0, sizeof(file));
	file[8 + 2] = 0x20;            /* text_offset 0x200000 */
	file[16 + 1] = 0x60;           /* image_size 0x496000 */
	file[16 + 2] = 0x49;
	memcpy(file + 48, "RISCV\0\0\0", 8);
	memcpy(file + 56, "RSC\x05", 4);
	f = (struct loader_file){ file, sizeof(file) };
	CHECK(!loader_is_elf(&f));
	CHECK(loader_linux_image(&f, &off, &size));
	CHECK_EQ(off, 0x200000);
	CHECK_EQ(size, 0x496000);
	file[59] = 0;
	CHECK(!loader_linux_image(&f, &off, &size));
	f.size = 60;
	CHECK(!loader_linux_image(&f, &off, &size));
	return t_finish();
}
