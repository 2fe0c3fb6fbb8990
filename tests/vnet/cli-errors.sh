#!/usr/bin/env bash
# cli-errors.sh - bad networking options: exit 1, one "ringvm: " sentence on
# stderr, nothing on stdout. The kernel is a 4-byte flat payload that never runs
# (the errors come before the guest starts).
set -u
vm="$RINGVM_BUILD/ringvm"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
printf '\x6f\x00\x00\x00' >"$tmp/k.bin" # "j ." as a flat payload (never runs)
k=(-bios none -kernel "$tmp/k.bin" -serial null)

expect_error() {
	local what=$1; shift
	timeout 20 "$vm" "${k[@]}" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ] || [ -s "$tmp/out" ] ||
	   ! grep -q '^ringvm: ' "$tmp/err" || ! grep -qi -- "$what" "$tmp/err"; then
		echo "FAIL: ringvm $* -> rc=$rc, stderr($lines lines): $(cat "$tmp/err")"
		fails=$((fails + 1))
	else
		echo "ok: ringvm $* -> $(cat "$tmp/err")"
	fi
}

port=$((20000 + RANDOM % 20000))
sock="socket,id=n0,listen=127.0.0.1:$port"
expect_error "names no netdev" -netdev "$sock" -device virtio-net-device,netdev=n1
expect_error "already used" -netdev "$sock" -device virtio-net-device,netdev=n0 \
	-device virtio-net-device,netdev=n0
expect_error "multicast" -netdev "$sock" -device virtio-net-device,netdev=n0,mac=01:02:03:04:05:06
expect_error "not a MAC" -netdev "$sock" -device virtio-net-device,netdev=n0,mac=zz
expect_error "twice" -netdev "$sock" -netdev "socket,id=n0,listen=127.0.0.1:$((port + 1))"
expect_error "model=e1000" -nic tap,model=e1000
expect_error "unknown type" -netdev bogus,id=x
expect_error "needs netdev" -device virtio-net-device
expect_error "foo=1" -device virtio-net-device,netdev=n0,foo=1
# A taken listen address: another ringvm-independent listener holds it.
python3 -c "import socket,time,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $port)); s.listen(); print('up', flush=True); time.sleep(30)" >"$tmp/py" &
py=$!
for _ in $(seq 50); do grep -q up "$tmp/py" && break; sleep 0.1; done
expect_error "$port" -netdev "$sock" -device virtio-net-device,netdev=n0
kill "$py" 2>/dev/null; wait "$py" 2>/dev/null
if [ "$(id -u)" -ne 0 ]; then
	expect_error "tap" -nic tap,ifname=rvmt0
elif [ -e /dev/net/tun ]; then
	# A busy tap name (in a private network namespace: nothing leaks out).
	out=$(unshare -n bash -c "
		ip tuntap add dev rvbusy0 mode tap 2>/dev/null
		exec 3<>/dev/net/tun
		python3 - >'$tmp/held' <<'PY' &
import fcntl, struct, os, time
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', b'rvbusy0', 0x0002 | 0x1000))
print('held', flush=True)
time.sleep(20)
PY
		for _ in \$(seq 200); do grep -q held '$tmp/held' && break; sleep 0.1; done
		timeout 20 '$vm' ${k[*]} -nic tap,ifname=rvbusy0,script=no,downscript=no </dev/null >/dev/null 2>'$tmp/err2'
		echo rc=\$?
		kill %1 2>/dev/null
	")
	if [ "$out" = "rc=1" ] && [ "$(wc -l <"$tmp/err2")" -eq 1 ] && grep -q '^ringvm: ' "$tmp/err2"; then
		echo "ok: busy tap -> $(cat "$tmp/err2")"
	else
		echo "FAIL: busy tap -> $out: $(cat "$tmp/err2")"
		fails=$((fails + 1))
	fi
fi
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
