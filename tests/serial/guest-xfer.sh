#!/usr/bin/env bash
# guest-xfer.sh TRANSPORT [MiB] - two ringvm guests joined on ttyS1 by
# TRANSPORT (pipe: the pipe server/client pair; unix; tcp) move MiB of random
# data (guest/tests.d/serial-xfer.sh) in raw mode at the highest baud rate
# the guest's stty takes; the receiver's md5 must equal the sender's. The
# console stays on ttyS0 (stdio). The guest: tests/lib/guest.sh.
set -u
kind=$1 mib=${2:-4}
vm="$RINGVM_BUILD/ringvm"
. "$RINGVM_SRC/tests/lib/guest.sh"
guest_find serial-xfer
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
port=$((20000 + $$ % 20000))
case $kind in
pipe) srv="pipe,id=l,path=$tmp/link,server=on"; cli="pipe,id=l,path=$tmp/link,client=on" ;;
unix) srv="socket,id=l,path=$tmp/sock,server=on,wait=off"; cli="socket,id=l,path=$tmp/sock" ;;
tcp) srv="socket,id=l,host=127.0.0.1,port=$port,server=on,wait=off,nodelay=on"
     cli="socket,id=l,host=127.0.0.1,port=$port,nodelay=on" ;;
*) echo "usage: guest-xfer.sh pipe|unix|tcp [MiB]"; exit 2 ;;
esac
exec python3 - "$vm" "$guest" "$srv" "$cli" $((mib << 20)) <<'PY'
import os, re, subprocess, sys, time
vm, g, srv, cli, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
def start(chardev, args):
    cmd = [vm, "-accel", "jit", "-m", "256M", "-nographic", "-kernel", g + "/Image",
           "-initrd", g + "/initramfs.cpio.gz", "-chardev", chardev,
           "-serial", "stdio", "-serial", "chardev:l",
           "-append", "console=ttyS0 quiet ringvm.run=serial-xfer ringvm.args=" + args]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
def wait_for(p, pat, out, deadline):
    while time.monotonic() < deadline:
        m = re.search(pat, out[0])
        if m:
            return m
        b = os.read(p.stdout.fileno(), 65536)
        if not b:
            break
        out[0] += b
    return re.search(pat, out[0])
os.set_blocking  # python3.5+
deadline = time.monotonic() + 600
rx = start(srv, "recv,/dev/ttyS1,%d" % n)
rout = [b""]
ok = wait_for(rx, rb"SERIAL-READY", rout, time.monotonic() + 240)
if not ok:
    rx.kill(); print(rout[0].decode(errors="replace")[-3000:]); print("FAIL: receiver not ready"); sys.exit(1)
t0 = time.monotonic()
tx = start(cli, "send,/dev/ttyS1,%d" % n)
tout = [b""]
sm = wait_for(tx, rb"SERIAL-MD5 ([0-9a-f]{32})", tout, deadline)
rm = wait_for(rx, rb"SERIAL-MD5 ([0-9a-f]{32}) SERIAL-BYTES (\d+) SERIAL-SECS", rout, deadline)
t1 = time.monotonic()
wait_for(tx, rb"RINGVM-RUN-END", tout, time.monotonic() + 60)
for p in (rx, tx):
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
baud = re.search(rb"SERIAL-BAUD (\d+)", rout[0])
print("baud:", baud.group(1).decode() if baud else "?")
if not sm or not rm:
    print("receiver:", rout[0].decode(errors="replace")[-2000:])
    print("sender:", tout[0].decode(errors="replace")[-2000:])
    print("FAIL: no checksum from", "sender" if not sm else "receiver"); sys.exit(1)
if sm.group(1) != rm.group(1) or int(rm.group(2)) != n:
    print("FAIL: md5 %s sent, %s received (%s bytes)" % (sm.group(1).decode(), rm.group(1).decode(), rm.group(2).decode()))
    sys.exit(1)
print("ok: %d bytes, md5 %s, %.1f s including the sender's boot" % (n, sm.group(1).decode(), t1 - t0))
PY
