#!/usr/bin/env bash
# guest-qemu-bench-cpu: the riscv64 benchmark kernels run in the guest under QEMU and
# every checksum matches the known answer (same results as the native build).
# One hart, as perf/guest-cpu runs QEMU: with -smp 2 QEMU 7.2 twice hung right
# after OpenSBI (fw_dynamic) on the loaded CI host and used the whole limit.
. "$(dirname "$0")/boot-qemu.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
SMP=1 FW=fw_dynamic guest_boot bench-cpu "" 300 "$log" || rc=$?
n=$(grep -c '^{"suite":"guest-cpu".*"check":"ok"}' "$log" || true)
if [ "$rc" -ne 0 ] || [ "$n" -ne 4 ] || ! grep -q '^RINGVM-RUN-END bench-cpu rc=0' "$log"; then
	echo "FAIL: QEMU rc=$rc, $n of 4 kernels with a correct checksum"
	tail -n 40 "$log"
	exit 1
fi
grep '^{"suite"' "$log"
echo "PASS: 4 benchmark kernels correct in the guest"
