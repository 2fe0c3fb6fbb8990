#!/usr/bin/env bash
# wfi-halt-poll.sh - WFI halt-polling (RINGVM_HALT_POLL_NS, src/hw/virt.c)
# keeps the machine's interrupt paths intact: the bare-metal suite (a
# CLINT timer and UART RX interrupts through the PLIC end WFI, resets,
# poweroff) passes with a 200 us poll window; a malformed value gets one
# warning line and the run goes on with the default.
set -u
vm="$RINGVM_BUILD/ringvm"
gdir="$RINGVM_SRC/tests/hw/guest"
cc=$(command -v riscv64-unknown-elf-gcc || command -v riscv64-linux-gnu-gcc) ||
	{ echo "SKIP: no riscv64 cross compiler"; exit 77; }
fails=0
RINGVM_HALT_POLL_NS=200000 bash "$RINGVM_SRC/tests/hw/boot-baremetal.sh" ||
	{ echo "FAIL: bare-metal suite with halt-polling"; fails=$((fails + 1)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cc" -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -mcmodel=medany \
	-Wl,--no-warn-rwx-segments -T "$gdir/link.ld" -o "$tmp/reset.elf" "$gdir/reset.S" ||
	{ echo "FAIL: cannot build reset"; exit 1; }
out=$(RINGVM_HALT_POLL_NS=12abc timeout 30 "$vm" -m 16M -bios none -kernel "$tmp/reset.elf" \
	-nographic </dev/null 2>"$tmp/err")
rc=$?
if [ "$rc" -ne 0 ] || [ "$out" != $'boot 1\nboot 2\nboot 3' ] ||
	[ "$(grep -c 'RINGVM_HALT_POLL_NS=12abc is not a number' "$tmp/err")" -ne 1 ]; then
	echo "FAIL bad value: rc=$rc out='$out' err='$(cat "$tmp/err")'"
	fails=$((fails + 1))
else
	echo "ok: a malformed RINGVM_HALT_POLL_NS is reported once and ignored"
fi
[ "$fails" -eq 0 ]
