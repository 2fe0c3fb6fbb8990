#!/usr/bin/env bash
# set-link.sh - ringvm with -monitor unix:PATH,server and a socket netdev
# (connect= to a listener here). Through the monitor: info network (carrier
# up, dropped=0), set_link n0 off (link and carrier down; a frame sent by the
# peer meanwhile is dropped and counted), set_link n0 on (back up), a bogus
# command, junk bytes, an over-long line, then quit: exit status 0.
# The kernel is a 4-byte flat payload ("j .": the hart spins, no driver).
set -u
vm="$RINGVM_BUILD/ringvm"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '\x6f\x00\x00\x00' >"$tmp/k.bin"
exec timeout 100 python3 - "$vm" "$tmp" <<'PY'
import os, socket, struct, subprocess, sys, time

vm, tmp = sys.argv[1], sys.argv[2]
msock = os.path.join(tmp, "mon.sock")
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(1)
port = lst.getsockname()[1]
p = subprocess.Popen([vm, "-bios", "none", "-kernel", os.path.join(tmp, "k.bin"),
                      "-serial", "null", "-monitor", "unix:%s,server" % msock,
                      "-netdev", "socket,id=n0,connect=127.0.0.1:%d" % port,
                      "-device", "virtio-net-device,netdev=n0,mac=52:54:00:aa:bb:01"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
fails = 0

def check(cond, what):
    global fails
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        fails += 1

for _ in range(200):
    if os.path.exists(msock):
        break
    time.sleep(0.05)
m = socket.socket(socket.AF_UNIX)
m.connect(msock)
m.settimeout(10)

def read_prompt():
    buf = b""
    while not buf.endswith(b"(ringvm) "):
        d = m.recv(65536)
        if not d:
            break
        buf += d
    return buf.decode("latin-1")

def cmd(line):
    m.sendall(line)
    return read_prompt()

banner = read_prompt()
check("monitor" in banner and banner.endswith("(ringvm) "), "banner and prompt: %r" % banner)
lst.settimeout(10)
peer, _ = lst.accept()

out = ""
for _ in range(100):  # the netdev's connect completes on the loop: wait for it
    out = cmd(b"info network\n")
    if "carrier=up" in out:
        break
    time.sleep(0.05)
check("n0: type=socket link=up carrier=up dropped=0 macaddr=52:54:00:aa:bb:01" in out,
      "info network before: %r" % out)
out = cmd(b"set_link n0 off\n")
check(out == "set_link n0 off\r\n(ringvm) ", "set_link off is silent: %r" % out)
out = cmd(b"info network\n")
check("link=down carrier=down" in out, "info network after off: %r" % out)
frame = b"\xff" * 6 + b"\x52\x54\x00\x00\x00\x02" + b"\x08\x00" + bytes(46)
peer.sendall(struct.pack(">I", len(frame)) + frame)
for _ in range(100):
    out = cmd(b"info network\n")
    if "dropped=1 " in out:
        break
    time.sleep(0.05)
check("dropped=1 " in out, "a frame from the peer while off is dropped: %r" % out)
out = cmd(b"set_link n0 on\r\n")
out = cmd(b"info network\n")
check("link=up carrier=up" in out, "info network after on: %r" % out)
out = cmd(b"set_link nosuch off\n")
check("no NIC or netdev named 'nosuch'" in out, "unknown NIC: %r" % out)
out = cmd(b"set_link n0 maybe\n")
check("usage: set_link NAME on|off" in out, "bad argument: %r" % out)
out = cmd(b"bogus 1 2\n")
check("unknown command: 'bogus'" in out, "unknown command: %r" % out)
out = cmd(b"\x00\x01\x02\xff\xfe\x80\x1b\x07\x7f\x7f\x7f\n")
check(out.endswith("(ringvm) ") and "unknown" not in out, "junk bytes ignored: %r" % out)
out = cmd(b"x" * 5000 + b"\n")
check("line too long" in out, "over-long line: %r" % out[-120:])
out = cmd(b"info status\n")
check("VM status: running" in out, "still alive: %r" % out)
out = cmd(b"info chardev\n")
check("monitor0: backend=socket" in out and "serial0: backend=null" in out,
      "info chardev: %r" % out)
m.sendall(b"quit\n")
try:
    rc = p.wait(timeout=20)
except subprocess.TimeoutExpired:
    p.kill()
    rc = "timeout"
err = p.stderr.read().decode("latin-1")
check(rc == 0, "quit exits with 0 (got %s; stderr %r)" % (rc, err))
check("terminated" not in err, "no 'terminated' line after quit: %r" % err)
sys.exit(1 if fails else 0)
PY
