/*
 * disks.h - the program's virtio devices from the command line: -drive,
 * -cdrom, -device virtio-blk-device / virtio-rng-device, -snapshot.
 *
 * Main thread before the loop runs (it owns the loop then):
 *     disks_attach(&d, &opts, vm, loop, err, sizeof(err))
 * parses, opens every drive (hw/virtio/drive.h), builds a virtio-blk per
 * attached drive and a virtio-rng, and plugs them into free virtio-mmio
 * slots of the machine (which then owns the devices). On the loop thread
 * after virt_io_teardown (or on main after virt_free when the machine
 * never ran): disks_close(d) closes the images and their aio engines.
 * *out is set even when disks_attach fails, so the caller can clean up.
 */
#ifndef RINGVM_DISKS_H
#define RINGVM_DISKS_H

#include <stddef.h>

struct cli_opts;
struct disks;
struct loop;
struct virt_machine;

int disks_attach(struct disks **out, const struct cli_opts *o, struct virt_machine *vm,
		 struct loop *loop, char *err, size_t errlen);
void disks_close(struct disks *d); /* NULL is fine */

#endif
