/*
 * decode-random.c - the decoder on every kind of input: 4 million random
 * words (and all 65536 halfwords) decode to some handler with the right
 * length, never crash (run under ASan/UBSan too); spot checks of known
 * encodings, reserved ones included.
 */
#include "cpu/hart.h"
#include "harness.h"

int main(void)
{
	t_timeout(60);
	struct insn d;
	for (uint32_t c = 0; c < 0x10000; c++) {
		if ((c & 3) == 3)
			continue;
		decode_insn(&d, c);
		CHECK(d.fn != NULL && d.len == 2 && d.raw == c);
	}
	for (int i = 0; i < 4000000; i++) {
		uint32_t w = (uint32_t)t_rand() | 3;
		decode_insn(&d, w);
		if (!(d.fn != NULL && d.len == 4 && d.raw == w)) {
			CHECK(0);
			break;
		}
	}
	decode_insn(&d, 0x00000013); /* nop */
	CHECK(d.fn == op_addi);
	decode_insn(&d, 0x0001); /* c.nop */
	CHECK(d.fn == op_addi && d.len == 2);
	decode_insn(&d, 0x0000); /* defined illegal */
	CHECK(d.fn == op_illegal);
	decode_insn(&d, 0xffffffff);
	CHECK(d.fn == op_illegal);
	decode_insn(&d, 0x00005053); /* fadd.s with reserved rm 5 */
	CHECK(d.fn == op_illegal);
	decode_insn(&d, 0x00007053); /* fadd.s rm = dyn */
	CHECK(d.fn == op_fadd_s);
	decode_insn(&d, 0x4000d093); /* srai x1, x1, 0 */
	CHECK(d.fn == op_srai);
	decode_insn(&d, 0x8000d093); /* bad funct6 for a shift */
	CHECK(d.fn == op_illegal);
	decode_insn(&d, 0x1000202f); /* lr.w x0, (x0) */
	CHECK(d.fn == op_lr_w);
	decode_insn(&d, 0x1010202f); /* lr.w with rs2 != 0: reserved */
	CHECK(d.fn == op_illegal);
	decode_insn(&d, 0x12000073); /* sfence.vma x0, x0 */
	CHECK(d.fn == op_sfence_vma);
	decode_insn(&d, 0x9002); /* c.ebreak -> ebreak */
	CHECK(d.fn == op_ebreak && d.len == 2);
	decode_insn(&d, 0x6101); /* c.addi16sp with 0: reserved */
	CHECK(d.fn == op_illegal);
	return t_finish();
}
