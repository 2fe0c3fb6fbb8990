/*
 * decode.c - turns an instruction encoding into a struct insn (handler +
 * operands). Compressed (RVC) instructions are first expanded to their
 * 32-bit equivalents (the spec defines each as one), keeping len = 2 and
 * the original 16 bits for mtval.
 *
 * Threading: pure functions, any thread.
 */
#include "cpu/hart.h"

#define BITS(x, hi, lo) (((x) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))

static uint32_t enc_r(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1,
		      uint32_t rs2, uint32_t f7)
{
	return op | rd << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | f7 << 25;
}

static uint32_t enc_i(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, int32_t imm)
{
	return op | rd << 7 | f3 << 12 | rs1 << 15 | (uint32_t)imm << 20;
}

static uint32_t enc_s(uint32_t op, uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return op | (u & 31) << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | (u >> 5 & 127) << 25;
}

static uint32_t enc_b(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return 0x63 | (u >> 11 & 1) << 7 | (u >> 1 & 15) << 8 | f3 << 12 | rs1 << 15 |
	       rs2 << 20 | (u >> 5 & 63) << 25 | (u >> 12 & 1) << 31;
}

static uint32_t enc_j(uint32_t rd, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return 0x6f | rd << 7 | (u >> 12 & 255) << 12 | (u >> 11 & 1) << 20 |
	       (u >> 1 & 1023) << 21 | (u >> 20 & 1) << 31;
}

static int32_t sext(uint32_t v, unsigned bits)
{
	return (int32_t)(v << (32 - bits)) >> (32 - bits);
}

static uint32_t rvc_q0(uint32_t c)
{
	uint32_t rd = 8 + BITS(c, 4, 2), rs1 = 8 + BITS(c, 9, 7);
	uint32_t uw = BITS(c, 12, 10) << 3 | BITS(c, 6, 6) << 2 | BITS(c, 5, 5) << 6;
	uint32_t ud = BITS(c, 12, 10) << 3 | BITS(c, 6, 5) << 6;
	switch (BITS(c, 15, 13)) {
	case 0: {
		uint32_t imm = BITS(c, 12, 11) << 4 | BITS(c, 10, 7) << 6 |
			       BITS(c, 6, 6) << 2 | BITS(c, 5, 5) << 3;
		return imm ? enc_i(0x13, rd, 0, 2, (int32_t)imm) : 0;
	}
	case 1: return enc_i(0x07, rd, 3, rs1, (int32_t)ud);   /* c.fld */
	case 2: return enc_i(0x03, rd, 2, rs1, (int32_t)uw);   /* c.lw */
	case 3: return enc_i(0x03, rd, 3, rs1, (int32_t)ud);   /* c.ld */
	case 5: return enc_s(0x27, 3, rs1, rd, (int32_t)ud);   /* c.fsd */
	case 6: return enc_s(0x23, 2, rs1, rd, (int32_t)uw);   /* c.sw */
	case 7: return enc_s(0x23, 3, rs1, rd, (int32_t)ud);   /* c.sd */
	}
	return 0;
}

static uint32_t rvc_q1_alu(uint32_t c)
{
	uint32_t r = 8 + BITS(c, 9, 7), r2 = 8 + BITS(c, 4, 2);
	uint32_t sh = BITS(c, 12, 12) << 5 | BITS(c, 6, 2);
	int32_t imm = sext(sh, 6);
	static const uint8_t f3[4] = { 0, 4, 6, 7 }; /* sub, xor, or, and */
	switch (BITS(c, 11, 10)) {
	case 0: return enc_i(0x13, r, 5, r, (int32_t)sh);          /* c.srli */
	case 1: return enc_i(0x13, r, 5, r, (int32_t)(sh | 0x400)); /* c.srai */
	case 2: return enc_i(0x13, r, 7, r, imm);                  /* c.andi */
	}
	unsigned k = BITS(c, 6, 5);
	if (!BITS(c, 12, 12))
		return enc_r(0x33, r, f3[k], r, r2, k == 0 ? 0x20 : 0);
	if (k == 0)
		return enc_r(0x3b, r, 0, r, r2, 0x20); /* c.subw */
	if (k == 1)
		return enc_r(0x3b, r, 0, r, r2, 0);    /* c.addw */
	return 0;
}

