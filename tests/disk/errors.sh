#!/usr/bin/env bash
# disk-errors: bad disk options end with exit 1 and one "ringvm: " sentence:
# format mismatch, missing file, locked image, read-only file asked
# read-write, bad -device references.
set -u
vm="$RINGVM_BUILD/ringvm"
tmp=$(mktemp -d)
qpid=
trap '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
fails=0
head -c 4096 /dev/zero >"$tmp/k"     # a -kernel that is never run
truncate -s 1M "$tmp/raw.img"
A=(-bios none -kernel "$tmp/k")

expect_error() { # expect_error WHAT [runner] args...
	local what=$1; shift
	timeout 20 "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -q '^ringvm: ' "$tmp/err" ||
	   ! grep -qi -- "$what" "$tmp/err"; then
		echo "FAIL: $* -> rc=$rc: $(cat "$tmp/err")"; fails=$((fails + 1))
	else
		echo "ok: $(cat "$tmp/err")"
	fi
}
expect_error "not a qcow2 image" "$vm" "${A[@]}" -drive file="$tmp/raw.img",format=qcow2
expect_error "No such file" "$vm" "${A[@]}" -drive file="$tmp/nope.img"
expect_error "no -drive with id=x" "$vm" "${A[@]}" -device virtio-blk-device,drive=x
expect_error "if=none" "$vm" "${A[@]}" -drive file="$tmp/raw.img",id=d0 \
	-device virtio-blk-device,drive=d0
expect_error "virtio-gpu-device" "$vm" "${A[@]}" -device virtio-gpu-device
expect_error "format" "$vm" "${A[@]}" -drive file="$tmp/raw.img",format=vmdk
expect_error "at most 8 drives" "$vm" "${A[@]}" $(for i in 1 2 3 4 5 6 7 8 9; do
	echo -drive file="$tmp/raw.img",format=raw,readonly=on; done)
if command -v setpriv >/dev/null; then
	chmod 444 "$tmp/raw.img"; chmod 644 "$tmp/k"
	expect_error "raw.img" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$vm" "${A[@]}" -drive file="$tmp/raw.img",format=raw
	chmod 644 "$tmp/raw.img"
fi
if command -v qemu-io >/dev/null; then
	qemu-io -f raw -c "sleep 20000" "$tmp/raw.img" >/dev/null 2>&1 &
	qpid=$!
	sleep 1
	expect_error "locked" "$vm" "${A[@]}" -drive file="$tmp/raw.img",format=raw
fi
[ "$fails" -eq 0 ] && echo PASS || exit 1
