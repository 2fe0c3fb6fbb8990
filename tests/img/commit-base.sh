#!/usr/bin/env bash
# commit-base.sh - `commit -b BASE` copies the data of the top image and of
# every image between it and BASE into BASE (deeper than the immediate
# backing file), keeps the top image (-b implies -d), and leaves the same
# base as qemu-img commit -b (the peer). Names outside the chain are
# refused without touching anything.
. "$(dirname "$0")/lib.sh" || exit 1
need_qemu
alloc() { qemu-io -c "alloc 0 $2" "$1" | sed -n 's|^\([0-9]*\)/.*|\1|p'; }
SZ=8392704 # not cluster aligned: a partial last cluster

# a chain of four: base <- mid1 <- mid2 <- top, each layer writing data
# over the one below, one layer zeroing a range with base data, and the
# top being larger than the layers below it
mkchain() { # compat dir
	local c=$1 d=$2
	mkdir -p "$d"
	qemu-img create -q -f qcow2 -o compat=$c "$d/base.qcow2" 4M
	qemu-io -c "write -P 1 0 4M" "$d/base.qcow2" >/dev/null
	qemu-img create -q -f qcow2 -o compat=$c -b base.qcow2 -F qcow2 "$d/mid1.qcow2"
	qemu-io -c "write -P 2 512k 1M" -c "write -z 2M 192k" "$d/mid1.qcow2" >/dev/null
	qemu-img create -q -f qcow2 -o compat=$c -b mid1.qcow2 -F qcow2 "$d/mid2.qcow2" 6M
	qemu-io -c "write -P 3 1M 64k" -c "write -P 7 4M 64k" -c "write -z 3M 4k" \
		"$d/mid2.qcow2" >/dev/null
	qemu-img create -q -f qcow2 -o compat=$c -b mid2.qcow2 -F qcow2 "$d/top.qcow2" $SZ
	qemu-io -c "write -P 4 1536k 8k" -c "write -P 5 8M 4k" -c "write -z 100k 4k" \
		"$d/top.qcow2" >/dev/null
}

for compat in 1.1 0.10; do
	A=$T/a-$compat; B=$T/b-$compat
	mkchain $compat "$A"; mkchain $compat "$B"
	qemu-img convert -O raw "$A/top.qcow2" "$T/want.raw"
	topalloc=$(alloc "$A/top.qcow2" $SZ)

	# -b given relative to the image that names it (as qemu-img takes it)
	(cd "$T" && expect_rc 0 "$IMG" commit -b base.qcow2 "$A/top.qcow2") ||
		fail "$compat: commit -b base.qcow2"
	grep -q 'Image committed.' "$T/out" || fail "$compat: commit message"
	expect_rc 0 qemu-img compare -f raw -F qcow2 "$T/want.raw" "$A/base.qcow2" ||
		fail "$compat: base holds the top's view after commit -b"
	[ "$(qemu-img info --output=json "$A/base.qcow2" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')" = $SZ ] ||
		fail "$compat: base grown to the top's size"
	expect_rc 0 qemu-img compare -f raw "$T/want.raw" "$A/top.qcow2" ||
		fail "$compat: top still reads the same"
	[ "$(alloc "$A/top.qcow2" $SZ)" = "$topalloc" ] || fail "$compat: -b must not empty the top"
	expect_rc 0 qemu-img check "$A/base.qcow2" || fail "$compat: qemu-img check base"
	expect_rc 0 "$IMG" check "$A/base.qcow2" || fail "$compat: ringvm-img check base"

	# the peer: qemu-img commit -b on the identical chain gives the same base
	qemu-img commit -q -b "$B/base.qcow2" "$B/top.qcow2"
	expect_rc 0 qemu-img compare "$A/base.qcow2" "$B/base.qcow2" ||
		fail "$compat: ringvm-img and qemu-img commit -b give different bases"
	ok "commit -b into the bottom of a 4-image chain (compat=$compat) matches qemu-img"
done

