#!/usr/bin/env bash
# guest-boot-check.sh - Linux boots to init and runs the hello guest test
# under -accel jit,check=on: every translated block is re-run in the
# interpreter and compared, so any divergence (integer, FP, traps, MMU)
# ends the run with a "jit check:" report and exit status 3.
# Needs the test guest (guest/build.sh); else skips.
set -u
vm="$RINGVM_BUILD/ringvm"
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
[ -f "$fw" ] || { echo "SKIP: no OpenSBI ($fw)"; exit 77; }
guest=${RINGVM_GUEST:-}
if [ -z "$guest" ]; then
	[ -x "$RINGVM_SRC/guest/build.sh" ] || { echo "SKIP: no guest/build.sh"; exit 77; }
	guest=$("$RINGVM_SRC/guest/build.sh" | tail -n 1) || { echo "FAIL: guest build"; exit 1; }
fi
for f in Image initramfs.cpio.gz; do
	[ -f "$guest/$f" ] || { echo "SKIP: $guest/$f missing"; exit 77; }
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
timeout 600 "$vm" -accel jit,check=on -m 256M -nographic -bios "$fw" -kernel "$guest/Image" \
	-initrd "$guest/initramfs.cpio.gz" -append "console=ttyS0 quiet ringvm.run=hello" \
	</dev/null >"$log" 2>&1
rc=$?
if grep -q "jit check:" "$log" || [ $rc -ne 0 ] || ! grep -q RINGVM-HELLO-OK "$log"; then
	tail -n 40 "$log"
	echo "FAIL: check-mode boot (exit $rc)"
	exit 1
fi
echo "PASS: Linux booted and ran hello under jit,check=on without a divergence"
