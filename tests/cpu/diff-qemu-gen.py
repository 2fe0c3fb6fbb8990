# diff-qemu-gen.py SEED - random RV64GC integer/FP instruction stream (bare metal)
# that dumps all registers and fflags to the console every 25 instructions.
# Used by diff-qemu.sh to compare ringvm with QEMU TCG as an oracle.
import random, sys
seed = int(sys.argv[1]); random.seed(seed)
R = ['a0','a1','a2','a3','a4','a5','a6','a7','t0','t1','t2','t3','t4','t5','s1','s3','s4','ra','s0']
# s2 = base of a 256-byte scratch buffer for loads/stores/AMOs (aligned)
F = ['ft%d'%i for i in range(12)] + ['fa%d'%i for i in range(8)] + ['fs%d'%i for i in range(12)]
RM = ['rne','rtz','rdn','rup','rmm']
int3 = 'add sub sll slt sltu xor srl sra or and addw subw sllw srlw sraw mul mulh mulhsu mulhu div divu rem remu mulw divw divuw remw remuw'.split()
imm = 'addi slti sltiu xori ori andi addiw'.split()
sh = 'slli srli srai'.split(); shw='slliw srliw sraiw'.split()
fp3s = 'fadd.s fsub.s fmul.s fdiv.s'.split(); fp3d=[x.replace('.s','.d') for x in fp3s]
fp3n = 'fsgnj.s fsgnjn.s fsgnjx.s fmin.s fmax.s fsgnj.d fsgnjn.d fsgnjx.d fmin.d fmax.d'.split()
fma = 'fmadd.s fmsub.s fnmsub.s fnmadd.s fmadd.d fmsub.d fnmsub.d fnmadd.d'.split()
cmp_ = 'feq.s flt.s fle.s feq.d flt.d fle.d'.split()
cvtx = 'fcvt.w.s fcvt.wu.s fcvt.l.s fcvt.lu.s fcvt.w.d fcvt.wu.d fcvt.l.d fcvt.lu.d'.split()
cvtf = 'fcvt.s.w fcvt.s.wu fcvt.s.l fcvt.s.lu fcvt.d.l fcvt.d.lu'.split()
specials = [0,1,-1,0x7fffffff,0x80000000,-0x80000000,0x7fffffffffffffff,-0x8000000000000000,
  0x3f800000,0x7f800000,0x7fc00000,0x7f800001,0xff800000,0x00800000,0x007fffff,0x3ff0000000000000,
  0x7ff0000000000000,0x7ff8000000000000,0x7ff0000000000001,0x0010000000000000,0x000fffffffffffff,
  0xffffffff3f800000, 0xffffffff40490fdb, 0xffffffffc0000000, 0xffffffff00000001, 0xffffffff7f7fffff,
  0x4000000000000000, 0xc008000000000000, 0x43e0000000000000, 0x41dfffffffe00000]
def rv():
    if random.random() < 0.5: return random.choice(specials) & (2**64-1)
    if random.random() < 0.3: return 0xffffffff00000000 | random.getrandbits(32)
    return random.getrandbits(64)
