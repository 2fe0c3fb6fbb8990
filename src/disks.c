/*
 * disks.c - turn -drive/-cdrom/-device/-snapshot into virtio devices in the
 * machine's virtio-mmio slots (see disks.h for the call order).
 *
 * Slot order: the if=virtio drives and -cdrom in command-line order, then
 * the -device virtio-blk-device ones in their order (so the first disk is
 * /dev/vda), then the virtio-rng. The rng is always attached: without one
 * Linux 6.1's getrandom() blocks for seconds waiting for jitter entropy.
 *
 * Threading: main thread before the loop runs, then disks_close on the
 * loop thread. struct disks owns the parsed options and the open drives;
 * the machine owns the virtio devices.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "disks.h"
#include "hw/virt.h"
#include "hw/virtio/drive.h"
#include "hw/virtio/virtio-mmio.h"

struct disks {
	struct drive_opts opts[CLI_MAX_DISK];
	unsigned n_opts;
	struct drive_device dev[CLI_MAX_DEVICE];
	unsigned n_dev;
	struct drive_open open[CLI_MAX_DISK];
	unsigned n_open;
	bool rng; /* -device virtio-rng-device given (it is attached anyway) */
};

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

static bool is_device(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(arg, name, n) && (arg[n] == 0 || arg[n] == ',');
}

static int parse_all(struct disks *d, const struct cli_opts *o, char *err, size_t errlen)
{
	int r;

	for (unsigned i = 0; i < o->n_disk; i++) {
		r = o->disk[i].cdrom ? drive_parse_cdrom(&d->opts[i], o->disk[i].arg, err, errlen)
				     : drive_parse(&d->opts[i], o->disk[i].arg, err, errlen);
		if (r < 0)
			return r;
		d->n_opts++;
	}
	for (unsigned i = 0; i < o->n_device; i++) {
		const char *a = o->device[i];

		if (!strcmp(a, "virtio-rng-device")) {
			d->rng = true;
			continue;
		}
		if (!is_device(a, "virtio-blk-device"))
			return fail(err, errlen, -EINVAL, "-device '%s' is not supported (this "
				    "build has virtio-blk-device and virtio-rng-device)", a);
		r = drive_device_parse(&d->dev[d->n_dev], a, err, errlen);
		if (r < 0)
			return r;
		d->n_dev++;
	}
	return 0;
}

/* Check the -device references: each names an if=none drive, once. */
static int check_refs(struct disks *d, char *err, size_t errlen)
{
	for (unsigned i = 0; i < d->n_dev; i++) {
		struct drive_opts *o = drive_find(d->opts, d->n_opts, d->dev[i].drive_id);

		if (!o)
			return fail(err, errlen, -ENOENT, "-device virtio-blk-device: there is no "
				    "-drive with id=%s", d->dev[i].drive_id);
		if (o->iface != DRIVE_IF_NONE)
			return fail(err, errlen, -EINVAL, "-device virtio-blk-device: drive %s "
				    "already has a disk of its own; give it if=none",
				    d->dev[i].drive_id);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(d->dev[j].drive_id, d->dev[i].drive_id))
				return fail(err, errlen, -EINVAL, "-device virtio-blk-device: drive "
					    "%s is used twice", d->dev[i].drive_id);
	}
	return 0;
}

static int attach_blk(struct disks *d, const struct drive_opts *o, const char *serial,
		      bool snapshot, struct virt_machine *vm, struct loop *loop,
		      char *err, size_t errlen)
{
	struct drive_open *drv = &d->open[d->n_open];
	struct virtio_host host;
	struct virtio_mmio *dev;
	int slot = virt_virtio_host(vm, &host), r;

	if (slot < 0)
		return fail(err, errlen, slot, "too many virtio devices: the virt board has %d "
			    "virtio-mmio slots", VIRT_VIRTIO_COUNT);
	r = drive_open(drv, o, snapshot, loop, err, errlen);
	if (r < 0)
		return r;
	d->n_open++;
	r = virtio_blk_new(&dev, &host, drv->blk, &(struct virtio_blk_conf){
				   .serial = serial ? serial : o->serial,
				   .read_only = drv->read_only });
	if (r < 0)
		return fail(err, errlen, r, "cannot create the virtio-blk for '%s': %s",
			    o->file, strerror(-r));
	virt_virtio_plug(vm, slot, dev);
	return 0;
}

static int attach_rng(struct virt_machine *vm, char *err, size_t errlen)
{
	struct virtio_host host;
	struct virtio_mmio *dev;
	int slot = virt_virtio_host(vm, &host), r;

	if (slot < 0)
		return fail(err, errlen, slot, "too many virtio devices: the virt board has %d "
			    "virtio-mmio slots (the virtio-rng needs one too)",
			    VIRT_VIRTIO_COUNT);
	r = virtio_rng_new(&dev, &host);
	if (r < 0)
		return fail(err, errlen, r, "cannot create the virtio-rng: %s", strerror(-r));
	virt_virtio_plug(vm, slot, dev);
	return 0;
}

int disks_attach(struct disks **out, const struct cli_opts *o, struct virt_machine *vm,
		 struct loop *loop, char *err, size_t errlen)
{
	struct disks *d = calloc(1, sizeof(*d));
	int r;

	*out = d;
	if (!d)
		return fail(err, errlen, -ENOMEM, "out of memory");
	r = parse_all(d, o, err, errlen);
	if (!r)
		r = check_refs(d, err, errlen);
	for (unsigned i = 0; !r && i < d->n_opts; i++)
		if (d->opts[i].iface == DRIVE_IF_VIRTIO)
			r = attach_blk(d, &d->opts[i], NULL, o->snapshot, vm, loop, err, errlen);
	for (unsigned i = 0; !r && i < d->n_dev; i++)
		r = attach_blk(d, drive_find(d->opts, d->n_opts, d->dev[i].drive_id),
			       d->dev[i].serial, o->snapshot, vm, loop, err, errlen);
	if (!r)
		r = attach_rng(vm, err, errlen);
	return r;
}

void disks_close(struct disks *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->n_open; i++)
		drive_close(&d->open[i]);
	for (unsigned i = 0; i < d->n_opts; i++)
		drive_opts_free(&d->opts[i]);
	for (unsigned i = 0; i < d->n_dev; i++)
		drive_device_free(&d->dev[i]);
	free(d);
}
