/*
 * testdev-codes.c - the sifive,test finisher: pass, fail with a code,
 * reset, and values that must do nothing.
 */
#include "harness.h"
#include "hw/testdev.h"

static int acts, last_act, last_code;

static void action(void *opaque, enum testdev_action act, int code)
{
	acts++;
	last_act = act;
	last_code = code;
}

int main(void)
{
	struct testdev t = { action, NULL };
	uint64_t v = 1;

	t_timeout(10);
	CHECK_EQ(testdev_mmio_read(&t, 0, 4, &v), 0);
	CHECK_EQ(v, 0);

	testdev_mmio_write(&t, 0, 4, 0x5555);
	CHECK_EQ(acts, 1);
	CHECK_EQ(last_act, TESTDEV_POWEROFF);
	CHECK_EQ(last_code, 0);

	testdev_mmio_write(&t, 0, 4, (42u << 16) | 0x3333);
	CHECK_EQ(acts, 2);
	CHECK_EQ(last_act, TESTDEV_POWEROFF);
	CHECK_EQ(last_code, 42);

	testdev_mmio_write(&t, 0, 4, (0xffffu << 16) | 0x3333);
	CHECK_EQ(last_code, 0xffff);

	testdev_mmio_write(&t, 0, 4, 0x7777);
	CHECK_EQ(acts, 4);
	CHECK_EQ(last_act, TESTDEV_RESET);

	/* A halfword store (OpenSBI's) works for the 16-bit codes. */
	testdev_mmio_write(&t, 0, 2, 0x5555);
	CHECK_EQ(acts, 5);
	CHECK_EQ(last_act, TESTDEV_POWEROFF);
	CHECK_EQ(last_code, 0);
	testdev_mmio_write(&t, 0, 2, 0x7777);
	CHECK_EQ(last_act, TESTDEV_RESET);
	acts = 4;

	/* Unknown values, other offsets and byte writes do nothing. */
	testdev_mmio_write(&t, 0, 4, 0x1234);
	testdev_mmio_write(&t, 4, 4, 0x5555);
	testdev_mmio_write(&t, 0, 1, 0x55);
	CHECK_EQ(acts, 4);
	return t_finish();
}