out = ['#include "rvtest.h"', '  .text', '  .globl test_main', 'test_main:', '  li t0, 0x6000', '  csrs mstatus, t0']
for r in R: out.append('  li %s, 0x%x' % (r, rv()))
out.append('  la s2, membuf')
for f in F: out.append('  li t6, 0x%x\n  fmv.d.x %s, t6' % (rv(), f))
for blk in range(40):
    for i in range(25):
        k = random.random()
        rd, r1, r2 = random.choice(R), random.choice(R), random.choice(R)
        fd, f1, f2, f3 = [random.choice(F) for _ in range(4)]
        rm = random.choice(RM)
        if k < 0.25: out.append('  %s %s, %s, %s' % (random.choice(int3), rd, r1, r2))
        elif k < 0.32: out.append('  %s %s, %s, %d' % (random.choice(imm), rd, r1, random.randint(-2048, 2047)))
        elif k < 0.36: out.append('  %s %s, %s, %d' % (random.choice(sh), rd, r1, random.randint(0, 63)))
        elif k < 0.39: out.append('  %s %s, %s, %d' % (random.choice(shw), rd, r1, random.randint(0, 31)))
        elif k < 0.50: out.append('  %s %s, %s, %s, %s' % (random.choice(fp3s + fp3d), fd, f1, f2, rm))
        elif k < 0.56: out.append('  %s %s, %s, %s' % (random.choice(fp3n), fd, f1, f2))
        elif k < 0.64: out.append('  %s %s, %s, %s, %s, %s' % (random.choice(fma), fd, f1, f2, f3, rm))
        elif k < 0.68: out.append('  %s %s, %s, %s' % (random.choice(cmp_), rd, f1, f2))
        elif k < 0.74: out.append('  %s %s, %s, %s' % (random.choice(cvtx), rd, f1, rm))
        elif k < 0.79: out.append('  %s %s, %s, %s' % (random.choice(cvtf), fd, r1, rm))
        elif k < 0.82: out.append('  fcvt.s.d %s, %s, %s' % (fd, f1, rm))
        elif k < 0.84: out.append('  fcvt.d.s %s, %s' % (fd, f1))
        elif k < 0.87: out.append('  %s %s, %s, %s' % (random.choice(['fsqrt.s','fsqrt.d']), fd, f1, rm))
        elif k < 0.88: out.append('  %s %s, %s' % (random.choice(['fclass.s','fclass.d','fmv.x.w','fmv.x.d']), rd, f1))
        elif k < 0.90:
            op, sz = random.choice([('lb',1),('lbu',1),('lh',2),('lhu',2),('lw',4),('lwu',4),('ld',8),('sb',1),('sh',2),('sw',4),('sd',8),('flw',4),('fld',8),('fsw',4),('fsd',8)])
            off = random.randrange(0, 256, sz)
            reg = (fd if op[0] == 'f' and op[1] == 'l' else f1) if op[0] == 'f' else (rd if op[0] == 'l' else r1)
            out.append('  %s %s, %d(s2)' % (op, reg, off))
        elif k < 0.91:
            op = random.choice(['amoadd','amoswap','amoand','amoor','amoxor','amomin','amomax','amominu','amomaxu'])
            w = random.choice(['w','d'])
            off = random.randrange(0, 256, 4 if w == 'w' else 8)
            out.append('  addi t6, s2, %d\n  %s.%s %s, %s, (t6)' % (off, op, w, rd, r1))
        elif k < 0.93: out.append('  %s %s, %s' % (random.choice(['fmv.w.x','fmv.d.x']), fd, r1))
        elif k < 0.96:
            br = random.choice(['beq','bne','blt','bge','bltu','bgeu'])
            out.append('  %s %s, %s, 1f\n  addi %s, %s, 1\n1:' % (br, r1, r2, rd, rd))
        elif k < 0.97:
            out.append('  jal t6, 1f\n  addi %s, %s, 3\n1: auipc %s, 0\n  sub %s, %s, t6' % (rd, rd, r1, r1, r1))
        else: out.append('  lui %s, %d' % (rd, random.randint(0, 2**20-1)))
    out.append('  call dump')
out.append('  PASS')
out.append('''dump:
  addi sp, sp, -16
  sd ra, 0(sp)
  la s8, regsave
''')
for i, r in enumerate(R): out.append('  sd %s, %d(s8)' % (r, 8*i))
for i, f in enumerate(F): out.append('  fsd %s, %d(s8)' % (f, 8*(len(R)+i)))
for i in range(32): out.append('  ld t6, %d(s2)\n  sd t6, %d(s8)' % (8*i, 8*(len(R)+len(F)+1+i)))
out.append('  csrr t6, fflags\n  sd t6, %d(s8)\n  csrw fflags, zero' % (8*(len(R)+len(F))))
out.append('''  li s7, %d
  mv s6, s8
1: ld s9, 0(s6)
  li s10, 60
2: srl t6, s9, s10
  andi t6, t6, 15
  la s11, hexd
  add t6, t6, s11
  lbu t6, 0(t6)
  li s11, 0x10000000
  sb t6, 0(s11)
  addi s10, s10, -4
  bgez s10, 2b
  li t6, 10
  sb t6, 0(s11)
  addi s6, s6, 8
  addi s7, s7, -1
  bnez s7, 1b
''' % (len(R)+len(F)+1+32))
for i, r in enumerate(R): out.append('  ld %s, %d(s8)' % (r, 8*i))
out.append('''  li s8, 0
  ld ra, 0(sp)
  addi sp, sp, 16
  ret
  .data
hexd: .ascii "0123456789abcdef"
  .align 3
regsave: .skip 1024
membuf: .skip 256''')
print('\n'.join(out))