static uint32_t rvc_q1(uint32_t c)
{
	uint32_t rd = BITS(c, 11, 7);
	int32_t imm6 = sext(BITS(c, 12, 12) << 5 | BITS(c, 6, 2), 6);
	switch (BITS(c, 15, 13)) {
	case 0: return enc_i(0x13, rd, 0, rd, imm6);            /* c.addi */
	case 1: return rd ? enc_i(0x1b, rd, 0, rd, imm6) : 0;   /* c.addiw */
	case 2: return enc_i(0x13, rd, 0, 0, imm6);             /* c.li */
	case 3:
		if (rd == 2) {
			uint32_t v = BITS(c, 12, 12) << 9 | BITS(c, 6, 6) << 4 |
				     BITS(c, 5, 5) << 6 | BITS(c, 4, 3) << 7 |
				     BITS(c, 2, 2) << 5;
			return v ? enc_i(0x13, 2, 0, 2, sext(v, 10)) : 0;
		}
		if (!imm6)
			return 0;
		return 0x37 | rd << 7 | ((uint32_t)imm6 << 12);    /* c.lui */
	case 4: return rvc_q1_alu(c);
	case 5: {
		uint32_t v = BITS(c, 12, 12) << 11 | BITS(c, 11, 11) << 4 |
			     BITS(c, 10, 9) << 8 | BITS(c, 8, 8) << 10 |
			     BITS(c, 7, 7) << 6 | BITS(c, 6, 6) << 7 |
			     BITS(c, 5, 3) << 1 | BITS(c, 2, 2) << 5;
		return enc_j(0, sext(v, 12));
	}
	default: {
		uint32_t v = BITS(c, 12, 12) << 8 | BITS(c, 11, 10) << 3 |
			     BITS(c, 6, 5) << 6 | BITS(c, 4, 3) << 1 | BITS(c, 2, 2) << 5;
		return enc_b(BITS(c, 15, 13) == 6 ? 0 : 1, 8 + BITS(c, 9, 7), 0, sext(v, 9));
	}
	}
}

static uint32_t rvc_q2(uint32_t c)
{
	uint32_t rd = BITS(c, 11, 7), rs2 = BITS(c, 6, 2);
	uint32_t ud = BITS(c, 12, 12) << 5 | BITS(c, 6, 5) << 3 | BITS(c, 4, 2) << 6;
	uint32_t uw = BITS(c, 12, 12) << 5 | BITS(c, 6, 4) << 2 | BITS(c, 3, 2) << 6;
	uint32_t sd = BITS(c, 12, 10) << 3 | BITS(c, 9, 7) << 6;
	uint32_t sw = BITS(c, 12, 9) << 2 | BITS(c, 8, 7) << 6;
	switch (BITS(c, 15, 13)) {
	case 0: return enc_i(0x13, rd, 1, rd, (int32_t)(BITS(c, 12, 12) << 5 | rs2));
	case 1: return enc_i(0x07, rd, 3, 2, (int32_t)ud);          /* c.fldsp */
	case 2: return rd ? enc_i(0x03, rd, 2, 2, (int32_t)uw) : 0;  /* c.lwsp */
	case 3: return rd ? enc_i(0x03, rd, 3, 2, (int32_t)ud) : 0;  /* c.ldsp */
	case 4:
		if (!BITS(c, 12, 12)) {
			if (!rs2)
				return rd ? enc_i(0x67, 0, 0, rd, 0) : 0;   /* c.jr */
			return enc_r(0x33, rd, 0, 0, rs2, 0);            /* c.mv */
		}
		if (!rs2)
			return rd ? enc_i(0x67, 1, 0, rd, 0) : 0x00100073; /* c.jalr / c.ebreak */
		return enc_r(0x33, rd, 0, rd, rs2, 0);                   /* c.add */
	case 5: return enc_s(0x27, 3, 2, rs2, (int32_t)sd);         /* c.fsdsp */
	case 6: return enc_s(0x23, 2, 2, rs2, (int32_t)sw);         /* c.swsp */
	default: return enc_s(0x23, 3, 2, rs2, (int32_t)sd);        /* c.sdsp */
	}
}

