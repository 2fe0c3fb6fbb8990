#!/usr/bin/env bash
# guest-ping.sh - Linux guests on virtio-net, in network namespaces this
# test makes and removes itself (unshare -n: nothing leaks to the host):
#  1. tap (without and with vnet_hdr): the guest (10.0.0.2) pings the host
#     side of the tap (10.0.0.1), then the host pings the guest while it lingers;
#  2. two VMs over a socket netdev (stream listen/connect) ping each other;
#  3. the same over a multicast socket netdev.
# Needs root, /dev/net/tun and the test guest (guest/build.sh); else skips.
set -u
. "$RINGVM_SRC/tests/vnet/lib.sh"
vnet_setup guest-tests/net-ping
vnet_boot_script net-ping
cp "$RINGVM_SRC/tests/vnet/hping.py" "$tmp/hping.py"
fails=0
check() { # NAME WHAT
	if grep -q "NET-PING-OK" "$tmp/$1" && grep -q "RINGVM-RUN-END net-ping rc=0" "$tmp/$1"; then
		echo "ok: $2"
	else
		echo "FAIL: $2"; tail -n 30 "$tmp/$1"; cat "$tmp/$1.err"; fails=$((fails + 1))
	fi
}

# 1. tap, in a private namespace: bare frames, then with the vnet header
#    (offloads negotiated and pushed to the tap).
for hdr in off on; do
	export hdr
	unshare -n bash -c '
		ip link set lo up
		ip tuntap add dev rvtap0 mode tap
		ip addr add 10.0.0.1/24 dev rvtap0
		ip link set rvtap0 up
		"$tmp/boot" tap-$hdr 10.0.0.2/24,10.0.0.1,20 \
			-nic tap,ifname=rvtap0,script=no,downscript=no,vnet_hdr=$hdr &
		pid=$!
		for i in $(seq 300); do grep -q NET-PING-OK "$tmp/tap-$hdr" 2>/dev/null && break; sleep 1; done
		python3 "$tmp/hping.py" 10.0.0.2 >"$tmp/host-ping-$hdr" 2>&1 && echo ok >"$tmp/host-ping-ok-$hdr"
		wait $pid
	'
	check tap-$hdr "tap (vnet_hdr=$hdr): guest pings the host"
	if [ -f "$tmp/host-ping-ok-$hdr" ]; then
		echo "ok: tap (vnet_hdr=$hdr): host pings the guest"
	else
		echo "FAIL: host ping (vnet_hdr=$hdr)"; cat "$tmp/host-ping-$hdr"; fails=$((fails + 1))
	fi
done

# 2. two VMs over a stream socket; 3. over multicast (own namespace: lo only).
unshare -n bash -c '
	ip link set lo up
	ip route add 224.0.0.0/4 dev lo
	port=$((20000 + RANDOM % 20000))
	"$tmp/boot" s1 10.1.0.1/24,10.1.0.2,30 -netdev socket,id=n0,listen=127.0.0.1:$port \
		-device virtio-net-device,netdev=n0,mac=52:54:00:00:01:01 &
	sleep 1
	"$tmp/boot" s2 10.1.0.2/24,10.1.0.1,30 -netdev socket,id=n0,connect=127.0.0.1:$port \
		-device virtio-net-device,netdev=n0,mac=52:54:00:00:01:02 &
	wait
	"$tmp/boot" m1 10.2.0.1/24,10.2.0.2,30 -netdev socket,id=n0,mcast=230.0.0.1:$port,localaddr=127.0.0.1 \
		-device virtio-net-device,netdev=n0,mac=52:54:00:00:02:01 &
	"$tmp/boot" m2 10.2.0.2/24,10.2.0.1,30 -netdev socket,id=n0,mcast=230.0.0.1:$port,localaddr=127.0.0.1 \
		-device virtio-net-device,netdev=n0,mac=52:54:00:00:02:02 &
	wait
'
check s1 "socket stream: VM1 pings VM2"
check s2 "socket stream: VM2 pings VM1"
check m1 "socket mcast: VM1 pings VM2"
check m2 "socket mcast: VM2 pings VM1"
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
