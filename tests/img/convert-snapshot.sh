#!/usr/bin/env bash
# convert-snapshot.sh - convert -l / -s copies an internal snapshot of the
# source (not the active image), byte for byte what qemu-img convert -l
# gives; the source is not modified; bad snapshot names are refused.
. "$(dirname "$0")/lib.sh" || exit 1
need_qemu

# s1: 4 MiB of pattern 1 over a backing file; s2: more data, then the
# image grows (the snapshots keep their own sizes); active: more again
qemu-img create -q -f qcow2 "$T/base.qcow2" 4M
qemu-io -c "write -P 9 0 4M" "$T/base.qcow2" >/dev/null
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 "$T/s.qcow2"
qemu-io -c "write -P 1 0 1M" "$T/s.qcow2" >/dev/null
qemu-img snapshot -c s1 "$T/s.qcow2"
qemu-io -c "write -P 2 512k 1M" -c "write -z 3M 64k" "$T/s.qcow2" >/dev/null
qemu-img snapshot -c s2 "$T/s.qcow2"
qemu-img resize -q "$T/s.qcow2" 6M
qemu-io -c "write -P 3 0 6M" "$T/s.qcow2" >/dev/null
md5=$(md5sum <"$T/s.qcow2")

for spec in "-l s1" "-l 1" "-l snapshot.name=s2" "-l snapshot.id=2" \
	    "-l snapshot.id=1,snapshot.name=s1" "-s s2" "-s 2"; do
	# this qemu-img no longer has -s: its -l with the same id or name
	qemu-img convert -U ${spec/-s/-l} -O raw "$T/s.qcow2" "$T/want.raw"
	expect_rc 0 "$IMG" convert $spec -O raw "$T/s.qcow2" "$T/got.raw" || { fail "convert $spec"; continue; }
	cmp -s "$T/want.raw" "$T/got.raw" || fail "convert $spec: not what qemu-img convert $spec gives"
	expect_rc 0 "$IMG" convert $spec -O qcow2 "$T/s.qcow2" "$T/got.qcow2" || fail "convert $spec -O qcow2"
	expect_rc 0 qemu-img compare -f raw -F qcow2 "$T/want.raw" "$T/got.qcow2" || fail "convert $spec -O qcow2 content"
	expect_rc 0 qemu-img check "$T/got.qcow2" || fail "convert $spec -O qcow2 check"
	rm -f "$T/got.qcow2"
done
# like qemu-img, the copy has the active image's size (6 MiB): beyond the
# snapshot's 4 MiB nothing is allocated (zeroes, or the backing file)
[ "$(stat -c %s "$T/got.raw")" = 6291456 ] || fail "convert -l has the active image's size"
[ "$(md5sum <"$T/s.qcow2")" = "$md5" ] || fail "convert -l modified the source"
ok "convert -l / -s copies the snapshot"

# refused with one clear sentence and exit 1; nothing is created
for spec in "-l nosuch" "-l snapshot.id=1,snapshot.name=s2" "-l snapshot.size=1" "-l s1 -s s2"; do
	rm -f "$T/bad.raw"
	expect_rc 1 "$IMG" convert $spec -O raw "$T/s.qcow2" "$T/bad.raw" || fail "convert $spec must fail"
	[ "$(wc -l <"$T/err")" -ge 1 ] && grep -q . "$T/err" || fail "convert $spec: no message"
	[ -e "$T/bad.raw" ] && fail "convert $spec created the output"
done
qemu-img create -q -f raw "$T/r.raw" 1M
expect_rc 1 "$IMG" convert -l s1 -O raw "$T/r.raw" "$T/bad.raw" || fail "convert -l of a raw image must fail"
grep -q "no internal snapshot" "$T/err" || fail "raw -l message: $(cat "$T/err")"
[ "$(md5sum <"$T/s.qcow2")" = "$md5" ] || fail "refused converts modified the source"
ok "bad snapshot arguments refused"
finish
