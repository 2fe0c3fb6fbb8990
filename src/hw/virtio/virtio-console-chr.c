/*
 * virtio-console-chr.c - glue between a virtio-console and a chardev
 * (src/char/char.h): the chardev is the console's backend and the console
 * is the chardev's frontend. Both sides' callbacks run on the loop thread.
 *
 * Ownership: the caller keeps the chardev and closes it after
 * virtio_mmio_free() of the console.
 */
#include "char/char.h"
#include "hw/virtio/virtio-mmio.h"

static size_t be_write(void *opaque, const uint8_t *buf, size_t len)
{
	return chr_write(opaque, buf, len);
}

static void be_rx_ready(void *opaque)
{
	chr_accept_input(opaque);
}

static size_t fe_can_receive(void *opaque)
{
	return virtio_console_can_receive(opaque);
}

static void fe_receive(void *opaque, const uint8_t *buf, size_t len)
{
	virtio_console_receive(opaque, buf, len);
}

static void fe_write_ready(void *opaque)
{
	virtio_console_write_ready(opaque);
}

int virtio_console_new_chr(struct virtio_mmio **out, const struct virtio_host *host,
			   struct chr_dev *chr)
{
	struct virtio_console_backend be = { be_write, be_rx_ready, chr };
	struct chr_frontend fe = { fe_can_receive, fe_receive, fe_write_ready, NULL };
	int rc = virtio_console_new(out, host, &be);

	if (rc < 0)
		return rc;
	fe.opaque = *out;
	chr_attach(chr, &fe);
	return 0;
}
