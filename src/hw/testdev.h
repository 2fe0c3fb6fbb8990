/*
 * testdev.h - the "sifive,test" finisher at 0x00100000: poweroff / reset.
 *
 * A 16- or 32-bit write to offset 0: 0x5555 = pass (power off, exit status 0),
 * (code << 16) | 0x3333 = fail (power off, exit status code), 0x7777 =
 * reset the machine. Other values are ignored. Reads return 0.
 *
 * Threading: the vCPU thread writes; the callback (machine-filled) runs on
 * it and must only record the request and kick the hart.
 */
#ifndef RINGVM_HW_TESTDEV_H
#define RINGVM_HW_TESTDEV_H

#include <stdint.h>

#define TESTDEV_SIZE 0x1000

enum testdev_action {
	TESTDEV_POWEROFF, /* code = exit status */
	TESTDEV_RESET,
};

struct testdev {
	void (*action)(void *opaque, enum testdev_action act, int code);
	void *opaque;
};

int testdev_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val);
int testdev_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val);

#endif