/* 32-bit equivalent of a compressed instruction, or 0 if reserved/illegal. */
static uint32_t rvc_expand(uint32_t c)
{
	if (c == 0)
		return 0;
	switch (c & 3) {
	case 0: return rvc_q0(c);
	case 1: return rvc_q1(c);
	default: return rvc_q2(c);
	}
}

static insn_fn dec_opimm(uint32_t raw, bool w)
{
	unsigned f3 = BITS(raw, 14, 12), f6 = raw >> 26, f7 = raw >> 25;
	if (!w) {
		static const insn_fn t[8] = { op_addi, 0, op_slti, op_sltiu,
					      op_xori, 0, op_ori, op_andi };
		if (f3 == 1)
			return f6 == 0 ? op_slli : NULL;
		if (f3 == 5)
			return f6 == 0 ? op_srli : f6 == 0x10 ? op_srai : NULL;
		return t[f3];
	}
	if (f3 == 0)
		return op_addiw;
	if (f3 == 1)
		return f7 == 0 ? op_slliw : NULL;
	if (f3 == 5)
		return f7 == 0 ? op_srliw : f7 == 0x20 ? op_sraiw : NULL;
	return NULL;
}

static insn_fn dec_op(uint32_t raw, bool w)
{
	unsigned f3 = BITS(raw, 14, 12), f7 = raw >> 25;
	static const insn_fn base[8] = { op_add, op_sll, op_slt, op_sltu,
					 op_xor, op_srl, op_or, op_and };
	static const insn_fn mul[8] = { op_mul, op_mulh, op_mulhsu, op_mulhu,
					op_div, op_divu, op_rem, op_remu };
	static const insn_fn basew[8] = { op_addw, op_sllw, 0, 0, 0, op_srlw, 0, 0 };
	static const insn_fn mulw[8] = { op_mulw, 0, 0, 0, op_divw, op_divuw,
					 op_remw, op_remuw };
	if (f7 == 1)
		return w ? mulw[f3] : mul[f3];
	if (f7 == 0)
		return w ? basew[f3] : base[f3];
	if (f7 == 0x20) {
		if (f3 == 0)
			return w ? op_subw : op_sub;
		if (f3 == 5)
			return w ? op_sraw : op_sra;
	}
	return NULL;
}

static insn_fn dec_system(struct insn *d, uint32_t raw)
{
	unsigned f3 = BITS(raw, 14, 12);
	static const insn_fn csr[8] = { 0, op_csrrw, op_csrrs, op_csrrc,
					0, op_csrrwi, op_csrrsi, op_csrrci };
	if (f3) {
		d->csr = raw >> 20;
		return csr[f3];
	}
	switch (raw) {
	case 0x00000073: return op_ecall;
	case 0x00100073: return op_ebreak;
	case 0x30200073: return op_mret;
	case 0x10200073: return op_sret;
	case 0x10500073: return op_wfi;
	}
	if ((raw >> 25) == 0x09 && BITS(raw, 11, 7) == 0)
		return op_sfence_vma;
	return NULL;
}

