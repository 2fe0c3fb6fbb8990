#!/usr/bin/env bash
# boot-linux.sh - the test guest (guest/build.sh: Linux 6.1 + busybox
# initramfs) boots under ringvm with Debian's OpenSBI:
#  1. ringvm.run=hello: init runs the hello test and powers off (status 0);
#  2. the interactive shell: a command typed on the console (UART RX
#     interrupts through the PLIC into the 8250 driver) runs and its output
#     comes back; poweroff -f ends ringvm with status 0.
#  3. -drive (virtio-blk) and -device virtio-rng-device: the guest reads a
#     marker from /dev/vda, sees its size and the rng, writes a sector that
#     lands in the image - and with -snapshot, does not.
# The guest: tests/lib/guest.sh (RINGVM_GUEST_DIR=dir overrides guest/build.sh).
set -u
vm="$RINGVM_BUILD/ringvm"
. "$RINGVM_SRC/tests/lib/guest.sh"
guest_find
fails=0

out=$(timeout 300 "$vm" -M virt -m 256M -smp 1 -nographic -kernel "$guest/Image" \
	-initrd "$guest/initramfs.cpio.gz" -append "console=ttyS0 ringvm.run=hello" </dev/null 2>&1)
rc=$?
for want in "RINGVM-BOOT-OK" "RINGVM-HELLO-OK" "RINGVM-RUN-END hello rc=0"; do
	grep -q "$want" <<<"$out" || { echo "missing: $want"; fails=$((fails + 1)); }
done
if [ "$rc" -ne 0 ]; then
	echo "FAIL: ringvm.run=hello exit status $rc"
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] && echo "ok: Linux booted, ran hello and powered off" ||
	tail -n 40 <<<"$out"

python3 - "$vm" "$guest" <<'PY' || fails=$((fails + 1))
import os, select, subprocess, sys, time
vm, g = sys.argv[1], sys.argv[2]
p = subprocess.Popen([vm, "-m", "256M", "-nographic", "-kernel", g + "/Image",
                      "-initrd", g + "/initramfs.cpio.gz", "-append", "console=ttyS0"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
out, step, deadline = b"", 0, time.monotonic() + 180
while time.monotonic() < deadline:
    r, _, _ = select.select([p.stdout], [], [], 0.5)
    if r:
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        out += chunk
    if step == 0 and b"RINGVM-SHELL-READY" in out:
        time.sleep(0.5)
        p.stdin.write(b"echo answer=$((6*7))\n")
        p.stdin.flush()
        step = 1
        deadline = time.monotonic() + 30  # an echo takes far less
    if step == 1 and b"answer=42" in out:
        p.stdin.write(b"poweroff -f\n")
        p.stdin.flush()
        step = 2
else:
    p.kill()
rc = p.wait()
if step != 2 or rc != 0:
    print("FAIL shell: step=%d rc=%d tail=%r" % (step, rc, out[-2000:]))
    sys.exit(1)
print("ok: typed a command into the guest shell, got its output, powered off")
PY

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for snap in no yes; do
	printf 'RINGVM-DISK-MARKER-0123\n' >"$tmp/disk.img"
	truncate -s 16M "$tmp/disk.img"
	extra=()
	[ "$snap" = yes ] && extra=(-snapshot)
	python3 - "$vm" "$guest" "$tmp/disk.img" "${extra[@]}" <<'PY' || fails=$((fails + 1))
import os, select, subprocess, sys, time
vm, g, img, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
p = subprocess.Popen([vm, "-m", "256M", "-nographic", "-kernel", g + "/Image",
                      "-initrd", g + "/initramfs.cpio.gz", "-append", "console=ttyS0 quiet",
                      "-drive", "file=%s,format=raw" % img, "-device", "virtio-rng-device"] + extra,
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
out, step, deadline = b"", 0, time.monotonic() + 180
while time.monotonic() < deadline:
    r, _, _ = select.select([p.stdout], [], [], 0.5)
    if r:
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        out += chunk
    if step == 0 and b"RINGVM-SHELL-READY" in out:
        time.sleep(0.5)
        p.stdin.write(b"head -c 23 /dev/vda; echo; cat /sys/class/block/vda/size; "
                      b"cat /sys/class/misc/hw_random/rng_current; echo written | "
                      b"dd of=/dev/vda bs=512 seek=1 conv=fsync 2>/dev/null; echo DONE-$((1+1))\n")
        p.stdin.flush()
        step = 1
        deadline = time.monotonic() + 30
    if step == 1 and b"DONE-2" in out:
        p.stdin.write(b"poweroff -f\n")
        p.stdin.flush()
        step = 2
else:
    p.kill()
rc = p.wait()
s = out.decode(errors="replace")
with open(img, "rb") as f:
    f.seek(512)
    sector1 = f.read(7)
want_written = not extra
ok = (step == 2 and rc == 0 and "\nRINGVM-DISK-MARKER-0123" in s and "\n32768" in s
      and "virtio_rng.0" in s and (sector1 == b"written") == want_written)
if not ok:
    print("FAIL disk%s: step=%d rc=%d sector1=%r tail=%r" % (extra, step, rc, sector1, out[-1500:]))
    sys.exit(1)
print("ok: virtio-blk read/size/write%s and virtio-rng in the guest" %
      (" (discarded by -snapshot)" if extra else ""))
PY
done
[ "$fails" -eq 0 ]
