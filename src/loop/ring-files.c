/*
 * ring-files.c - the ring's fixed-file table, shared by every user of the
 * loop's io_uring (each virtio drive has its own aio engine on the one
 * ring, and a ring has exactly one file table).
 *
 * Slots are counted per fd: two users registering the same fd share a
 * slot, and the slot is emptied when the last one removes it. Lookups are
 * a linear scan of the slots in use (a handful: one or two per image).
 *
 * Loop thread only, like everything else touching the ring.
 */
#include "loop-int.h"

#include <errno.h>
#include <stdlib.h>

#include <liburing.h>

enum { RING_FILES = 64 };

struct loop_ring_files {
	bool failed;              /* the ring refused a table: do not ask again */
	unsigned top;             /* slots at or above are free */
	int fd[RING_FILES];       /* -1 = free */
	unsigned refs[RING_FILES];
};

static struct loop_ring_files *files_table(struct loop *loop)
{
	if (loop->files || !loop->ring)
		return loop->files;
	struct loop_ring_files *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	for (unsigned i = 0; i < RING_FILES; i++)
		t->fd[i] = -1;
	int r = io_uring_register_files_sparse(loop->ring, RING_FILES); /* 5.19+ */
	if (r < 0)
		t->failed = true;
	loop->files = t;
	return t;
}

int loop_ring_file_slot(const struct loop *loop, int fd)
{
	const struct loop_ring_files *t = loop->files;
	if (!t || fd < 0)
		return -1;
	for (unsigned i = 0; i < t->top; i++)
		if (t->fd[i] == fd)
			return (int)i;
	return -1;
}

int loop_ring_file_add(struct loop *loop, int fd)
{
	if (fd < 0)
		return -EBADF;
	if (!loop->ring)
		return -ENOSYS;
	struct loop_ring_files *t = files_table(loop);
	if (!t)
		return -ENOMEM;
	if (t->failed)
		return -ENOSYS;
	int slot = loop_ring_file_slot(loop, fd);
	if (slot >= 0) {
		t->refs[slot]++;
		return slot;
	}
	for (unsigned i = 0; slot < 0 && i < RING_FILES; i++)
		if (t->fd[i] < 0)
			slot = (int)i;
	if (slot < 0)
		return -ENOSPC;
	int r = io_uring_register_files_update(loop->ring, (unsigned)slot, &fd, 1);
	if (r < 0)
		return r;
	t->fd[slot] = fd;
	t->refs[slot] = 1;
	if ((unsigned)slot >= t->top)
		t->top = (unsigned)slot + 1;
	return slot;
}

void loop_ring_file_remove(struct loop *loop, int fd)
{
	struct loop_ring_files *t = loop->files;
	int slot = loop_ring_file_slot(loop, fd);
	if (slot < 0 || --t->refs[slot])
		return;
	/* requests in flight keep their own reference to the file */
	int none = -1;
	(void)io_uring_register_files_update(loop->ring, (unsigned)slot, &none, 1);
	t->fd[slot] = -1;
	while (t->top && t->fd[t->top - 1] < 0)
		t->top--;
}

/* With the ring: io_uring_queue_exit drops the table itself. */
void loop_ring_files_free(struct loop *loop)
{
	free(loop->files);
	loop->files = NULL;
}
