#!/usr/bin/env bash
# disk-qcow2-ext4: a qcow2 made by ringvm-img holding ext4; the guest writes
# files and powers off; ringvm-img check and qemu-img check are clean, a
# second boot reads the files back, and so does debugfs on the host.
. "$(dirname "$0")/lib.sh"
need qemu-img mkfs.ext4 debugfs
guest_find
mkext4 "$tmp/fs.raw" 64
"$img" convert -f raw -O qcow2 "$tmp/fs.raw" "$tmp/d.qcow2" || { echo "FAIL: convert"; exit 1; }
boot "$tmp/w.log" disk-fs write -drive file="$tmp/d.qcow2",format=qcow2,if=virtio
echo "ringvm exit status $?"
expect "$tmp/w.log" '^DISK-FS-WRITE-OK' "guest wrote files on the qcow2 ext4"
expect "$tmp/w.log" '^RINGVM-RUN-END disk-fs rc=0' "guest test succeeded"
expect "$tmp/w.log" '^rng: virtio_rng' "the default virtio-rng is the guest's hw_random"
check "ringvm-img check is clean" "$img" check "$tmp/d.qcow2"
check "qemu-img check is clean" qemu-img check "$tmp/d.qcow2"
boot "$tmp/v.log" disk-fs verify -drive file="$tmp/d.qcow2",format=qcow2
expect "$tmp/v.log" '^DISK-FS-VERIFY-OK' "second boot reads the files back"
qemu-img convert -f qcow2 -O raw "$tmp/d.qcow2" "$tmp/back.raw"
debugfs -R 'cat /hello.txt' "$tmp/back.raw" 2>/dev/null >"$tmp/hello"
check "host debugfs sees hello.txt" grep -q '^ringvm disk test 6' "$tmp/hello"
debugfs -R 'dump /big.bin '"$tmp/big.bin" "$tmp/back.raw" >/dev/null 2>&1
debugfs -R 'cat /big.md5' "$tmp/back.raw" 2>/dev/null >"$tmp/big.md5"
check "host md5 of big.bin matches the guest's" \
	test "$(md5sum <"$tmp/big.bin" | cut -d' ' -f1)" = "$(cut -d' ' -f1 "$tmp/big.md5")"
finish