static insn_fn dec_amo(uint32_t raw)
{
	unsigned f3 = BITS(raw, 14, 12), f5 = raw >> 27;
	if (f3 != 2 && f3 != 3)
		return NULL;
	bool d = f3 == 3;
	switch (f5) {
	case 0x02: return BITS(raw, 24, 20) ? NULL : d ? op_lr_d : op_lr_w;
	case 0x03: return d ? op_sc_d : op_sc_w;
	case 0x01: return d ? op_amoswap_d : op_amoswap_w;
	case 0x00: return d ? op_amoadd_d : op_amoadd_w;
	case 0x04: return d ? op_amoxor_d : op_amoxor_w;
	case 0x0c: return d ? op_amoand_d : op_amoand_w;
	case 0x08: return d ? op_amoor_d : op_amoor_w;
	case 0x10: return d ? op_amomin_d : op_amomin_w;
	case 0x14: return d ? op_amomax_d : op_amomax_w;
	case 0x18: return d ? op_amominu_d : op_amominu_w;
	case 0x1c: return d ? op_amomaxu_d : op_amomaxu_w;
	}
	return NULL;
}

/* OP-FP (0x53); fmt 0 = S, 1 = D. */
static insn_fn dec_fp(uint32_t raw)
{
	unsigned f7 = raw >> 25, fmt = f7 & 3, f5 = f7 >> 2;
	unsigned f3 = BITS(raw, 14, 12), rs2 = BITS(raw, 24, 20);
	if (fmt > 1)
		return NULL;
	bool D = fmt == 1;
	switch (f5) {
	case 0x00: return D ? op_fadd_d : op_fadd_s;
	case 0x01: return D ? op_fsub_d : op_fsub_s;
	case 0x02: return D ? op_fmul_d : op_fmul_s;
	case 0x03: return D ? op_fdiv_d : op_fdiv_s;
	case 0x0b: return rs2 ? NULL : D ? op_fsqrt_d : op_fsqrt_s;
	case 0x04:
		if (f3 > 2)
			return NULL;
		return D ? (f3 == 0 ? op_fsgnj_d : f3 == 1 ? op_fsgnjn_d : op_fsgnjx_d)
			 : (f3 == 0 ? op_fsgnj_s : f3 == 1 ? op_fsgnjn_s : op_fsgnjx_s);
	case 0x05:
		if (f3 > 1)
			return NULL;
		return D ? (f3 ? op_fmax_d : op_fmin_d) : (f3 ? op_fmax_s : op_fmin_s);
	case 0x08:
		if (D && rs2 == 0)
			return op_fcvt_d_s;
		if (!D && rs2 == 1)
			return op_fcvt_s_d;
		return NULL;
	case 0x14:
		if (f3 > 2)
			return NULL;
		return D ? (f3 == 2 ? op_feq_d : f3 == 1 ? op_flt_d : op_fle_d)
			 : (f3 == 2 ? op_feq_s : f3 == 1 ? op_flt_s : op_fle_s);
	case 0x18:
		if (rs2 > 3)
			return NULL;
		return D ? op_fcvt_int_d : op_fcvt_int_s;
	case 0x1a:
		if (rs2 > 3)
			return NULL;
		return D ? op_fcvt_d_int : op_fcvt_s_int;
	case 0x1c:
		if (rs2)
			return NULL;
		if (f3 == 0)
			return D ? op_fmv_x_d : op_fmv_x_w;
		if (f3 == 1)
			return D ? op_fclass_d : op_fclass_s;
		return NULL;
	case 0x1e:
		return (rs2 || f3) ? NULL : D ? op_fmv_d_x : op_fmv_w_x;
	}
	return NULL;
}

/* Ops whose rm field is a rounding mode (static 5 and 6 are reserved). */
static bool uses_rm(insn_fn fn)
{
	static const insn_fn t[] = {
		op_fadd_s, op_fsub_s, op_fmul_s, op_fdiv_s, op_fsqrt_s,
		op_fadd_d, op_fsub_d, op_fmul_d, op_fdiv_d, op_fsqrt_d,
		op_fcvt_s_d, op_fcvt_d_s, op_fcvt_int_s, op_fcvt_int_d,
		op_fcvt_s_int, op_fcvt_d_int, op_fmadd_s, op_fmsub_s,
		op_fnmsub_s, op_fnmadd_s, op_fmadd_d, op_fmsub_d,
		op_fnmsub_d, op_fnmadd_d,
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i] == fn)
			return true;
	return false;
}

