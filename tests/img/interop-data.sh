#!/usr/bin/env bash
# interop-data.sh - data written by ringvm-img reads back identically
# through qemu-img/qemu-io, and images made by qemu-img (compressed,
# chains, snapshots, v2/v3, refcount widths) read and write correctly
# through ringvm-img and pass `ringvm-img check`.
. "$(dirname "$0")/lib.sh" || exit 1
need_qemu

# A 12 MiB raw file: random data with zero holes of various sizes.
raw="$T/src.raw"
rand_file "$raw" 12
dd if=/dev/zero of="$raw" bs=64k seek=3 count=5 conv=notrunc status=none
dd if=/dev/zero of="$raw" bs=1M seek=6 count=3 conv=notrunc status=none
dd if=/dev/zero of="$raw" bs=512 seek=9 count=1 conv=notrunc status=none

# 1. raw -> qcow2 by ringvm-img, read back by qemu.
# (small clusters with large writes: see interop-smallcluster.sh)
for o in "" "-o compat=0.10" "-o cluster_size=2M,refcount_bits=1" \
	 "-o cluster_size=64k,refcount_bits=64,lazy_refcounts=on" "-o preallocation=metadata"; do
	rm -f "$T/c.qcow2"
	"$IMG" convert -f raw -O qcow2 $o "$raw" "$T/c.qcow2" || { fail "convert $o"; continue; }
	expect_rc 0 qemu-img check "$T/c.qcow2" || fail "qemu-img check after convert $o"
	qemu-img convert -f qcow2 -O raw "$T/c.qcow2" "$T/back.raw" && cmp -s "$raw" "$T/back.raw" ||
		fail "qemu-img reads back what ringvm-img convert $o wrote"
	ok "convert $o"
done
# sparse detection: zero holes are not allocated (default -S 4k), -S 0 allocates all
"$IMG" convert -O qcow2 "$raw" "$T/sp.qcow2" && "$IMG" convert -S 0 -O qcow2 "$raw" "$T/full.qcow2" || fail "convert -S"
a=$(qemu-img check --output=json "$T/sp.qcow2" | sed -n 's/.*"allocated-clusters": \([0-9]*\).*/\1/p')
b=$(qemu-img check --output=json "$T/full.qcow2" | sed -n 's/.*"allocated-clusters": \([0-9]*\).*/\1/p')
[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] && ok "sparse: $a < $b clusters" || fail "sparse detection ($a vs $b clusters)"
# compressed output (-c): qemu-img checks and reads it
# (random data does not compress; add text so some clusters do)
cp "$raw" "$T/text.raw"
yes 'ringvm compressible text' | head -c 2M | dd of="$T/text.raw" bs=1M seek=9 conv=notrunc status=none
"$IMG" convert -c -O qcow2 "$T/text.raw" "$T/cz.qcow2" || fail "convert -c"
expect_rc 0 qemu-img check "$T/cz.qcow2" || fail "qemu-img check of convert -c output"
expect_rc 0 qemu-img compare -f raw "$T/text.raw" "$T/cz.qcow2" || fail "convert -c content"
qemu-img check --output=json "$T/cz.qcow2" | grep -q '"compressed-clusters": [1-9]' || fail "convert -c wrote no compressed cluster"
# qcow2 -> raw by ringvm-img, and the -W / -m / -p / -t / -T options
"$IMG" convert -W -m 16 -p -t none -T none -O raw "$T/c.qcow2" "$T/r2.raw" && cmp -s "$raw" "$T/r2.raw" || fail "convert qcow2->raw"
# -n into an existing (qemu-made) image
qemu-img create -q -f qcow2 "$T/exist.qcow2" 12M
qemu-io -c "write -P 0x77 0 12M" "$T/exist.qcow2" >/dev/null
"$IMG" convert -n -O qcow2 "$raw" "$T/exist.qcow2" || fail "convert -n"
expect_rc 0 qemu-img compare -f raw -F qcow2 "$raw" "$T/exist.qcow2" || fail "convert -n must overwrite old data, zeroes included"

# 2. qemu-made images, each read by ringvm-img
qemu-img convert -c -O qcow2 "$raw" "$T/z.qcow2"
qemu-img convert -c -O qcow2 -o compression_type=zstd "$raw" "$T/zstd.qcow2"
for f in z zstd; do
	expect_rc 0 "$IMG" check "$T/$f.qcow2" || fail "ringvm-img check compressed $f"
	"$IMG" convert -O raw "$T/$f.qcow2" "$T/zr.raw" && cmp -s "$raw" "$T/zr.raw" || fail "read compressed ($f)"
