#!/usr/bin/env bash
# diff-qemu.sh - differential test: random integer/FP instruction streams
# run on ringvm's interpreter (isa-run) and on qemu-system-riscv64; the
# register and fflags dumps must be identical. Skips without qemu/gcc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${RINGVM_BUILD:?}
gcc=$(command -v riscv64-unknown-elf-gcc || command -v riscv64-linux-gnu-gcc || true)
qemu=$(command -v qemu-system-riscv64 || true)
if [ -z "$gcc" ] || [ -z "$qemu" ]; then echo "SKIP: needs riscv64 gcc and qemu-system-riscv64"; exit 77; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
g=$here/guest
for seed in $(seq 1 ${DIFF_SEEDS:-40}); do
  python3 "$here/diff-qemu-gen.py" "$seed" > "$tmp/t.S"
  "$gcc" -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -mcmodel=medany \
    -T "$g/link.ld" -I "$g" -o "$tmp/t.elf" "$g/common.S" "$tmp/t.S"
  "$build/tests/cpu/isa-run" "$tmp/t.elf" > "$tmp/ours.txt" 2>&1 || true
  timeout 30 "$qemu" -M virt -bios none -kernel "$tmp/t.elf" -nographic -m 128M > "$tmp/qemu.txt" 2>&1 || true
  if ! cmp -s "$tmp/ours.txt" "$tmp/qemu.txt"; then
    echo "FAIL: seed $seed differs from QEMU"; diff "$tmp/ours.txt" "$tmp/qemu.txt" | head -20; exit 1
  fi
  [ "$(wc -l < "$tmp/ours.txt")" -eq 3360 ] || { echo "FAIL: seed $seed: short dump"; exit 1; }
done
echo "PASS: ${DIFF_SEEDS:-40} random programs match QEMU"
