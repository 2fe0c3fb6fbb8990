#!/bin/sh
# disk-fs: filesystem checks on a virtio disk (the host-side test decides what
# to expect). Arguments: MODE [DEVICE], MODE one of
#   write     mount the ext4 on DEVICE, write hello.txt and a 4 MiB random file
#             with its md5 next to it, sync, unmount      -> DISK-FS-WRITE-OK
#   verify    mount it again, check both files             -> DISK-FS-VERIFY-OK
#   readonly  the disk is read-only: ro flag set, a write mount and a raw
#             write both fail, a read-only mount reads     -> DISK-FS-RO-OK
#   cdrom     mount iso9660 read-only and print hello.txt  -> DISK-FS-CDROM-OK
mode=${1:-write} dev=${2:-/dev/vda} mnt=/mnt/disk
if [ ! -b "$dev" ]; then
	echo "disk-fs: no block device $dev (attach a disk)"
	exit 77
fi
mkdir -p "$mnt"
fail() { echo "disk-fs: FAIL: $*"; umount "$mnt" 2>/dev/null; exit 1; }
case "$mode" in
write)
	mount -t ext4 "$dev" "$mnt" || fail "mount $dev"
	echo "ringvm disk test $(uname -r)" >"$mnt/hello.txt" || fail "write hello.txt"
	dd if=/dev/urandom of="$mnt/big.bin" bs=64k count=64 2>/dev/null || fail "write big.bin"
	(cd "$mnt" && md5sum big.bin >big.md5) || fail "md5 big.bin"
	sync
	umount "$mnt" || fail "umount"
	echo "rng: $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
	echo "DISK-FS-WRITE-OK"
	;;
verify)
	mount -t ext4 -o ro "$dev" "$mnt" || fail "mount $dev"
	grep -q '^ringvm disk test ' "$mnt/hello.txt" || fail "hello.txt content"
	(cd "$mnt" && md5sum -c big.md5) || fail "big.bin checksum"
	umount "$mnt"
	echo "DISK-FS-VERIFY-OK"
	;;
readonly)
	[ "$(cat /sys/block/${dev#/dev/}/ro)" = 1 ] || fail "the kernel does not see $dev read-only"
	if mount -t ext4 -o rw "$dev" "$mnt" 2>/dev/null; then
		touch "$mnt/new" 2>/dev/null && fail "a file was created on a read-only disk"
		umount "$mnt"
	fi
	dd if=/dev/zero of="$dev" bs=4k count=1 oflag=direct 2>/dev/null &&
		fail "a raw write to $dev succeeded"
	mount -t ext4 -o ro "$dev" "$mnt" || fail "read-only mount"
	cat "$mnt/hello.txt" || fail "read hello.txt"
	umount "$mnt"
	echo "DISK-FS-RO-OK"
	;;
cdrom)
	mount -t iso9660 -o ro "$dev" "$mnt" || fail "mount iso9660 $dev"
	echo "cdrom says: $(cat "$mnt/hello.txt")" || fail "read hello.txt"
	(cd "$mnt" && md5sum -c data.md5) || fail "data.bin checksum"
	umount "$mnt"
	echo "DISK-FS-CDROM-OK"
	;;
*) echo "disk-fs: unknown mode $mode"; exit 2 ;;
esac
