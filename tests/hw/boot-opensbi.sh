#!/usr/bin/env bash
# boot-opensbi.sh - Debian's OpenSBI (found by default) boots on the virt
# board: its banner names the platform and devices from our device tree,
# it starts an S-mode payload at 0x80200000 through fw_dynamic_info (flat
# binary and ELF), and SBI SRST shutdown ends ringvm with status 0.
set -u
vm="$RINGVM_BUILD/ringvm"
gdir="$RINGVM_SRC/tests/hw/guest"
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
[ -f "$fw" ] || { echo "SKIP: opensbi is not installed"; exit 77; }
cc=$(command -v riscv64-unknown-elf-gcc || command -v riscv64-linux-gnu-gcc) ||
	{ echo "SKIP: no riscv64 cross compiler"; exit 77; }
objcopy=${cc%gcc}objcopy
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cc" -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -mcmodel=medany \
	-Wl,--no-warn-rwx-segments -T "$gdir/link-s.ld" -o "$tmp/payload.elf" "$gdir/sbi-payload.S" &&
	"$objcopy" -O binary "$tmp/payload.elf" "$tmp/payload.bin" || { echo "FAIL: build"; exit 1; }
fails=0

for k in payload.bin payload.elf; do
	timeout 60 "$vm" -M virt -m 128M -nographic -kernel "$tmp/$k" </dev/null >"$tmp/out" 2>&1
	rc=$?
	ok=1
	for want in "OpenSBI v" "Platform Name *: riscv-virtio,qemu" \
		"Platform Console Device *: uart8250" "Platform Shutdown Device *: sifive_test" \
		"Platform Timer Device *: aclint-mtimer @ 10000000Hz" \
		"Domain0 Next Address *: 0x0000000080200000" "Domain0 Next Mode *: S-mode" \
		"S-mode payload running" "boot registers ok"; do
		grep -q "$want" "$tmp/out" || { echo "missing: $want"; ok=0; }
	done
	if [ "$rc" -ne 0 ] || [ "$ok" -ne 1 ]; then
		echo "FAIL ($k): rc=$rc"; cat "$tmp/out"
		fails=$((fails + 1))
	else
		echo "ok: OpenSBI booted the $k payload, which shut down cleanly"
	fi
done

# -bios with an explicit fw_jump path is accepted too (banner only).
jump=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
if [ -f "$jump" ]; then
	timeout 60 "$vm" -nographic -bios "$jump" -kernel "$tmp/payload.bin" </dev/null >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] || ! grep -q "boot registers ok" "$tmp/out"; then
		echo "FAIL (fw_jump): rc=$rc"; cat "$tmp/out"; fails=$((fails + 1))
	else
		echo "ok: fw_jump booted the payload"
	fi
fi
[ "$fails" -eq 0 ]
