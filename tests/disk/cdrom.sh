#!/usr/bin/env bash
# disk-cdrom: -cdrom ISO (genisoimage) is readable in the guest as iso9660;
# it comes after a -drive, so this also checks two disks and their order.
. "$(dirname "$0")/lib.sh"
need genisoimage
guest_find
mkdir -p "$tmp/iso"
echo "hello from the ringvm cdrom" >"$tmp/iso/hello.txt"
head -c 3000000 /dev/urandom >"$tmp/iso/data.bin"
(cd "$tmp/iso" && md5sum data.bin >data.md5)
genisoimage -quiet -r -o "$tmp/cd.iso" "$tmp/iso" || { echo "FAIL: genisoimage"; exit 1; }
truncate -s 8M "$tmp/first.raw"
boot "$tmp/a.log" disk-fs cdrom,/dev/vdb -drive file="$tmp/first.raw",format=raw \
	-cdrom "$tmp/cd.iso"
expect "$tmp/a.log" '^cdrom says: hello from the ringvm cdrom' "guest read hello.txt"
expect "$tmp/a.log" '^DISK-FS-CDROM-OK' "data.bin checksum matches in the guest"
expect "$tmp/a.log" 'virtio_blk virtio1: \[vdb\]' "the cdrom is the second disk"
finish
