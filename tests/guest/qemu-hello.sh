#!/usr/bin/env bash
# guest-qemu-hello: the guest boots on QEMU's virt board with Debian's OpenSBI, /init
# runs the "hello" guest test with its arguments, and the guest powers itself off.
. "$(dirname "$0")/boot-qemu.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
guest_boot hello "a1,b2" 300 "$log" || rc=$?
fail=0
check() { grep -qE "$1" "$log" || { echo "FAIL: console lacks /$1/ ($2)"; fail=1; }; }
[ "$rc" -eq 0 ] || { echo "FAIL: QEMU exited with $rc (124 = timeout: no poweroff)"; fail=1; }
check '^RINGVM-BOOT-OK 6\.1\.' "kernel booted and /init ran"
check '^RINGVM-RUN-BEGIN hello' "ringvm.run parsed"
check 'args: a1 b2' "ringvm.args passed with commas as spaces"
check '^RINGVM-HELLO-OK' "hello test ran"
check '^RINGVM-RUN-END hello rc=0' "end marker with exit status"
check 'ttyS0 at MMIO 0x10000000' "16550A UART probed from the device tree"
if [ "$fail" -ne 0 ]; then
	echo "---- console ----"; tail -n 60 "$log"
	exit 1
fi
echo "PASS: hello marker seen, QEMU powered off"
