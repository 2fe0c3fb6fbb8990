#!/usr/bin/env bash
# guest-qemu-shell: without ringvm.run the guest offers an interactive shell on the
# serial console (controlling tty, "ringvm# " prompt); commands typed after
# RINGVM-SHELL-READY run, and `exit` powers the guest off.
. "$(dirname "$0")/boot-qemu.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
coproc QEMU { timeout 300 qemu-system-riscv64 -M virt -m 256M -nographic -no-reboot \
	-bios "$(guest_bios)" -kernel "$guest/Image" -initrd "$guest/initramfs.cpio.gz" \
	-append "console=ttyS0" 2>&1; }
# Bash unsets QEMU/QEMU_PID when it reaps the coprocess: keep our own copies.
qpid=$QEMU_PID
exec {qout}<&"${QEMU[0]}" {qin}>&"${QEMU[1]}"
ready=0
while IFS= read -r line <&"$qout"; do
	printf '%s\n' "$line" >>"$log"
	case "$line" in
	RINGVM-SHELL-READY*)
		ready=1
		# The shell reads from the tty once it is up; typed-ahead input waits in the UART.
		printf 'echo "SUM=$((6*7))"; tty; exit\n' >&"$qin" ;;
	esac
done
rc=0
wait "$qpid" || rc=$?
fail=0
[ "$ready" -eq 1 ] || { echo "FAIL: no RINGVM-SHELL-READY"; fail=1; }
[ "$rc" -eq 0 ] || { echo "FAIL: QEMU exited with $rc (124 = timeout: exit did not power off)"; fail=1; }
grep -q '^SUM=42' "$log" || { echo "FAIL: the command typed on the console did not run"; fail=1; }
grep -q '^/dev/ttyS0' "$log" || { echo "FAIL: the shell has no controlling tty on ttyS0"; fail=1; }
grep -q 'ringvm# ' "$log" || { echo "FAIL: no 'ringvm# ' prompt"; fail=1; }
if [ "$fail" -ne 0 ]; then
	echo "---- console ----"; tail -n 30 "$log" | tr -d '\r'
	exit 1
fi
echo "PASS: interactive shell on ttyS0, exit powered off"
