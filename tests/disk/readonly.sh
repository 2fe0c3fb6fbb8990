#!/usr/bin/env bash
# disk-readonly: readonly=on makes guest writes fail cleanly (the kernel sees
# the disk read-only, raw writes get an error) and the image is unchanged.
. "$(dirname "$0")/lib.sh"
need mkfs.ext4
guest_find
mkext4 "$tmp/fs.raw" 64
r0=$(md5sum <"$tmp/fs.raw")
boot "$tmp/a.log" disk-fs readonly -drive file="$tmp/fs.raw",format=raw,readonly=on
expect "$tmp/a.log" '^DISK-FS-RO-OK' "guest writes fail, reads work"
expect "$tmp/a.log" '^ringvm disk test host' "guest read the host's file"
check "the image is unchanged" test "$r0" = "$(md5sum <"$tmp/fs.raw")"
finish
