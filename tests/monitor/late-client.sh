#!/usr/bin/env bash
# late-client.sh - a monitor client that connects after start-up gets the
# banner and a prompt, and so does each later client: -monitor
# unix:PATH,server,wait=off and -monitor tcp:127.0.0.1:PORT,server,nowait
# (two clients in turn, each runs "info status"; a line half typed by the
# first is not run for the second). On -serial mon:unix:PATH,server,wait=off
# the monitor is the mux's second port: the client sees the console first
# and gets the banner at Ctrl-A c. Each run ends with "quit" (exit 0).
# The kernel is a 4-byte flat payload ("j .": the hart spins, no output).
set -u
vm="$RINGVM_BUILD/ringvm"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '\x6f\x00\x00\x00' >"$tmp/k.bin"
exec timeout 100 python3 - "$vm" "$tmp" <<'PY'
import os, socket, subprocess, sys, time

vm, tmp = sys.argv[1], sys.argv[2]
fails = 0

def check(cond, what):
    global fails
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        fails += 1

def start(extra):
    return subprocess.Popen([vm, "-bios", "none", "-kernel", os.path.join(tmp, "k.bin")] + extra,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)

def connect(addr):
    fam = socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET
    for _ in range(200):
        s = socket.socket(fam)
        try:
            s.connect(addr)
            s.settimeout(10)
            return s
        except OSError:
            s.close()
            time.sleep(0.05)
    raise SystemExit("FAIL: cannot connect to %r" % (addr,))

def read_until(s, end, quiet=None):
    """Bytes up to `end`; with quiet=T, what arrives within T seconds."""
    buf = b""
    if quiet:
        s.settimeout(quiet)
    try:
        while not buf.endswith(end):
            d = s.recv(65536)
            if not d:
                break
            buf += d
    except socket.timeout:
        pass
    s.settimeout(10)
    return buf.decode("latin-1")

def quit_and_wait(s, p, what):
    s.sendall(b"quit\n")
    try:
        rc = p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    check(rc == 0, "%s: quit -> exit %d" % (what, rc))

def two_clients(addr, monitor, what):
    p = start(["-serial", "null", "-monitor", monitor])
    time.sleep(1.0)  # the machine runs before anyone connects
    check(p.poll() is None, "%s: runs with no client" % what)
    for n in (1, 2):
        s = connect(addr)
        got = read_until(s, b"(ringvm) ")
        check("monitor - type 'help'" in got and got.endswith("(ringvm) "),
              "%s: client %d gets the banner and a prompt: %r" % (what, n, got))
        s.sendall(b"info status\n")
        got = read_until(s, b"(ringvm) ")
        check("VM status: running" in got, "%s: client %d: info status: %r" % (what, n, got))
        if n == 1:
            s.sendall(b"info sta")  # half a line: the next client starts afresh
            time.sleep(0.2)
            s.close()
            time.sleep(0.3)
    got = read_until(s, b"(ringvm) ", quiet=0.5)
    check(got == "", "%s: nothing unasked for: %r" % (what, got))
    quit_and_wait(s, p, what)

# unix, wait=off
two_clients(os.path.join(tmp, "m.sock"), "unix:%s,server,wait=off" % os.path.join(tmp, "m.sock"),
            "unix,server,wait=off")

# tcp, nowait, on a port that was free a moment ago
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
two_clients(("127.0.0.1", port), "tcp:127.0.0.1:%d,server,nowait" % port, "tcp,server,nowait")

# the monitor behind a mux on a socket: console first, banner at Ctrl-A c
path = os.path.join(tmp, "x.sock")
p = start(["-serial", "mon:unix:%s,server,wait=off" % path])
time.sleep(0.5)
s = connect(path)
got = read_until(s, b"(ringvm) ", quiet=0.5)
check("monitor" not in got, "mon:unix: no banner while the console has the focus: %r" % got)
s.sendall(b"\x01c")
got = read_until(s, b"(ringvm) ")
check("monitor - type 'help'" in got and got.endswith("(ringvm) "),
      "mon:unix: Ctrl-A c -> banner and prompt: %r" % got)
quit_and_wait(s, p, "mon:unix")
sys.exit(1 if fails else 0)
PY
