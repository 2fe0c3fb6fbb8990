#!/usr/bin/env bash
# commit-empty.sh - commit empties the top image (its clusters become
# unallocated, so it reads as its backing file), as qemu-img commit does;
# -d keeps the top image's data. Checked with qemu-img/qemu-io.
. "$(dirname "$0")/lib.sh" || exit 1
need_qemu
alloc() { qemu-io -c "alloc 0 $2" "$1" | sed -n 's|^\([0-9]*\)/.*|\1|p'; }

for compat in 1.1 0.10; do
	# base: pattern 1 everywhere; top: its own data, a zeroed range, and a
	# partial last cluster (virtual size not cluster aligned)
	qemu-img create -q -f qcow2 -o compat=$compat "$T/b.qcow2" 8392704
	qemu-io -c "write -P 1 0 8392704" "$T/b.qcow2" >/dev/null
	qemu-img create -q -f qcow2 -o compat=$compat -b b.qcow2 -F qcow2 "$T/t.qcow2"
	qemu-io -c "write -P 2 1M 1M" -c "write -z 3M 128k" -c "write -P 3 8M 4k" \
		"$T/t.qcow2" >/dev/null
	qemu-img convert -O raw "$T/t.qcow2" "$T/want.raw"
	cp "$T/b.qcow2" "$T/b2.qcow2"; cp "$T/t.qcow2" "$T/t2.qcow2"
	qemu-img rebase -u -b b2.qcow2 -F qcow2 "$T/t2.qcow2"
	[ "$(alloc "$T/t.qcow2" 8392704)" -gt 0 ] || fail "$compat: top has data before commit"

	expect_rc 0 "$IMG" commit "$T/t.qcow2" || fail "$compat: commit"
	grep -q 'Image committed.' "$T/out" || fail "$compat: commit message"
	expect_rc 0 qemu-img compare -f raw "$T/want.raw" "$T/b.qcow2" || fail "$compat: base after commit"
	expect_rc 0 qemu-img compare -f raw "$T/want.raw" "$T/t.qcow2" || fail "$compat: top reads as the base"
	[ "$(alloc "$T/t.qcow2" 8392704)" = 0 ] || fail "$compat: top not empty after commit ($(alloc "$T/t.qcow2" 8392704) bytes allocated)"
	expect_rc 0 qemu-img check "$T/t.qcow2" || fail "$compat: qemu-img check top"
	expect_rc 0 "$IMG" check "$T/t.qcow2" || fail "$compat: ringvm-img check top"
	expect_rc 0 qemu-img check "$T/b.qcow2" || fail "$compat: qemu-img check base"
	# qemu-img commit leaves the same state
	qemu-img commit -q "$T/t2.qcow2"
	[ "$(alloc "$T/t2.qcow2" 8392704)" = 0 ] || fail "$compat: qemu-img commit empties too (reference)"
	expect_rc 0 qemu-img compare "$T/b.qcow2" "$T/b2.qcow2" || fail "$compat: bases equal after both commits"

	# -d: the top keeps its data
	qemu-img create -q -f qcow2 -o compat=$compat -b b.qcow2 -F qcow2 "$T/t.qcow2"
	qemu-io -c "write -P 4 2M 64k" "$T/t.qcow2" >/dev/null
	expect_rc 0 "$IMG" commit -d "$T/t.qcow2" || fail "$compat: commit -d"
	[ "$(alloc "$T/t.qcow2" 8392704)" = 65536 ] || fail "$compat: commit -d emptied the top"
	qemu-io -c "read -P 4 2M 64k" "$T/b.qcow2" | grep -q 'verification failed' && fail "$compat: commit -d data in base"
	ok "commit empties the top image (compat=$compat), -d keeps it"
done

# a top image held by another writer is refused, and left as it was
qemu-img create -q -f qcow2 -b b.qcow2 -F qcow2 "$T/t.qcow2"
qemu-io -c "write -P 5 0 64k" "$T/t.qcow2" >/dev/null
md5=$(md5sum <"$T/b.qcow2")
qemu-io -c "sleep 3000" "$T/t.qcow2" >/dev/null 2>&1 &
sleep 1
expect_rc 1 "$IMG" commit "$T/t.qcow2" || fail "commit of a locked image must fail"
grep -qi 'lock\|in use\|held' "$T/err" || fail "commit of a locked image says why: $(cat "$T/err")"
wait
[ "$(md5sum <"$T/b.qcow2")" = "$md5" ] || fail "refused commit changed the base"
ok "locked top refused"
finish