# -b naming the immediate backing file: commits like plain commit, but
# keeps the top (-b implies -d); an absolute name works too
C=$T/c; mkchain 1.1 "$C"
qemu-img convert -O raw "$C/top.qcow2" "$T/want.raw"
expect_rc 0 "$IMG" commit -q -b "$C/mid2.qcow2" "$C/top.qcow2" || fail "commit -b immediate backing"
[ -s "$T/out" ] && fail "-q printed: $(cat "$T/out")"
expect_rc 0 qemu-img compare -f raw "$T/want.raw" "$C/mid2.qcow2" || fail "mid2 holds the top's view"
[ "$(alloc "$C/top.qcow2" $SZ)" -gt 0 ] || fail "top emptied with -b"
expect_rc 0 qemu-img compare -f raw "$T/want.raw" "$C/top.qcow2" || fail "top reads the same"
# committing mid2 (now holding everything) into base through mid1
expect_rc 0 "$IMG" commit -b base.qcow2 "$C/mid2.qcow2" || fail "commit -b from a middle image"
expect_rc 0 qemu-img compare -f raw "$T/want.raw" "$C/base.qcow2" || fail "base after commit from the middle"
ok "-b with the immediate backing file and from a middle image"

# a raw base at the bottom (grown to the top's size)
E=$T/e; mkdir -p "$E"
qemu-img create -q -f raw "$E/base.raw" 1M
qemu-io -f raw -c "write -P 9 0 1M" "$E/base.raw" >/dev/null
qemu-img create -q -f qcow2 -b base.raw -F raw "$E/mid.qcow2" 2M
qemu-io -c "write -P 8 960k 128k" -c "write -z 64k 4k" "$E/mid.qcow2" >/dev/null
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 "$E/top.qcow2" 3M
qemu-io -c "write -P 6 2M 512" "$E/top.qcow2" >/dev/null
qemu-img convert -O raw "$E/top.qcow2" "$T/want.raw"
expect_rc 0 "$IMG" commit -b "$E/base.raw" "$E/top.qcow2" || fail "commit -b into a raw base"
expect_rc 0 qemu-img compare -f raw -F raw "$T/want.raw" "$E/base.raw" || fail "raw base after commit -b"
ok "commit -b into a raw base"

# names that are not in the chain: refused, nothing changes
D=$T/d; mkchain 1.1 "$D"
qemu-img create -q -f qcow2 "$T/other.qcow2" 4M
sums() { md5sum "$D"/*.qcow2 | md5sum; }
before=$(sums)
for bad in "$T/other.qcow2" "$D/top.qcow2" "$T/missing.qcow2" nothere.qcow2; do
	expect_rc 1 "$IMG" commit -b "$bad" "$D/top.qcow2" || fail "-b $bad must be refused"
	grep -q 'not in the backing chain' "$T/err" || fail "-b $bad: message: $(cat "$T/err")"
done
expect_rc 1 "$IMG" commit -b "" "$D/top.qcow2" || fail "-b '' must be refused"
qemu-img create -q -f qcow2 "$T/alone.qcow2" 1M
expect_rc 1 "$IMG" commit -b "$T/other.qcow2" "$T/alone.qcow2" || fail "-b on an image without backing"
grep -q 'no backing file' "$T/err" || fail "no backing file message: $(cat "$T/err")"
[ "$(sums)" = "$before" ] || fail "a refused commit -b changed an image"
ok "names outside the chain are refused, images untouched"

# a base held by another writer is refused and left as it was
md5=$(md5sum <"$D/base.qcow2")
qemu-io -c "sleep 3000" "$D/base.qcow2" >/dev/null 2>&1 &
sleep 1
expect_rc 1 "$IMG" commit -b base.qcow2 "$D/top.qcow2" || fail "commit -b into a locked base must fail"
grep -qi 'lock\|in use\|held' "$T/err" || fail "locked base: message: $(cat "$T/err")"
wait
[ "$(md5sum <"$D/base.qcow2")" = "$md5" ] || fail "refused commit -b changed the base"
ok "locked base refused"
finish
