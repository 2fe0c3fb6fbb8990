#!/usr/bin/env bash
# disk-snapshot: -snapshot (qcow2 image) and snapshot=on (raw image) let the
# guest write, yet leave the image byte-identical.
. "$(dirname "$0")/lib.sh"
need mkfs.ext4
guest_find
mkext4 "$tmp/fs.raw" 64
"$img" convert -f raw -O qcow2 "$tmp/fs.raw" "$tmp/d.qcow2" || { echo "FAIL: convert"; exit 1; }
q0=$(md5sum <"$tmp/d.qcow2") r0=$(md5sum <"$tmp/fs.raw")
TMPDIR=$tmp boot "$tmp/a.log" disk-fs write -drive file="$tmp/d.qcow2",format=qcow2 -snapshot
expect "$tmp/a.log" '^DISK-FS-WRITE-OK' "-snapshot: the guest wrote"
check "-snapshot: the qcow2 image is unchanged" test "$q0" = "$(md5sum <"$tmp/d.qcow2")"
TMPDIR=$tmp boot "$tmp/b.log" disk-fs write -drive file="$tmp/fs.raw",format=raw,snapshot=on
expect "$tmp/b.log" '^DISK-FS-WRITE-OK' "snapshot=on: the guest wrote"
check "snapshot=on: the raw image is unchanged" test "$r0" = "$(md5sum <"$tmp/fs.raw")"
check "no overlay is left in TMPDIR" test -z "$(ls "$tmp" | grep ringvm-snapshot)"
finish
