#!/usr/bin/env bash
# console-tty.sh - the stdio console on a terminal (a pty): raw mode while
# the guest runs, C-a h prints the escape help, C-a C-a sends one C-a to the
# guest, C-a x quits with status 0, and the terminal's modes are restored
# afterwards - also when ringvm ends on SIGTERM; the same with -serial
# mon:stdio (escapes handled by the chardev mux).
set -u
vm="$RINGVM_BUILD/ringvm"
gdir="$RINGVM_SRC/tests/hw/guest"
cc=$(command -v riscv64-unknown-elf-gcc || command -v riscv64-linux-gnu-gcc) ||
	{ echo "SKIP: no riscv64 cross compiler"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cc" -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -mcmodel=medany \
	-Wl,--no-warn-rwx-segments -T "$gdir/link.ld" -o "$tmp/echo.elf" "$gdir/virt-smoke.S" ||
	{ echo "FAIL: build"; exit 1; }

python3 - "$vm" "$tmp/echo.elf" <<'PY'
import os, pty, select, signal, sys, termios, time
vm, elf = sys.argv[1], sys.argv[2]
fails = []

def run(action, extra=()):
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.execv(vm, [vm, "-m", "64M", "-bios", "none", "-kernel", elf, "-nographic"] + list(extra))
    out = b""
    def read_until(pat, secs=20):
        nonlocal out
        end = time.monotonic() + secs
        while pat not in out and time.monotonic() < end:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    break
        return pat in out
    if not read_until(b"timer ok"):
        fails.append("guest did not start: %r" % out)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return
    during = termios.tcgetattr(slave)
    if during[3] & termios.ICANON or during[3] & termios.ECHO:
        fails.append("terminal not in raw mode while running")
    rc = action(master, read_until, pid)
    _, st = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(st)
    after = termios.tcgetattr(slave)
    if after != before:
        fails.append("terminal modes not restored (%s)" % action.__name__)
    if code != rc:
        fails.append("%s: exit %d, want %d; output %r" % (action.__name__, code, rc, out))
    os.close(master)
    os.close(slave)

def escapes(master, read_until, pid):
    os.write(master, b"\x01h")
    if not read_until(b"quit ringvm"):
        fails.append("C-a h printed no help")
    os.write(master, b"a\x01\x01b")
    if not read_until(b"a\x01b"):
        fails.append("C-a C-a did not reach the guest as one C-a")
    os.write(master, b"\x01x")
    return 0

def sigterm(master, read_until, pid):
    os.kill(pid, signal.SIGTERM)
    return 128 + 15

run(escapes)
run(sigterm)
run(escapes, ["-serial", "mon:stdio"])  # the same keys through the mux
if fails:
    print("FAIL:\n  " + "\n  ".join(fails))
    sys.exit(1)
print("ok: raw mode, C-a h / C-a C-a / C-a x, terminal restored after quit and SIGTERM")
PY
