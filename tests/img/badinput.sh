#!/usr/bin/env bash
# badinput.sh - corrupt images (crafted here from qemu-img-made ones) give
# a clear error and a non-zero exit, never a crash or hang, and read-only
# commands leave the image bytes unchanged.
. "$(dirname "$0")/lib.sh" || exit 1
need_qemu

qemu-img create -q -f qcow2 "$T/good.qcow2" 16M
qemu-io -c "write -P 1 0 256k" -c "write -P 2 5M 64k" "$T/good.qcow2" >/dev/null
qemu-img snapshot -c s1 "$T/good.qcow2"
qemu-io -c "write -P 3 64k 64k" "$T/good.qcow2" >/dev/null
g="$T/good.qcow2"
l1=$(rd64 "$g" 40)
l2=$(( $(rd64 "$g" "$l1") & 0x00fffffffffffe00 ))
d0=$(( $(rd64 "$g" "$l2") & 0x00fffffffffffe00 ))
rt=$(rd64 "$g" 48)
rb=$(( $(rd64 "$g" "$rt") ))
eof=$(stat -c %s "$g")

mk() { cp "$g" "$T/$1.qcow2"; }
# name: how it is made
mk trunc-header; truncate -s 50 "$T/trunc-header.qcow2"
mk trunc-l1; truncate -s $((l1 + 4)) "$T/trunc-l1.qcow2"
mk l1-past-eof; wr64 "$T/l1-past-eof.qcow2" "$l1" $(( (1 << 63) | (eof * 64) ))
mk l1-misaligned; wr64 "$T/l1-misaligned.qcow2" "$l1" $(( (1 << 63) | (l2 + 512) ))
mk l2-past-eof; wr64 "$T/l2-past-eof.qcow2" "$l2" $(( (1 << 63) | (eof * 64) ))
mk l2-misaligned; wr64 "$T/l2-misaligned.qcow2" "$l2" $(( (1 << 63) | (d0 + 100) ))
mk l1-table-past-eof; wr64 "$T/l1-table-past-eof.qcow2" 40 $(( eof * 1024 ))
mk l1-size-absurd; wr32 "$T/l1-size-absurd.qcow2" 36 $(( 0x7fffffff ))
mk size-absurd; wr64 "$T/size-absurd.qcow2" 24 $(( 0x7fffffffffffffff ))
mk cluster-bits-40; wr32 "$T/cluster-bits-40.qcow2" 20 40
mk cluster-bits-8; wr32 "$T/cluster-bits-8.qcow2" 20 8
mk refcount-order-7; wr32 "$T/refcount-order-7.qcow2" 96 7
mk rt-past-eof; wr64 "$T/rt-past-eof.qcow2" 48 $(( eof * 4096 ))
mk rt-clusters-absurd; wr32 "$T/rt-clusters-absurd.qcow2" 56 $(( 0x7fffffff ))
mk rb-past-eof; wr64 "$T/rb-past-eof.qcow2" "$rt" $(( eof * 4096 ))
mk snap-overlap-header; wr64 "$T/snap-overlap-header.qcow2" 64 0
mk snap-overlap-l1; wr64 "$T/snap-overlap-l1.qcow2" 64 "$l1"
mk snap-count-absurd; wr32 "$T/snap-count-absurd.qcow2" 60 $(( 0x7fffffff ))
mk header-length; wr32 "$T/header-length.qcow2" 100 $(( 0x100000 ))
mk incompat-unknown; wr64 "$T/incompat-unknown.qcow2" 72 $(( 1 << 40 ))
mk backing-name-past-eof; wr64 "$T/backing-name-past-eof.qcow2" 8 $(( eof * 8 )); wr32 "$T/backing-name-past-eof.qcow2" 16 200
mk refcount-zero; wr16 "$T/refcount-zero.qcow2" $(( rb + 2 * (d0 / 65536) )) 0
mk refcount-max; wr16 "$T/refcount-max.qcow2" $(( rb + 2 * (d0 / 65536) )) 65535
# backing loop: a -> b -> a
qemu-img create -q -f qcow2 -u -b loop-b.qcow2 -F qcow2 "$T/loop-a.qcow2" 1M
qemu-img create -q -f qcow2 -u -b loop-a.qcow2 -F qcow2 "$T/loop-b.qcow2" 1M
qemu-img create -q -f qcow2 -u -b loop-self.qcow2 -F qcow2 "$T/loop-self.qcow2" 1M

ro_cmds=(
	"info @" "info --backing-chain @" "info --output=json @" "check @" "check --output=json @"
	"map @" "map --output=json @" "compare @ @" "convert -O raw @ $T/out.raw" "snapshot -l @"
	"measure -O qcow2 @" "bench -c 64 -d 4 @"
)
for f in "$T"/*.qcow2; do
	name=$(basename "$f" .qcow2)
	[ "$name" = good ] && continue
	sum=$(md5sum <"$f")
	bad_exit=0
	for c in "${ro_cmds[@]}"; do
		args=${c//@/$f}
		timeout 30 "$IMG" $args >"$T/out" 2>"$T/err"; rc=$?
		if [ $rc -ge 124 ]; then
			fail "$name: '$c' crashed or hung (exit $rc): $(head -3 "$T/err")"
		elif grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$T/err"; then
			fail "$name: '$c' sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$T/err")"
		elif [ $rc -ne 0 ] && [ "${c%% *}" != compare ] && [ "${c%% *}" != check ] && ! grep -q '^ringvm-img: ' "$T/err"; then
			fail "$name: '$c' exit $rc without a 'ringvm-img:' sentence: $(head -2 "$T/err")"
		fi
		case $c in "check @") bad_exit=$rc ;; esac
		rm -f "$T/out.raw"
	done
	case $name in
	refcount-max) [ "$bad_exit" -ne 0 ] || fail "$name: check found nothing" ;;
	*) [ "$bad_exit" -ne 0 ] || fail "$name: check exit 0 on a corrupt image" ;;
	esac
	[ "$(md5sum <"$f")" = "$sum" ] || fail "$name: a read-only command modified the image"
	ok "$name (check exit $bad_exit)"
done

# Writes must refuse cleanly instead of wrapping a full refcount.
cp "$T/refcount-max.qcow2" "$T/rm.qcow2"
timeout 30 "$IMG" snapshot -c again "$T/rm.qcow2" >/dev/null 2>"$T/err"; rc=$?
[ $rc -lt 124 ] || fail "snapshot on a full refcount crashed ($rc)"
qemu-img check "$T/rm.qcow2" >/dev/null 2>&1; [ $? -ne 2 ] || fail "snapshot -c wrapped a refcount (qemu-img check finds corruption)"
finish
