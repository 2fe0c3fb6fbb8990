#!/usr/bin/env bash
# guest-set-link.sh - the monitor's set_link seen from a Linux guest: a
# socket netdev connected to a listener here (carrier up), the guest's
# net-link test waits for carrier 1, then `set_link n0 off` must make
# /sys/class/net/eth0/carrier read 0, and `set_link n0 on` 1 again; the
# guest then powers off and ringvm exits 0. No root needed (127.0.0.1).
set -u
vm="$RINGVM_BUILD/ringvm"
. "$RINGVM_SRC/tests/lib/guest.sh"
guest_find guest-tests/net-link
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
exec timeout 500 python3 - "$vm" "$guest" "$tmp" "${RINGVM_ACCEL:-jit}" <<'PY'
import os, socket, subprocess, sys, time

vm, guest, tmp, accel = sys.argv[1:5]
msock, con = os.path.join(tmp, "mon.sock"), os.path.join(tmp, "console")
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(1)
port = lst.getsockname()[1]
with open(con, "wb") as out:
    p = subprocess.Popen([vm, "-accel", accel, "-m", "256M", "-nographic",
                          "-kernel", os.path.join(guest, "Image"),
                          "-initrd", os.path.join(guest, "initramfs.cpio.gz"),
                          "-append", "console=ttyS0 ringvm.run=net-link "
                          "ringvm.args=10.7.0.1/24,10.7.0.2,up,down,up",
                          "-monitor", "unix:%s,server,nowait" % msock,
                          "-netdev", "socket,id=n0,connect=127.0.0.1:%d" % port,
                          "-device", "virtio-net-device,netdev=n0"],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

def fail(why):
    print("FAIL: " + why)
    try:
        print(open(con, errors="replace").read()[-3000:])
    except OSError:
        pass
    p.kill()
    sys.exit(1)

def wait_console(text, count=1, secs=300):
    for _ in range(secs * 10):
        if open(con, errors="replace").read().count(text) >= count:
            return
        if p.poll() is not None:
            fail("ringvm exited (%s) before '%s'" % (p.returncode, text))
        time.sleep(0.1)
    fail("timed out waiting for '%s'" % text)

lst.settimeout(60)
peer, _ = lst.accept()  # keep it: the backend's link stays up
for _ in range(100):
    if os.path.exists(msock):
        break
    time.sleep(0.1)
m = socket.socket(socket.AF_UNIX)
m.connect(msock)

wait_console("NET-LINK-UP")
m.sendall(b"set_link n0 off\n")
wait_console("NET-LINK-DOWN")
print("ok: set_link off -> the guest's carrier is 0", flush=True)
m.sendall(b"set_link n0 on\n")
wait_console("NET-LINK-OK")
print("ok: set_link on -> the guest's carrier is 1 again", flush=True)
try:
    rc = p.wait(timeout=120)
except subprocess.TimeoutExpired:
    fail("the guest did not power off")
text = open(con, errors="replace").read()
if rc != 0 or "RINGVM-RUN-END" not in text:
    fail("exit status %s" % rc)
print("ok: guest powered off, exit 0")
PY
