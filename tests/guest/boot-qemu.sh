# tests/guest/boot-qemu.sh - sourced by the guest tests: builds (or takes from the
# cache) the test guest and boots it under Debian's qemu-system-riscv64.
# guest_boot RUN ARGS TIMEOUT LOG: boots (firmware: $FW, default fw_jump; harts:
# $SMP, default 2) with ringvm.run=RUN, leaves the console output in LOG and
# returns QEMU's exit status (124 on timeout).
set -euo pipefail
src=${RINGVM_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

if ! command -v qemu-system-riscv64 >/dev/null; then
	echo "SKIP: qemu-system-riscv64 is not installed (apt-get install qemu-system-misc)"
	exit 77
fi
RINGVM_SRC=$src . "$src/tests/lib/guest.sh"
RINGVM_SRC=$src guest_find
echo "guest artifacts: $guest"

# Debian's OpenSBI (package opensbi): FW=fw_jump or fw_dynamic; QEMU's bundled
# copy ("default") only if the package is missing.
guest_bios() {
	local f=/usr/lib/riscv64-linux-gnu/opensbi/generic/${FW:-fw_jump}.bin
	if [ -f "$f" ]; then echo "$f"; else echo default; fi
}

guest_boot() {
	local run=$1 args=$2 limit=$3 log=$4 append="console=ttyS0 ringvm.run=$1"
	[ -z "$args" ] || append="$append ringvm.args=$args"
	set +e
	timeout "$limit" qemu-system-riscv64 -M virt -m 256M -smp "${SMP:-2}" -nographic -no-reboot \
		-bios "$(guest_bios)" -kernel "$guest/Image" -initrd "$guest/initramfs.cpio.gz" \
		-append "$append" </dev/null >"$log" 2>&1
	local rc=$?
	set -e
	return $rc
}
