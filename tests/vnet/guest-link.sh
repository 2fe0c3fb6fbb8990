#!/usr/bin/env bash
# guest-link.sh - link changes and backends that go away, seen from a Linux
# guest; the VM must keep running and power off normally:
#  1. socket stream, VM A listening: the connected VM B is killed (SIGKILL),
#     A's eth0 loses carrier; VM C connects, the carrier returns and A pings C;
#  2. the same with A connecting: its listener is killed, A retries until a
#     new listener (VM C) is up;
#  3. tap: the host deletes the tap under a running VM: the guest's eth0
#     loses carrier, the guest keeps running (pinging into the void) and
#     powers off; ringvm says the tap went away.
# In network namespaces the test makes and removes itself (unshare -n).
# Needs root, /dev/net/tun and the test guest; else skips.
set -u
. "$RINGVM_SRC/tests/vnet/lib.sh"
vnet_setup guest-tests/net-link
# boot NAME TEST ARGS NETOPTS...: run a guest test, console to $tmp/NAME,
# ringvm's pid to $tmp/NAME.pid, its exit status to $tmp/NAME.rc.
cat >"$tmp/boot" <<EOS
#!/usr/bin/env bash
name=\$1 test=\$2 args=\$3; shift 3
"$vm" -accel $accel -m 256M -nographic -kernel "$guest/Image" \
	-initrd "$guest/initramfs.cpio.gz" \
	-append "console=ttyS0 ringvm.run=\$test ringvm.args=\$args" "\$@" \
	</dev/null >"$tmp/\$name" 2>"$tmp/\$name.err" &
pid=\$!
echo \$pid >"$tmp/\$name.pid"
# watchdog: 400 s at most
( timeout 400 tail --pid=\$pid -f /dev/null || kill -KILL \$pid ) >/dev/null 2>&1 &
wait \$pid
echo \$? >"$tmp/\$name.rc"
EOS
chmod +x "$tmp/boot"
# waitfor FILE TEXT: up to 300 s for TEXT to appear in FILE.
cat >"$tmp/waitfor" <<'EOS'
#!/usr/bin/env bash
for i in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && exit 0; sleep 0.5; done
echo "timed out waiting for '$2' in $(basename "$1")"; exit 1
EOS
chmod +x "$tmp/waitfor"

# socket_case SIDE: VM A is SIDE (listen or connect); B and C the other side.
socket_case() {
	local side=$1 other=listen
	[ "$side" = listen ] && other=connect
	export side other
	unshare -n bash -c '
		ip link set lo up
		port=$((20000 + RANDOM % 20000))
		"$tmp/boot" a-$side net-link 10.5.0.1/24,10.5.0.2,ping,down,up,ping \
			-netdev socket,id=n0,$side=127.0.0.1:$port \
			-device virtio-net-device,netdev=n0,mac=52:54:00:00:05:01 &
		sleep 1
		"$tmp/boot" b-$side net-ping 10.5.0.2/24,10.5.0.1,600 \
			-netdev socket,id=n0,$other=127.0.0.1:$port \
			-device virtio-net-device,netdev=n0,mac=52:54:00:00:05:02 &
		"$tmp/waitfor" "$tmp/a-$side" NET-LINK-PING-OK
		kill -KILL "$(cat "$tmp/b-$side.pid")"
		"$tmp/waitfor" "$tmp/a-$side" NET-LINK-DOWN
		"$tmp/boot" c-$side net-ping 10.5.0.2/24,10.5.0.1,20 \
			-netdev socket,id=n0,$other=127.0.0.1:$port \
			-device virtio-net-device,netdev=n0,mac=52:54:00:00:05:03 &
		wait
	'
}
fails=0
check() { # NAME TEXT WHAT
	if grep -q "$2" "$tmp/$1" && grep -q "RINGVM-RUN-END .* rc=0" "$tmp/$1" &&
		[ "$(cat "$tmp/$1.rc" 2>/dev/null)" = 0 ]; then
		echo "ok: $3"
	else
		echo "FAIL: $3 (ringvm exit $(cat "$tmp/$1.rc" 2>/dev/null))"; tail -n 30 "$tmp/$1"; cat "$tmp/$1.err"
		fails=$((fails + 1))
	fi
}
for side in listen connect; do
	socket_case $side
	check a-$side NET-LINK-OK "socket $side: peer killed, carrier down; new peer, carrier up, ping"
	check c-$side NET-PING-OK "socket $side: the new peer pings"
done

unshare -n bash -c '
	ip link set lo up
	ip tuntap add dev rvtap0 mode tap
	ip addr add 10.7.0.1/24 dev rvtap0
	ip link set rvtap0 up
	"$tmp/boot" tap net-link 10.7.0.2/24,10.7.0.1,ping,down,alive:10 \
		-netdev tap,id=n0,ifname=rvtap0,script=no,downscript=no,vnet_hdr=on \
		-device virtio-net-device,netdev=n0 &
	"$tmp/waitfor" "$tmp/tap" NET-LINK-PING-OK
	ip link del rvtap0
	wait
'
check tap NET-LINK-OK "tap deleted under the VM: carrier down, guest keeps running"
if grep -q "rvtap0.*went away\|went away.*rvtap0\|n0.*went away" "$tmp/tap.err"; then
	echo "ok: ringvm says the tap went away"
else
	echo "FAIL: no message about the deleted tap"; grep -i tap "$tmp/tap.err" | head; fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
