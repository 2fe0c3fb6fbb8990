#!/usr/bin/env bash
# ops.sh - resize, commit, rebase, map, compare, measure and check exit
# codes, each checked against qemu-img on the same files.
. "$(dirname "$0")/lib.sh" || exit 1
need_qemu
vsize() { qemu-img info --output=json "$1" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p' | head -1; }

# ---- resize
"$IMG" create -q -f qcow2 "$T/r.qcow2" 4M
qemu-io -c "write -P 9 3M 1M" "$T/r.qcow2" >/dev/null
"$IMG" resize -q "$T/r.qcow2" +2M && [ "$(vsize "$T/r.qcow2")" = 6291456 ] || fail "resize qcow2 +2M"
"$IMG" resize -q "$T/r.qcow2" 64M && [ "$(vsize "$T/r.qcow2")" = 67108864 ] || fail "resize qcow2 64M"
expect_rc 0 qemu-img check "$T/r.qcow2" || fail "check after grow"
qemu-io -c "read -P 9 3M 1M" -c "read -P 0 4M 60M" "$T/r.qcow2" | grep -q 'verification failed' && fail "data after grow"
"$IMG" create -q -f raw "$T/r.raw" 4M
"$IMG" resize -q "$T/r.raw" 8M && [ "$(stat -c %s "$T/r.raw")" = 8388608 ] || fail "resize raw grow"
expect_rc 1 "$IMG" resize "$T/r.raw" -- -1M || fail "raw shrink without --shrink must fail"
[ "$(stat -c %s "$T/r.raw")" = 8388608 ] || fail "refused shrink changed the file"
"$IMG" resize -q --shrink "$T/r.raw" -1M && [ "$(stat -c %s "$T/r.raw")" = 7340032 ] || fail "raw --shrink -1M"
"$IMG" resize -q --shrink "$T/r.raw" 2M && [ "$(stat -c %s "$T/r.raw")" = 2097152 ] || fail "raw --shrink 2M"
ok resize

# ---- progress bar: only on a terminal
if command -v script >/dev/null; then
	"$IMG" create -q -f qcow2 "$T/pg.qcow2" 8M
	script -qec "$IMG convert -p -O raw $T/pg.qcow2 $T/pg.raw" /dev/null | grep -q '100.00/100%' || fail "convert -p on a terminal shows progress"
fi
[ -z "$("$IMG" convert -p -O raw "$T/r.qcow2" "$T/pg2.raw")" ] || fail "convert -p prints nothing when stdout is not a terminal"
ok progress

# ---- bench on each engine, verified by qemu-io
for e in io_uring native threads; do
	qemu-img create -q -f qcow2 "$T/bn.qcow2" 8M
	"$IMG" bench -q -w -i $e -t none -c 64 -d 8 -s 64k -S 128k --pattern=0x3c --flush-interval=16 "$T/bn.qcow2" || fail "bench -i $e"
	qemu-io -c "read -P 0x3c 0 64k" -c "read -P 0 64k 64k" -c "read -P 0x3c 8064k 64k" "$T/bn.qcow2" | grep -q 'verification failed' && fail "bench -i $e data"
	expect_rc 0 qemu-img check "$T/bn.qcow2" || fail "check after bench -i $e"
	[ "$("$IMG" bench -i $e -c 100 "$T/bn.qcow2" | grep -c '^Run completed in [0-9.]* seconds\.$')" = 1 ] || fail "bench output -i $e"
done
ok bench

# ---- compare exit codes
rand_file "$T/a.raw" 2
cp "$T/a.raw" "$T/b.raw"
expect_rc 0 "$IMG" compare "$T/a.raw" "$T/b.raw" || fail "compare identical"
"$IMG" convert -O qcow2 "$T/a.raw" "$T/a.qcow2"
expect_rc 0 "$IMG" compare "$T/a.raw" "$T/a.qcow2" || fail "compare raw vs qcow2 identical"
printf 'x' | dd of="$T/b.raw" bs=1 seek=1234567 conv=notrunc status=none
expect_rc 1 "$IMG" compare "$T/a.raw" "$T/b.raw" || fail "compare different"
diff <("$IMG" compare "$T/a.raw" "$T/b.raw") <(qemu-img compare "$T/a.raw" "$T/b.raw") || fail "compare message"
cp "$T/a.raw" "$T/c.raw"; truncate -s 3M "$T/c.raw"
expect_rc 0 "$IMG" compare "$T/a.raw" "$T/c.raw" || fail "size mismatch with zero tail is equal"
expect_rc 1 "$IMG" compare -s "$T/a.raw" "$T/c.raw" || fail "strict size mismatch"
expect_rc 2 "$IMG" compare "$T/a.raw" "$T/nonexistent" || fail "compare open error -> 2"
ok compare

# ---- map agrees with qemu-img on a chain
qemu-img create -q -f qcow2 "$T/mb.qcow2" 4M
qemu-io -c "write -P 1 0 1M" -c "write -z 2M 128k" "$T/mb.qcow2" >/dev/null
qemu-img create -q -f qcow2 -b mb.qcow2 -F qcow2 "$T/mt.qcow2"
qemu-io -c "write -P 2 512k 128k" -c "write -P 3 3M 64k" "$T/mt.qcow2" >/dev/null
for o in human json; do
	diff <(qemu-img map --output=$o "$T/mt.qcow2") <("$IMG" map --output=$o "$T/mt.qcow2") >"$T/d" ||
		{ fail "map --output=$o differs"; cat "$T/d"; }
done
ok map

# ---- commit: the base then reads as the top did
qemu-img convert -O raw "$T/mt.qcow2" "$T/mt.raw"
cp "$T/mb.qcow2" "$T/mb.orig"
"$IMG" commit -q "$T/mt.qcow2" || fail "commit"
expect_rc 0 qemu-img compare -f raw "$T/mt.raw" "$T/mb.qcow2" || fail "base after commit"
expect_rc 0 qemu-img compare -f raw "$T/mt.raw" "$T/mt.qcow2" || fail "top after commit"
expect_rc 0 qemu-img check "$T/mb.qcow2" || fail "check base after commit"
ok commit

# ---- rebase: safe mode keeps the content, -u only rewrites the name
qemu-img create -q -f qcow2 "$T/o1.qcow2" 4M; qemu-io -c "write -P 5 0 2M" "$T/o1.qcow2" >/dev/null
qemu-img create -q -f qcow2 "$T/o2.qcow2" 4M; qemu-io -c "write -P 6 1M 2M" "$T/o2.qcow2" >/dev/null
qemu-img create -q -f qcow2 -b o1.qcow2 -F qcow2 "$T/ot.qcow2"
qemu-io -c "write -P 7 1536k 64k" "$T/ot.qcow2" >/dev/null
qemu-img convert -O raw "$T/ot.qcow2" "$T/ot.raw"
"$IMG" rebase -b o2.qcow2 -F qcow2 "$T/ot.qcow2" || fail "rebase"
grep -q 'backing file: o2.qcow2' <(qemu-img info "$T/ot.qcow2") || fail "rebase name"
expect_rc 0 qemu-img compare -f raw "$T/ot.raw" "$T/ot.qcow2" || fail "rebase keeps content"
expect_rc 0 qemu-img check "$T/ot.qcow2" || fail "check after rebase"
"$IMG" rebase -u -b o1.qcow2 -F qcow2 "$T/ot.qcow2" || fail "rebase -u"
grep -q 'backing file: o1.qcow2' <(qemu-img info "$T/ot.qcow2") || fail "rebase -u name"
"$IMG" rebase -b "" "$T/ot.qcow2" || fail "rebase onto nothing"
qemu-img info "$T/ot.qcow2" | grep -q 'backing file' && fail "backing not removed"
qemu-img convert -O raw "$T/ot.qcow2" "$T/ot2.raw"
# after -u onto o1 the content is o1+top; rebase -b "" must keep exactly that
qemu-img create -q -f qcow2 -b o1.qcow2 -F qcow2 "$T/ref.qcow2"
ok rebase

# ---- measure agrees with qemu-img
for s in 1M 1G 100G 3T; do
	diff <(qemu-img measure -O qcow2 --size $s) <("$IMG" measure -O qcow2 --size $s) >"$T/d" || { fail "measure --size $s"; cat "$T/d"; }
done
diff <(qemu-img measure -O qcow2 -o cluster_size=4k --size 7G) <("$IMG" measure -O qcow2 -o cluster_size=4k --size 7G) || fail "measure cluster_size=4k"
for f in mt.qcow2 a.qcow2; do
	diff <(qemu-img measure -O qcow2 "$T/$f") <("$IMG" measure -O qcow2 "$T/$f") >"$T/d" || { fail "measure $f"; cat "$T/d"; }
	diff <(qemu-img measure -O qcow2 --output=json "$T/$f") <("$IMG" measure -O qcow2 --output=json "$T/$f") || fail "measure json $f"
done
ok measure

# ---- check exit codes: 0 clean, 3 leaks, 2 corruption; -r repairs
"$IMG" create -q -f qcow2 "$T/k.qcow2" 4M
qemu-io -c "write -P 1 0 256k" "$T/k.qcow2" >/dev/null
expect_rc 0 "$IMG" check "$T/k.qcow2" || fail "check clean"
l1=$(rd64 "$T/k.qcow2" 40); l2=$(( $(rd64 "$T/k.qcow2" "$l1") & 0x00fffffffffffe00 ))
cp "$T/k.qcow2" "$T/leak.qcow2"; wr64 "$T/leak.qcow2" $((l2 + 8)) 0     # drop a reference: leak
expect_rc 3 qemu-img check "$T/leak.qcow2" || fail "qemu sees a leak (test setup)"
expect_rc 3 "$IMG" check "$T/leak.qcow2" || fail "check leak -> 3"
grep -q 'leaked clusters were found' "$T/out" || fail "leak message"
"$IMG" check --output=json "$T/leak.qcow2" | grep -q '"leaks": 1' || fail "json leaks"
expect_rc 0 "$IMG" check -r leaks "$T/leak.qcow2" || fail "check -r leaks -> 0"
expect_rc 0 qemu-img check "$T/leak.qcow2" || fail "qemu agrees the leak is fixed"
cp "$T/k.qcow2" "$T/bad.qcow2"
d0=$(( $(rd64 "$T/bad.qcow2" "$l2") & 0x00fffffffffffe00 ))
wr64 "$T/bad.qcow2" $((l2 + 8)) $(( d0 | (1 << 63) ))   # two L2 entries share one cluster
expect_rc 2 qemu-img check "$T/bad.qcow2" || fail "qemu sees corruption (test setup)"
expect_rc 2 "$IMG" check "$T/bad.qcow2" || fail "check corruption -> 2"
"$IMG" check --output=json "$T/bad.qcow2" | grep -q '"corruptions": [1-9]' || fail "json corruptions"
expect_rc 63 "$IMG" check "$T/a.raw" || expect_rc 0 "$IMG" check "$T/a.raw" || fail "check raw"
ok check
finish
