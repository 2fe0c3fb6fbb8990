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

	/* OpenSBI writes the 16-bit codes with a halfword store; a code in
	 * the upper half needs a word store. */
	if (off != 0 || size < 2 || !t->action)
		return 0;
	if (size == 2)
		v &= 0xffff;
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
