#!/usr/bin/env bash
# gen-corpus.sh OUTDIR - seed corpus for fuzz-qcow2: small qcow2 images of
# several shapes made by qemu-img/qemu-io (nothing if they are absent).
set -u
out=$1
mkdir -p "$out"
command -v qemu-img >/dev/null || exit 0
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
n=0
mk() { n=$((n + 1)); cp "$1" "$out/seed-$n.qcow2"; }
for o in compat=0.10 compat=1.1 cluster_size=512 cluster_size=4k,refcount_bits=1 \
	 refcount_bits=64,cluster_size=1k lazy_refcounts=on; do
	qemu-img create -q -f qcow2 -o "$o" "$t/a.qcow2" 1M
	mk "$t/a.qcow2"
	qemu-io -c "write -P 7 0 4k" -c "write -z 64k 4k" -c "write -P 9 700k 3k" "$t/a.qcow2" >/dev/null 2>&1
	mk "$t/a.qcow2"
done
qemu-img create -q -f qcow2 -o cluster_size=4k "$t/s.qcow2" 256k
qemu-io -c "write -P 1 0 8k" "$t/s.qcow2" >/dev/null 2>&1
qemu-img snapshot -c one "$t/s.qcow2"
qemu-io -c "write -P 2 4k 8k" "$t/s.qcow2" >/dev/null 2>&1
qemu-img snapshot -c two "$t/s.qcow2"
mk "$t/s.qcow2"
head -c 65536 /dev/zero | tr '\0' 'x' >"$t/r.raw"
qemu-img convert -c -O qcow2 -o cluster_size=4k "$t/r.raw" "$t/c.qcow2" && mk "$t/c.qcow2"
qemu-img create -q -f qcow2 -u -b base.qcow2 -F qcow2 "$t/b.qcow2" 64k && mk "$t/b.qcow2"
exit 0
