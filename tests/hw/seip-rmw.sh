#!/usr/bin/env bash
# seip-rmw.sh - the PLIC's SEIP line is not latched by M-mode mip
# read-modify-writes (see guest/seip-rmw.S); a hart-and-board test.
set -u
vm="$RINGVM_BUILD/ringvm"
gdir="$RINGVM_SRC/tests/hw/guest"
cc=$(command -v riscv64-unknown-elf-gcc || command -v riscv64-linux-gnu-gcc) ||
	{ echo "SKIP: no riscv64 cross compiler"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cc" -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -mcmodel=medany \
	-Wl,--no-warn-rwx-segments -T "$gdir/link.ld" -o "$tmp/seip.elf" "$gdir/seip-rmw.S" ||
	{ echo "FAIL: build"; exit 1; }
out=$(timeout 30 "$vm" -m 16M -bios none -kernel "$tmp/seip.elf" -nographic </dev/null)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] && [ "$out" = "seip ok" ]
