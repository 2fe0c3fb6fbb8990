#!/usr/bin/env bash
# boot-baremetal.sh - whole-machine test with the real CPU: bare-metal
# programs (built here with the RISC-V cross compiler) run with -bios none.
#  1. virt-smoke: boot registers, CLINT timer interrupt out of WFI (reactor
#     timer), console input echoed through UART RX interrupts and the PLIC,
#     poweroff with a chosen status (42).
#  2. reset: guest resets twice then powers off (status 0); with -no-reboot
#     the first reset ends the run.
#  3. the UART on another chardev: -serial file:PATH and -chardev + chardev:ID
#     get every byte (flushed at poweroff), stdout gets none.
#  4. -mem-prealloc: the reset program runs the same with all RAM backed
#     first (tests/hw/mem-prealloc.c checks the backing itself).
set -u
vm="$RINGVM_BUILD/ringvm"
gdir="$RINGVM_SRC/tests/hw/guest"
cc=$(command -v riscv64-unknown-elf-gcc || command -v riscv64-linux-gnu-gcc) ||
	{ echo "SKIP: no riscv64 cross compiler"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in virt-smoke reset; do
	"$cc" -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -mcmodel=medany \
		-Wl,--no-warn-rwx-segments -T "$gdir/link.ld" -o "$tmp/$p.elf" "$gdir/$p.S" ||
		{ echo "FAIL: cannot build $p"; exit 1; }
done
fails=0

# 1. Input is sent once the guest says its timer works; the guest turned
#    its FIFO on before printing anything (a later FIFO enable would clear
#    typed input, as on hardware).
python3 - "$vm" "$tmp/virt-smoke.elf" <<'PY' || fails=$((fails + 1))
import os, select, subprocess, sys, time
vm, elf = sys.argv[1], sys.argv[2]
p = subprocess.Popen([vm, "-M", "virt", "-m", "64M", "-bios", "none", "-kernel", elf,
                      "-nographic"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
out, sent, deadline = b"", False, time.monotonic() + 30
while time.monotonic() < deadline:
    r, _, _ = select.select([p.stdout], [], [], 0.5)
    if r:
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            break
        out += chunk
    if not sent and b"timer ok\n" in out:
        p.stdin.write(b"abc q")
        p.stdin.flush()
        sent = True
else:
    p.kill()
rc = p.wait()
want = b"hello\nfdt ok\ntimer ok\nabc q\nbye\n"
if out != want or rc != 42:
    print("FAIL virt-smoke: rc=%d output=%r want %r" % (rc, out, want))
    sys.exit(1)
print("ok: virt-smoke printed, took a timer and UART interrupts, exit 42")
PY

# 2. Reset path.
out=$(timeout 30 "$vm" -m 16M -bios none -kernel "$tmp/reset.elf" -nographic </dev/null)
rc=$?
if [ "$rc" -ne 0 ] || [ "$out" != $'boot 1\nboot 2\nboot 3' ]; then
	echo "FAIL reset: rc=$rc output: $out"
	fails=$((fails + 1))
else
	echo "ok: two resets, then poweroff"
fi
out=$(timeout 30 "$vm" -m 16M -bios none -kernel "$tmp/reset.elf" -nographic -no-reboot </dev/null)
rc=$?
if [ "$rc" -ne 0 ] || [ "$out" != "boot 1" ]; then
	echo "FAIL -no-reboot: rc=$rc output: $out"
	fails=$((fails + 1))
else
	echo "ok: -no-reboot ends the run at the first reset"
fi

# 3. Other chardevs.
for n in 1 2; do
	log="$tmp/log$n"
	if [ "$n" = 1 ]; then opt="-serial file:$log"; else opt="-chardev file,id=c0,path=$log -serial chardev:c0"; fi
	# shellcheck disable=SC2086 # opt holds several words on purpose
	out=$(timeout 30 "$vm" -m 16M -bios none -kernel "$tmp/reset.elf" -nographic $opt </dev/null)
	rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$out" ] || [ "$(cat "$log" 2>/dev/null)" != $'boot 1\nboot 2\nboot 3' ]; then
		echo "FAIL $opt: rc=$rc stdout='$out' log='$(cat "$log" 2>/dev/null)'"
		fails=$((fails + 1))
	else
		echo "ok: $opt"
	fi
done

# 4. -mem-prealloc.
out=$(timeout 30 "$vm" -m 16M -mem-prealloc -bios none -kernel "$tmp/reset.elf" -nographic </dev/null)
rc=$?
if [ "$rc" -ne 0 ] || [ "$out" != $'boot 1\nboot 2\nboot 3' ]; then
	echo "FAIL -mem-prealloc: rc=$rc output: $out"
	fails=$((fails + 1))
else
	echo "ok: -mem-prealloc"
fi
[ "$fails" -eq 0 ]
