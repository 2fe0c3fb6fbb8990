#!/usr/bin/env bash
# disk-dtb: two drives and the default virtio-rng take virtio-mmio slots 0, 1
# and 2 in the device tree ("virtio,mmio", reg, PLIC interrupts 1..3); the
# other slots are not listed.
set -u
vm="$RINGVM_BUILD/ringvm"
command -v dtc >/dev/null || { echo "SKIP: dtc is missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 4096 /dev/zero >"$tmp/k"
truncate -s 1M "$tmp/a.raw" "$tmp/b.raw"
"$vm" -bios none -kernel "$tmp/k" -machine virt,dumpdtb="$tmp/t.dtb" \
	-drive file="$tmp/a.raw",format=raw -drive file="$tmp/b.raw",format=raw,if=none,id=b \
	-device virtio-blk-device,drive=b || { echo "FAIL: dumpdtb"; exit 1; }
dtc -q -I dtb -O dts "$tmp/t.dtb" >"$tmp/t.dts" || { echo "FAIL: dtc"; exit 1; }
plic=$(sed -n '/plic@c000000 {/,/};/s/.*phandle = <\(0x[0-9a-f]*\)>.*/\1/p' "$tmp/t.dts")
fails=0
for n in 1 2 3; do
	node=$(sed -n "/virtio_mmio@1000${n}000 {/,/};/p" "$tmp/t.dts")
	for want in 'compatible = "virtio,mmio"' "reg = <0x00 0x1000${n}000 0x00 0x1000>" \
		"interrupts = <0x0${n}>" "interrupt-parent = <$plic>"; do
		grep -qF "$want" <<<"$node" || { echo "FAIL: slot $n lacks '$want'"; fails=1; }
	done
done
grep -q 'virtio_mmio@10004000' "$tmp/t.dts" && { echo "FAIL: an empty slot is listed"; fails=1; }
[ "$fails" -eq 0 ] && echo PASS || { sed -n '/virtio_mmio/,/};/p' "$tmp/t.dts"; exit 1; }