done
# chain: base <- mid <- top, each with its own writes
qemu-img create -q -f qcow2 "$T/b.qcow2" 12M
qemu-io -c "write -P 0x11 0 4M" -c "write -P 0x12 8M 64k" "$T/b.qcow2" >/dev/null
qemu-img create -q -f qcow2 -b b.qcow2 -F qcow2 "$T/m.qcow2"
qemu-io -c "write -P 0x21 1M 1M" -c "write -z 3M 512k" "$T/m.qcow2" >/dev/null
qemu-img create -q -f qcow2 -o cluster_size=4k -b m.qcow2 -F qcow2 "$T/t.qcow2"
qemu-io -c "write -P 0x31 1536k 8k" -c "write -P 0x32 11M 1M" "$T/t.qcow2" >/dev/null
qemu-img convert -O raw "$T/t.qcow2" "$T/chain-q.raw"
"$IMG" convert -O raw "$T/t.qcow2" "$T/chain-r.raw" && cmp -s "$T/chain-q.raw" "$T/chain-r.raw" || fail "chain flattened"
"$IMG" convert -O qcow2 "$T/t.qcow2" "$T/flat.qcow2" && expect_rc 0 qemu-img compare "$T/t.qcow2" "$T/flat.qcow2" || fail "chain -> qcow2"
# -B: only the top layer is copied; the output keeps reading through m.qcow2
"$IMG" convert -O qcow2 -B m.qcow2 -F qcow2 "$T/t.qcow2" "$T/tb.qcow2" || fail "convert -B"
expect_rc 0 qemu-img compare "$T/t.qcow2" "$T/tb.qcow2" || fail "convert -B content"
grep -q 'backing file: m.qcow2' <(qemu-img info "$T/tb.qcow2") || fail "convert -B backing recorded"
# v2 and refcount widths: write into qemu images through ringvm-img
for o in compat=0.10 refcount_bits=1 refcount_bits=8 refcount_bits=64 cluster_size=4k; do
	qemu-img create -q -f qcow2 -o $o "$T/w.qcow2" 12M
	qemu-io -c "write -P 0x44 2M 3M" "$T/w.qcow2" >/dev/null
	"$IMG" convert -n "$raw" "$T/w.qcow2" || fail "write into $o image"
	expect_rc 0 qemu-img check "$T/w.qcow2" || fail "qemu-img check after ringvm-img wrote into $o image"
	expect_rc 0 "$IMG" check "$T/w.qcow2" || fail "ringvm-img check of $o image"
	expect_rc 0 qemu-img compare -f raw "$raw" "$T/w.qcow2" || fail "content of $o image"
	ok "write into qemu-made $o image"
done
# pattern writes through bench, verified with qemu-io read -P
qemu-img create -q -f qcow2 "$T/p.qcow2" 4M
"$IMG" bench -q -w -c 16 -d 4 -s 64k -S 128k --pattern=0xab "$T/p.qcow2" || fail "bench -w"
qemu-io -c "read -P 0xab 0 64k" -c "read -P 0 64k 64k" -c "read -P 0xab 1920k 64k" "$T/p.qcow2" | grep -q 'Pattern verification failed' && fail "bench pattern"
expect_rc 0 qemu-img check "$T/p.qcow2" || fail "check after bench -w"

# 3. snapshots made by qemu-img: list agrees, apply restores
qemu-img create -q -f qcow2 "$T/s.qcow2" 4M
qemu-io -c "write -P 1 0 1M" "$T/s.qcow2" >/dev/null; qemu-img snapshot -c one "$T/s.qcow2"
qemu-img convert -O raw "$T/s.qcow2" "$T/one.raw"
qemu-io -c "write -P 2 512k 1M" "$T/s.qcow2" >/dev/null; qemu-img snapshot -c two "$T/s.qcow2"
qemu-io -c "write -P 3 3M 1M" "$T/s.qcow2" >/dev/null; qemu-img snapshot -c three "$T/s.qcow2"
diff <(qemu-img snapshot -l "$T/s.qcow2") <("$IMG" snapshot -l "$T/s.qcow2") >"$T/d" || { fail "snapshot -l differs"; cat "$T/d"; }
"$IMG" snapshot -a one "$T/s.qcow2" || fail "snapshot -a"
qemu-img convert -O raw "$T/s.qcow2" "$T/now.raw" && cmp -s "$T/now.raw" "$T/one.raw" || fail "snapshot -a restores"
"$IMG" snapshot -d two "$T/s.qcow2" || fail "snapshot -d"
"$IMG" snapshot -c four "$T/s.qcow2" || fail "snapshot -c"
expect_rc 0 qemu-img check "$T/s.qcow2" || fail "qemu-img check after snapshot ops"
diff <(qemu-img snapshot -l "$T/s.qcow2") <("$IMG" snapshot -l "$T/s.qcow2") >/dev/null || fail "snapshot -l after ops"
qemu-img snapshot -l "$T/s.qcow2" | grep -q ' two ' && fail "deleted snapshot still listed"
qemu-img snapshot -a four "$T/s.qcow2" && qemu-img convert -O raw "$T/s.qcow2" "$T/now.raw" && cmp -s "$T/now.raw" "$T/one.raw" || fail "qemu applies our snapshot"

# 4. info --output=json agrees with qemu-img where fields overlap
keys='"(virtual-size|cluster-size|format|compat|refcount-bits|lazy-refcounts|backing-filename|backing-filename-format|full-backing-filename|corrupt|compression-type|extended-l2|dirty-flag|name|id|vm-state-size|date-sec|date-nsec)"'
for f in t.qcow2 s.qcow2 w.qcow2 z.qcow2 src.raw; do
	for chain in "" --backing-chain; do
		diff <(qemu-img info $chain --output=json "$T/$f" | grep -E "$keys" | sed 's/,$//' | sort) \
		     <("$IMG" info $chain --output=json "$T/$f" | grep -E "$keys" | sed 's/,$//' | sort) >"$T/d" ||
			{ fail "info $chain --output=json $f differs"; cat "$T/d"; }
	done
	"$IMG" info "$T/$f" >/dev/null || fail "info $f"
done
# human info: the lines other than disk size are the same
diff <(qemu-img info "$T/t.qcow2" | grep -v '^disk size') <("$IMG" info "$T/t.qcow2" | grep -v '^disk size') || fail "human info"
finish
