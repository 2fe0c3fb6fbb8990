#!/usr/bin/env bash
# guest/run-qemu.sh [NAME [ARGS]] [-- QEMU-OPTIONS...] - boot the test guest under
# Debian's qemu-system-riscv64 the way the tests do: the reference invocation that
# ringvm is compared with. NAME/ARGS become ringvm.run=NAME ringvm.args=ARGS (no
# NAME: interactive shell; quit with `exit`). Environment: FW=fw_jump|fw_dynamic
# (Debian's opensbi package), SMP (default 1), MEM (default 256M).
# Example: guest/run-qemu.sh disk-io write,5 -- -drive file=d.img,format=raw,if=none,id=d0 \
#            -device virtio-blk-device,drive=d0
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run="" args=""
if [ $# -gt 0 ] && [ "$1" != -- ]; then run=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" != -- ]; then args=$1; shift; fi
[ $# -eq 0 ] || { [ "$1" = -- ] && shift; } ||
	{ echo "usage: run-qemu.sh [NAME [ARGS]] [-- QEMU-OPTIONS...]" >&2; exit 2; }
command -v qemu-system-riscv64 >/dev/null ||
	{ echo "run-qemu.sh: qemu-system-riscv64 is missing (apt-get install qemu-system-misc)" >&2; exit 1; }
guest=$("$here/build.sh")
bios=/usr/lib/riscv64-linux-gnu/opensbi/generic/${FW:-fw_jump}.bin
[ -f "$bios" ] || bios=default
append="console=ttyS0${run:+ ringvm.run=$run}${args:+ ringvm.args=$args}"
exec qemu-system-riscv64 -M virt -m "${MEM:-256M}" -smp "${SMP:-1}" -nographic -no-reboot \
	-bios "$bios" -kernel "$guest/Image" -initrd "$guest/initramfs.cpio.gz" \
	-append "$append" "$@"
