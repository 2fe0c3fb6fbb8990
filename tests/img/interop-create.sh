#!/usr/bin/env bash
# interop-create.sh - every kind of image ringvm-img creates passes
# `qemu-img check` and `ringvm-img check`, and qemu-img reads back the
# properties that were asked for.
. "$(dirname "$0")/lib.sh" || exit 1
need_qemu

"$IMG" create -q -f raw "$T/base.raw" 8M || fail "create raw base"
qemu-img create -q -f qcow2 "$T/base.qcow2" 8M || fail "qemu-img create base"

n=0
while read -r opts; do
	[ -z "$opts" ] && continue
	n=$((n + 1))
	f="$T/img$n.qcow2"
	if ! "$IMG" create -q -f qcow2 -o "$opts" "$f" 8M 2>"$T/err"; then
		fail "create -o $opts: $(cat "$T/err")"; continue
	fi
	expect_rc 0 qemu-img check "$f" || { fail "qemu-img check -o $opts"; continue; }
	expect_rc 0 "$IMG" check "$f" || fail "ringvm-img check -o $opts"
	qemu-img info --output=json "$f" >"$T/info.json"
	for kv in $(echo "$opts" | tr ',' ' '); do
		k=${kv%%=*}; v=${kv#*=}
		case $k in
		cluster_size) want="\"cluster-size\": $(numfmt --from=iec "$(echo "$v" | tr a-z A-Z)")" ;;
		refcount_bits) want="\"refcount-bits\": $v" ;;
		compat) want="\"compat\": \"$v\"" ;;
		lazy_refcounts) [ "$v" = on ] && want='"lazy-refcounts": true' || want='"lazy-refcounts": false' ;;
		compression_type) want="\"compression-type\": \"$v\"" ;;
		*) continue ;;
		esac
		grep -qF "$want" "$T/info.json" || fail "-o $opts: qemu-img info lacks $want"
	done
	# Data written by qemu-io into the new image must keep it consistent.
	qemu-io -c "write -P 0x5a 1M 300k" -c "write -P 0x33 7M 1M" "$f" >/dev/null || fail "qemu-io write -o $opts"
	expect_rc 0 qemu-img check "$f" || fail "qemu-img check after qemu-io writes, -o $opts"
	expect_rc 0 "$IMG" check "$f" || fail "ringvm-img check after qemu-io writes, -o $opts"
	ok "-o $opts"
done <<'LIST'
compat=0.10
compat=1.1
compat=0.10,cluster_size=512
compat=0.10,cluster_size=2M
cluster_size=512
cluster_size=1k
cluster_size=4k
cluster_size=64k
cluster_size=256k
cluster_size=2M
refcount_bits=1
refcount_bits=2
refcount_bits=4
refcount_bits=8
refcount_bits=16
refcount_bits=32
refcount_bits=64
refcount_bits=1,cluster_size=512
refcount_bits=64,cluster_size=2M
lazy_refcounts=on
lazy_refcounts=on,refcount_bits=8
preallocation=off
preallocation=metadata
preallocation=falloc
preallocation=full
preallocation=metadata,cluster_size=512
preallocation=full,cluster_size=2M,refcount_bits=1
preallocation=metadata,compat=0.10
compression_type=zlib
compression_type=zstd
backing_file=base.raw,backing_fmt=raw
backing_file=base.qcow2,backing_fmt=qcow2
backing_file=base.qcow2,backing_fmt=qcow2,cluster_size=4k,refcount_bits=2
backing_file=base.raw,backing_fmt=raw,compat=0.10
LIST

# -b/-F spelling, size taken from the backing file, size suffixes
"$IMG" create -q -f qcow2 -b base.qcow2 -F qcow2 "$T/ov.qcow2" || fail "create -b without size"
[ "$(qemu-img info --output=json "$T/ov.qcow2" | grep -c '"virtual-size": 8388608')" = 1 ] || fail "size from backing"
grep -q base.qcow2 <(qemu-img info "$T/ov.qcow2") || fail "backing name recorded"
for s in 1k 1K 3M 2G 1T 1P 1.5G; do
	"$IMG" create -q -f qcow2 "$T/s.qcow2" "$s" || { fail "size $s"; continue; }
	want=$(numfmt --from=iec "$(echo $s | tr a-z A-Z)")
	got=$(qemu-img info --output=json "$T/s.qcow2" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')
	[ "$got" = "$want" ] || fail "size $s: qemu-img says $got, wanted $want"
	expect_rc 0 qemu-img check "$T/s.qcow2" || fail "check size $s"
done
"$IMG" create -q -f raw "$T/r.raw" 5M && [ "$(stat -c %s "$T/r.raw")" = 5242880 ] || fail "raw size"
"$IMG" create -q -f raw -o preallocation=full "$T/rf.raw" 1M && [ "$(du -k "$T/rf.raw" | cut -f1)" -ge 1024 ] || fail "raw full prealloc"
[ "$("$IMG" create -q -f raw "$T/q.raw" 1M)" = "" ] || fail "-q prints nothing"
finish
