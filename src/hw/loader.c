/*
 * loader.c - image loading helpers (see loader.h). ELF parsing checks every
 * offset against the file size: a malformed file is refused, never read
 * out of bounds.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/loader.h"

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

int loader_file_read(struct loader_file *f, const char *path, size_t max_size)
{
	struct stat st;
	size_t got = 0;
	int fd, err = 0;

	f->data = NULL;
	f->size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max_size) {
		err = -EFBIG;
		goto out;
	}
	f->data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!f->data) {
		err = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, f->data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto out;
		}
		got += (size_t)n;
	}
	f->size = got;
out:
	close(fd);
	if (err)
		loader_file_free(f);
	return err;
}

void loader_file_free(struct loader_file *f)
{
	free(f->data);
	f->data = NULL;
	f->size = 0;
}

bool loader_is_elf(const struct loader_file *f)
{
	return f->size >= 4 && !memcmp(f->data, ELFMAG, SELFMAG);
}

static const Elf64_Ehdr *elf_header(const struct loader_file *f)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->data;

	if (f->size < sizeof(*eh) || !loader_is_elf(f))
		return NULL;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_RISCV || (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
		return NULL;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > f->size ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > f->size - eh->e_phoff)
		return NULL;
	return eh;
}

static const Elf64_Phdr *elf_phdr(const struct loader_file *f, unsigned i)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->data;

	return (const Elf64_Phdr *)(f->data + eh->e_phoff) + i;
}

int loader_elf_layout(const struct loader_file *f, uint64_t ram_base, uint64_t ram_size,
		      uint64_t bias, uint64_t *entry, uint64_t *lo, uint64_t *hi)
{
	const Elf64_Ehdr *eh = elf_header(f);
	uint64_t l = UINT64_MAX, h = 0;

	if (!eh)
		return -ENOEXEC;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = elf_phdr(f, i);

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > f->size ||
		    ph->p_filesz > f->size - ph->p_offset)
			return -ENOEXEC;
		uint64_t pa = ph->p_paddr + bias; /* wraps on purpose for vmlinux */

		if (pa < ram_base || ph->p_memsz > ram_size ||
		    pa - ram_base > ram_size - ph->p_memsz)
			return -ERANGE;
		if (pa < l)
			l = pa;
		if (pa + ph->p_memsz > h)
			h = pa + ph->p_memsz;
	}
	if (l == UINT64_MAX)
		return -ENOEXEC; /* nothing to load */
	*entry = eh->e_entry + bias;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = elf_phdr(f, i);

		if (ph->p_type == PT_LOAD && eh->e_entry >= ph->p_vaddr &&
		    eh->e_entry - ph->p_vaddr < ph->p_memsz) {
			*entry = ph->p_paddr + (eh->e_entry - ph->p_vaddr) + bias;
			break;
		}
	}
	*lo = l;
	*hi = h;
	return 0;
}

uint64_t loader_elf_kernel_bias(const struct loader_file *f, uint64_t ram_base,
				uint64_t load_base)
{
	const Elf64_Ehdr *eh = elf_header(f);
	uint64_t lo = UINT64_MAX;

	for (unsigned i = 0; eh && i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = elf_phdr(f, i);

		if (ph->p_type == PT_LOAD && ph->p_memsz && ph->p_paddr < lo)
			lo = ph->p_paddr;
	}
	if (lo == UINT64_MAX || (lo >= ram_base && lo < 0xffffffff80000000ull))
		return 0;
	return load_base - lo;
}

void loader_elf_copy(const struct loader_file *f, uint8_t *ram, uint64_t ram_base,
		     uint64_t bias)
{
	const Elf64_Ehdr *eh = elf_header(f);

	for (unsigned i = 0; eh && i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = elf_phdr(f, i);
		uint8_t *dst;

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		dst = ram + (ph->p_paddr + bias - ram_base);
		memcpy(dst, f->data + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

bool loader_linux_image(const struct loader_file *f, uint64_t *text_offset,
			uint64_t *image_size)
{
	/* code0 code1 | text_offset | image_size | flags version res1 res2 |
	 * magic "RISCV\0\0\0" (deprecated) | magic2 "RSC\x05" | res3 */
	if (f->size < 64 || memcmp(f->data + 56, "RSC\x05", 4))
		return false;
	*text_offset = le64(f->data + 8);
	*image_size = le64(f->data + 16);
	return true;
}
