#!/usr/bin/env bash
# disk-aio-cache: the write test passes with each aio backend (io_uring,
# native, threads) and cache=none and writeback; host-side debugfs checks.
. "$(dirname "$0")/lib.sh"
need mkfs.ext4 debugfs
guest_find
for aio in io_uring native threads; do
	for cache in none writeback; do
		t="aio=$aio cache=$cache"
		mkext4 "$tmp/fs.raw" 48
		boot "$tmp/a.log" disk-fs write \
			-drive file="$tmp/fs.raw",format=raw,aio=$aio,cache=$cache
		expect "$tmp/a.log" '^DISK-FS-WRITE-OK' "$t: guest wrote"
		rm -f "$tmp/big.bin"
		debugfs -R "dump /big.bin $tmp/big.bin" "$tmp/fs.raw" >/dev/null 2>&1
		check "$t: host sees the guest's big.bin intact" test \
			"$(md5sum <"$tmp/big.bin" | cut -d' ' -f1)" = \
			"$(debugfs -R 'cat /big.md5' "$tmp/fs.raw" 2>/dev/null | cut -d' ' -f1)"
	done
done
finish