/* S-type immediate: imm[11:5] = raw[31:25], imm[4:0] = raw[11:7]. */
static int32_t s_imm(uint32_t raw)
{
	return sext(BITS(raw, 31, 25) << 5 | BITS(raw, 11, 7), 12);
}

static insn_fn dec_32(struct insn *d, uint32_t raw)
{
	unsigned f3 = BITS(raw, 14, 12);
	int32_t imm_i = (int32_t)raw >> 20;
	d->imm = imm_i;
	switch (raw & 0x7f) {
	case 0x37: d->imm = (int32_t)(raw & 0xfffff000); return op_lui;
	case 0x17: d->imm = (int32_t)(raw & 0xfffff000); return op_auipc;
	case 0x6f:
		d->imm = sext(BITS(raw, 31, 31) << 20 | BITS(raw, 19, 12) << 12 |
			      BITS(raw, 20, 20) << 11 | BITS(raw, 30, 21) << 1, 21);
		return op_jal;
	case 0x67: return f3 ? NULL : op_jalr;
	case 0x63: {
		static const insn_fn t[8] = { op_beq, op_bne, 0, 0, op_blt, op_bge,
					      op_bltu, op_bgeu };
		d->imm = sext(BITS(raw, 31, 31) << 12 | BITS(raw, 7, 7) << 11 |
			      BITS(raw, 30, 25) << 5 | BITS(raw, 11, 8) << 1, 13);
		return t[f3];
	}
	case 0x03: {
		static const insn_fn t[8] = { op_lb, op_lh, op_lw, op_ld,
					      op_lbu, op_lhu, op_lwu, 0 };
		return t[f3];
	}
	case 0x23: {
		static const insn_fn t[8] = { op_sb, op_sh, op_sw, op_sd, 0, 0, 0, 0 };
		d->imm = s_imm(raw);
		return t[f3];
	}
	case 0x13: return dec_opimm(raw, false);
	case 0x1b: return dec_opimm(raw, true);
	case 0x33: return dec_op(raw, false);
	case 0x3b: return dec_op(raw, true);
	case 0x0f: return f3 == 0 ? op_fence : f3 == 1 ? op_fence_i : NULL;
	case 0x73: return dec_system(d, raw);
	case 0x2f: return dec_amo(raw);
	case 0x07: return f3 == 2 ? op_flw : f3 == 3 ? op_fld : NULL;
	case 0x27:
		d->imm = s_imm(raw);
		return f3 == 2 ? op_fsw : f3 == 3 ? op_fsd : NULL;
	case 0x43: case 0x47: case 0x4b: case 0x4f: {
		unsigned fmt = BITS(raw, 26, 25), k = (raw >> 2) & 3;
		static const insn_fn s[4] = { op_fmadd_s, op_fmsub_s, op_fnmsub_s, op_fnmadd_s };
		static const insn_fn dd[4] = { op_fmadd_d, op_fmsub_d, op_fnmsub_d, op_fnmadd_d };
		return fmt == 0 ? s[k] : fmt == 1 ? dd[k] : NULL;
	}
	case 0x53: return dec_fp(raw);
	}
	return NULL;
}

void decode_insn(struct insn *d, uint32_t raw)
{
	uint32_t w = raw;
	d->len = 4;
	if ((raw & 3) != 3) {
		d->len = 2;
		raw &= 0xffff;
		w = rvc_expand(raw);
	}
	d->raw = raw;
	d->rd = BITS(w, 11, 7);
	d->rs1 = BITS(w, 19, 15);
	d->rs2 = BITS(w, 24, 20);
	d->rs3 = w >> 27;
	d->rm = BITS(w, 14, 12);
	d->csr = 0;
	insn_fn fn = w ? dec_32(d, w) : NULL;
	if (fn && d->rm >= 5 && d->rm != 7 && uses_rm(fn))
		fn = NULL;
	d->fn = fn ? fn : op_illegal;
}
