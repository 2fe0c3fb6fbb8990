/*
 * testdev.c - the sifive,test finisher (see testdev.h). Stateless: the
 * machine owns the struct testdev and what happens on each action.
 */
#include "hw/testdev.h"

int testdev_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
	*val = 0;
	return 0;
}

int testdev_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct testdev *t = opaque;
	uint32_t v = (uint32_t)val;

	if (off != 0 || size < 4 || !t->action)
		return 0;
	switch (v & 0xffff) {
	case 0x5555:
		t->action(t->opaque, TESTDEV_POWEROFF, 0);
		break;
	case 0x3333:
		t->action(t->opaque, TESTDEV_POWEROFF, (int)(v >> 16));
		break;
	case 0x7777:
		t->action(t->opaque, TESTDEV_RESET, 0);
		break;
	default:
		break;
	}
	return 0;
}
