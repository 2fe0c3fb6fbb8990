#!/usr/bin/env bash
# guest-hub.sh - three members on one hub all reach each other. VM A has one
# virtio-net on hub 0; the hub also holds a tap (the host, 10.4.0.1) and a
# socket stream listener that VM B connects to. A pings the host and B, B
# pings the host and A, the host pings A and B: every member receives from
# every other (A<->tap, A<->socket, tap<->socket). In a network namespace the
# test makes and removes itself (unshare -n). Needs root, /dev/net/tun and
# the test guest; else skips.
set -u
. "$RINGVM_SRC/tests/vnet/lib.sh"
vnet_setup NET-PING-PEER-OK
vnet_boot_script net-ping
cp "$RINGVM_SRC/tests/vnet/hping.py" "$tmp/hping.py"

unshare -n bash -c '
	ip link set lo up
	ip tuntap add dev rvtap0 mode tap
	ip addr add 10.4.0.1/24 dev rvtap0
	ip link set rvtap0 up
	port=$((20000 + RANDOM % 20000))
	"$tmp/boot" a 10.4.0.2/24,10.4.0.1+10.4.0.3,40 \
		-netdev tap,id=t0,ifname=rvtap0,script=no,downscript=no \
		-netdev hubport,id=h0,hubid=0,netdev=t0 \
		-netdev socket,id=s0,listen=127.0.0.1:$port \
		-netdev hubport,id=h1,hubid=0,netdev=s0 \
		-netdev hubport,id=h2,hubid=0 \
		-device virtio-net-device,netdev=h2,mac=52:54:00:00:04:02 &
	sleep 1
	"$tmp/boot" b 10.4.0.3/24,10.4.0.1+10.4.0.2,40 \
		-netdev socket,id=n0,connect=127.0.0.1:$port \
		-device virtio-net-device,netdev=n0,mac=52:54:00:00:04:03 &
	for i in $(seq 300); do
		grep -q NET-PING-OK "$tmp/a" 2>/dev/null && grep -q NET-PING-OK "$tmp/b" 2>/dev/null && break
		sleep 1
	done
	python3 "$tmp/hping.py" 10.4.0.2 >"$tmp/host-a" 2>&1 && echo ok >>"$tmp/host-a"
	python3 "$tmp/hping.py" 10.4.0.3 >"$tmp/host-b" 2>&1 && echo ok >>"$tmp/host-b"
	wait
'
fails=0
for who in a b; do
	if grep -q "NET-PING-OK" "$tmp/$who" && grep -q "RINGVM-RUN-END net-ping rc=0" "$tmp/$who"; then
		echo "ok: VM $who pings the host and the other VM: $(grep NET-PING-PEER-OK "$tmp/$who" | tr '\n' ' ')"
	else
		echo "FAIL: VM $who"; tail -n 30 "$tmp/$who"; cat "$tmp/$who.err"; fails=$((fails + 1))
	fi
	if grep -q '^ok$' "$tmp/host-$who"; then
		echo "ok: the host pings VM $who"
	else
		echo "FAIL: the host pings VM $who"; cat "$tmp/host-$who"; fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
