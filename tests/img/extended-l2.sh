#!/usr/bin/env bash
# extended-l2.sh - images with extended L2 entries (subclusters): create
# -o extended_l2=on (qemu-img sees them as such and checks them clean),
# info reports them, data written by ringvm-img reads back through qemu-io
# and the other way round; a 4 KiB write into an image with a backing
# file allocates only its subcluster. Bad combinations are refused.
. "$(dirname "$0")/lib.sh" || exit 1
need_qemu

for cs in 16k 64k 512k; do
	for pre in off metadata; do
		f="$T/e-$cs-$pre.qcow2"
		expect_rc 0 "$IMG" create -f qcow2 -o extended_l2=on,cluster_size=$cs,preallocation=$pre "$f" 3M || fail "create $cs $pre"
		grep -q 'extended_l2=on' "$T/out" || fail "create $cs $pre prints extended_l2=on"
		qemu-img info "$f" | grep -q 'extended l2: true' || fail "qemu-img info $cs $pre: extended l2"
		"$IMG" info "$f" | grep -q 'extended l2: true' || fail "ringvm-img info $cs $pre"
		"$IMG" info --output=json "$f" | grep -q '"extended-l2": true' || fail "ringvm-img info json $cs $pre"
		expect_rc 0 qemu-img check "$f" || fail "qemu-img check new $cs $pre"
		# qemu-io writes, ringvm-img reads (convert)
		qemu-io -c "write -P 0x31 5k 3k" -c "write -P 0x32 1M 100k" -c "write -z 2M 64k" "$f" >/dev/null
		qemu-img convert -O raw "$f" "$T/want.raw"
		"$IMG" convert -O raw "$f" "$T/got.raw" && cmp -s "$T/want.raw" "$T/got.raw" || fail "read qemu-io data $cs $pre"
		# ringvm-img writes (convert -n, bench -w), qemu-io reads
		head -c 3M /dev/urandom >"$T/src.raw"
		"$IMG" convert -n -f raw "$T/src.raw" "$f" || fail "convert -n into $cs $pre"
		expect_rc 0 qemu-img compare -f raw "$T/src.raw" "$f" || fail "qemu reads ringvm data $cs $pre"
		"$IMG" bench -q -w -c 3 -s 1536 -S 4096 -o 1024 --pattern 0xab "$f" || fail "bench -w $cs $pre"
		qemu-io -c "read -P 0xab 1024 1536" -c "read -P 0xab 5120 1536" "$f" | grep -q 'verification failed' && fail "bench data $cs $pre"
		expect_rc 0 qemu-img check "$f" || fail "qemu-img check after writes $cs $pre"
		expect_rc 0 "$IMG" check "$f" || fail "ringvm-img check after writes $cs $pre"
	done
done
ok "create/info/read/write extended L2 images"

# subcluster allocation over a backing file
qemu-img create -q -f qcow2 "$T/b.qcow2" 1M
qemu-io -c "write -P 0x11 0 1M" "$T/b.qcow2" >/dev/null
"$IMG" create -q -f qcow2 -o extended_l2=on -b b.qcow2 -F qcow2 "$T/t.qcow2" || fail "create over a backing file"
"$IMG" bench -q -w -c 1 -s 4k -o 8k --pattern 0x22 "$T/t.qcow2" || fail "bench -w over backing"
qemu-io -c "read -P 0x11 0 8k" -c "read -P 0x22 8k 4k" -c "read -P 0x11 12k 1012k" "$T/t.qcow2" | grep -q 'verification failed' && fail "subcluster data over backing"
n=$(qemu-io -c "alloc 0 64k" "$T/t.qcow2" | sed -n 's|^\([0-9]*\)/.*|\1|p')
# 64 KiB clusters: 2 KiB subclusters; the 4 KiB write covers two of them
[ "$n" = 4096 ] || fail "only the written subclusters are allocated (got $n bytes)"
expect_rc 0 qemu-img check "$T/t.qcow2" || fail "check subcluster overlay"
ok "subcluster allocation"

expect_rc 1 "$IMG" create -f qcow2 -o extended_l2=on,cluster_size=8k "$T/bad.qcow2" 1M || fail "8k clusters refused"
expect_rc 1 "$IMG" create -f qcow2 -o extended_l2=on,compat=0.10 "$T/bad.qcow2" 1M || fail "compat=0.10 refused"
expect_rc 1 "$IMG" create -f qcow2 -o extended_l2=maybe "$T/bad.qcow2" 1M || fail "bad bool refused"
[ -e "$T/bad.qcow2" ] && fail "a refused create left a file"
ok "bad combinations refused"
finish
