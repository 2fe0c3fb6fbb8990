#!/usr/bin/env bash
# guest-mm-stress.sh - Linux under the JIT (not check mode) streams a disk
# bigger than its RAM through the page cache (busybox hdparm -t, then
# O_DIRECT dd): page allocation, reclaim and free-list moves run as hot
# loops in translated code. A miscompiled loop block there (once: a cached
# memory run handed another page's host offset) crashed ringvm or the
# guest; check mode then made no loop blocks, so it did not show it (it
# does now: jit-check-loop).
# Passes when both cases finish and ringvm exits 0.
# The guest: tests/lib/guest.sh.
set -u
vm="$RINGVM_BUILD/ringvm"
. "$RINGVM_SRC/tests/lib/guest.sh"
guest_find
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
truncate -s 384M "$tmp/disk.raw"

timeout 300 "$vm" -m 128M -nographic -kernel "$guest/Image" \
	-initrd "$guest/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet ringvm.run=disk-bench ringvm.args=2,/dev/vda,hdparm+dd" \
	-drive file="$tmp/disk.raw",format=raw,if=virtio,cache=none >"$tmp/log" 2>&1 </dev/null
rc=$?
fails=0
for want in '"metric":"hdparm_t"' '"metric":"dd_seqread_1m_direct"' '^RINGVM-RUN-END disk-bench rc=0'; do
	grep -qE "$want" "$tmp/log" || { echo "FAIL: no /$want/ on the console"; fails=$((fails + 1)); }
done
[ "$rc" -eq 0 ] || { echo "FAIL: ringvm exit status $rc"; fails=$((fails + 1)); }
if [ "$fails" -ne 0 ]; then
	grep -v '^\[ *[0-9]' "$tmp/log" | tail -n 20
	exit 1
fi
echo "ok: the JIT streamed a disk larger than guest RAM through the page cache"
