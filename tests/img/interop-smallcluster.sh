#!/usr/bin/env bash
# interop-smallcluster.sh - convert into and write into qcow2 images whose
# clusters are small (512 bytes, or 4k with 64-bit refcounts) with writes
# of up to 2 MiB: each write allocates thousands of clusters and several
# refcount blocks at once. qemu-img must then find the image consistent
# and read back the same data.
. "$(dirname "$0")/lib.sh" || exit 1
need_qemu
raw="$T/src.raw"
rand_file "$raw" 12
dd if=/dev/zero of="$raw" bs=1M seek=6 count=3 conv=notrunc status=none
for o in cluster_size=512 cluster_size=1k,refcount_bits=1 cluster_size=4k,refcount_bits=64; do
	rm -f "$T/c.qcow2"
	"$IMG" convert -O qcow2 -o $o "$raw" "$T/c.qcow2" || { fail "convert -o $o"; continue; }
	expect_rc 0 qemu-img check "$T/c.qcow2" || fail "qemu-img check after convert -o $o"
	expect_rc 0 qemu-img compare -f raw "$raw" "$T/c.qcow2" || fail "content after convert -o $o"
	qemu-img create -q -f qcow2 -o $o "$T/w.qcow2" 12M
	qemu-io -c "write -P 0x44 2M 3M" "$T/w.qcow2" >/dev/null
	"$IMG" convert -n "$raw" "$T/w.qcow2" || { fail "write into $o image"; continue; }
	expect_rc 0 qemu-img check "$T/w.qcow2" || fail "qemu-img check after writing into $o image"
	expect_rc 0 qemu-img compare -f raw "$raw" "$T/w.qcow2" || fail "content of $o image"
	ok "$o"
done
finish
