#!/usr/bin/env bash
# check-boot-disk.sh - Linux boots under -accel jit,check=on (every JIT block
# re-run in the interpreter and compared) and reads files from a virtio
# disk: the disk's data reaches guest RAM by device DMA, which the checker
# must see like the JIT does. Passes when the guest verified the files'
# checksum and the checker reported no difference.
# Skips when the guest or mkfs.ext4 is missing.
set -u
vm="$RINGVM_BUILD/ringvm"
command -v mkfs.ext4 >/dev/null || { echo "SKIP: mkfs.ext4 is missing"; exit 77; }
. "$RINGVM_SRC/tests/lib/guest.sh"
guest_find
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The files guest/tests.d/disk-fs.sh "verify" checks, made host-side.
mkdir "$tmp/seed"
echo "ringvm disk test host" >"$tmp/seed/hello.txt"
head -c 1048576 /dev/urandom >"$tmp/seed/big.bin"
(cd "$tmp/seed" && md5sum big.bin >big.md5)
truncate -s 16M "$tmp/fs.raw"
mkfs.ext4 -q -F -d "$tmp/seed" "$tmp/fs.raw" >/dev/null || { echo "FAIL: mkfs.ext4"; exit 1; }

timeout 1200 "$vm" -m 256M -nographic -accel jit,check=on -kernel "$guest/Image" \
	-initrd "$guest/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet ringvm.run=disk-fs ringvm.args=verify" \
	-drive file="$tmp/fs.raw",format=raw,if=virtio >"$tmp/log" 2>&1 </dev/null
rc=$?
fails=0
for want in '^DISK-FS-VERIFY-OK' '^RINGVM-RUN-END disk-fs rc=0'; do
	grep -qE "$want" "$tmp/log" || { echo "FAIL: no /$want/ on the console"; fails=$((fails + 1)); }
done
if grep -q "^jit check:" "$tmp/log"; then
	echo "FAIL: the checker found a difference"
	fails=$((fails + 1))
fi
[ "$rc" -eq 0 ] || { echo "FAIL: ringvm exit status $rc"; fails=$((fails + 1)); }
if [ "$fails" -ne 0 ]; then
	grep -v '^\[ *[0-9]' "$tmp/log" | tail -n 30
	exit 1
fi
echo "ok: booted and verified a disk's files under jit,check=on with no difference"
