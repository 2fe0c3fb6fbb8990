/*
 * char.c - the chardev glue shared by all backends, and the null backend.
 *
 * Threading: loop thread only (see char.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "char/char.h"

void chr_attach(struct chr_dev *chr, const struct chr_frontend *fe)
{
	chr->fe = *fe;
	chr->attached = true;
	chr_accept_input(chr);
}

size_t chr_write(struct chr_dev *chr, const uint8_t *buf, size_t len)
{
	if (!chr || !len)
		return 0;
	return chr->ops->write(chr, buf, len);
}

void chr_accept_input(struct chr_dev *chr)
{
	if (chr && chr->attached && chr->ops->accept_input)
		chr->ops->accept_input(chr);
}

void chr_write_sync(struct chr_dev *chr, const uint8_t *buf, size_t len)
{
	if (chr && chr->ops->write_sync)
		chr->ops->write_sync(chr, buf, len);
}

void chr_close(struct chr_dev *chr)
{
	if (chr)
		chr->ops->close(chr);
}

void chr_fe_event(struct chr_dev *chr, enum chr_fe_event ev)
{
	if (chr && chr->attached && chr->fe.event)
		chr->fe.event(chr->fe.opaque, ev);
}

/* ---- null ------------------------------------------------------------- */

static size_t null_write(struct chr_dev *chr, const uint8_t *buf, size_t len)
{
	return len;
}

static void null_close(struct chr_dev *chr)
{
	free(chr);
}

static const struct chr_backend_ops null_ops = {
	.name = "null",
	.write = null_write,
	.close = null_close,
};

int chr_null_open(struct chr_dev **out, struct loop *loop)
{
	struct chr_dev *chr = calloc(1, sizeof(*chr));

	if (!chr)
		return -ENOMEM;
	chr->ops = &null_ops;
	chr->loop = loop;
	*out = chr;
	return 0;
}
