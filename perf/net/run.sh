#!/usr/bin/env bash
# The net suite: TCP throughput guest->host and host->guest over a tap
# (busybox dd | nc in the guest, a Python socket on the host), under ringvm
# and qemu-system-riscv64 with the same guest, in a private network
# namespace; and host loopback TCP as the ceiling. JSON lines.
# Needs root and /dev/net/tun. RINGVM_PERF_NET_MIB sets the size (default 64).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${RINGVM_BUILD:?set RINGVM_BUILD}
mib=${RINGVM_PERF_NET_MIB:-64}
[ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] || { echo "perf/net needs root and /dev/net/tun" >&2; exit 1; }
guest=${RINGVM_GUEST:-$("$root/guest/build.sh" | tail -n 1)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin

# host.py PORT GUEST MIB: receive one connection and time it, then connect
# to the guest and send MIB MiB. Prints "rx MBPS" and "tx MBPS".
cat >"$tmp/host.py" <<'PY'
import socket, sys, time
port, guest, mib = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", port)); ls.listen(1); ls.settimeout(600)
c, _ = ls.accept(); n = 0; t0 = None
while True:
    b = c.recv(1 << 20)
    if not b: break
    if t0 is None: t0 = time.monotonic()
    n += len(b)
dt = time.monotonic() - t0
print("guest_to_host", round(n * 8 / dt / 1e6, 1), flush=True)
c.close()
buf = bytes(1 << 16)
for i in range(100):
    try:
        s = socket.create_connection((guest, port), timeout=5); break
    except OSError:
        time.sleep(0.3)
t0 = time.monotonic(); left = mib << 20
while left > 0:
    left -= s.send(buf[:min(left, len(buf))])
s.shutdown(socket.SHUT_WR)
t1 = time.monotonic()
try:  # busybox nc -l may not close at EOF: then the time is when the last
    s.settimeout(10); s.recv(1); t1 = time.monotonic()  # byte was queued
except OSError:
    pass
print("host_to_guest", round((mib << 20) * 8 / (t1 - t0) / 1e6, 1), flush=True)
PY

measure() { # emu -> lines "guest_to_host X" / "host_to_guest Y"
	local emu=$1
	unshare -n bash -c "
		ip link set lo up
		ip tuntap add dev rvtap0 mode tap
		ip addr add 10.9.0.1/24 dev rvtap0
		ip link set rvtap0 up
		python3 '$tmp/host.py' 5001 10.9.0.2 $mib >'$tmp/$emu.out' &
		hp=\$!
		app='console=ttyS0 quiet ringvm.run=net-bench ringvm.args=10.9.0.2/24,10.9.0.1,5001,$mib'
		if [ $emu = qemu ]; then
			timeout 900 qemu-system-riscv64 -M virt -m 256M -nographic -bios $fw \
				-kernel '$guest/Image' -initrd '$guest/initramfs.cpio.gz' -append \"\$app\" \
				-netdev tap,id=n0,ifname=rvtap0,script=no,downscript=no,vnet_hdr=on \
				-device virtio-net-device,netdev=n0 </dev/null >'$tmp/$emu.log' 2>&1 &
		else
			timeout 900 '$build/ringvm' -accel jit -M virt -m 256M -nographic -bios $fw \
				-kernel '$guest/Image' -initrd '$guest/initramfs.cpio.gz' -append \"\$app\" \
				-netdev tap,id=n0,ifname=rvtap0,script=no,downscript=no,vnet_hdr=on \
				-device virtio-net-device,netdev=n0 </dev/null >'$tmp/$emu.log' 2>&1 &
		fi
		ep=\$!
		wait \$hp 2>/dev/null  # host.py done: the guest's last nc never ends
		kill \$ep 2>/dev/null; wait \$ep 2>/dev/null
	" || true
	cat "$tmp/$emu.out"
}

loopback() { # host TCP over lo, Mbit/s
	python3 - "$mib" <<'PY'
import socket, sys, threading, time
mib = int(sys.argv[1]) * 8
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
def sink():
    c, _ = ls.accept()
    while c.recv(1 << 20): pass
th = threading.Thread(target=sink); th.start()
s = socket.create_connection(ls.getsockname()); buf = bytes(1 << 16)
t0 = time.monotonic(); left = mib << 20
while left > 0: left -= s.send(buf[:min(left, len(buf))])
s.close(); th.join()
print(round((mib << 20) * 8 / (time.monotonic() - t0) / 1e6, 1))
PY
}

q=$(measure qemu); r=$(measure ringvm); lo=$(loopback)
for m in guest_to_host host_to_guest; do
	rv=$(awk -v m=$m '$1 == m { print $2 }' <<<"$r"); qv=$(awk -v m=$m '$1 == m { print $2 }' <<<"$q")
	printf '{"suite":"net","metric":"tap_tcp_%s","value":%s,"unit":"Mbit/s","anchor":"qemu-system-riscv64","anchor_value":%s,"loopback_ceiling":%s}\n' \
		"$m" "${rv:-null}" "${qv:-null}" "$lo"
done
