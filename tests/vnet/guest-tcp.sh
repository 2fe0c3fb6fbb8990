#!/usr/bin/env bash
# guest-tcp.sh - checksummed TCP transfers through virtio-net (nettool -c on
# both ends: the sender fails unless the sink's byte count and FNV-1a hash
# match what it sent):
#  1. tap (vnet_hdr=on, offloads): 64 MiB guest -> host, then host -> guest;
#  2. two VMs over a socket stream netdev: 16 MiB;
#  3. two VMs over a multicast socket netdev: 16 MiB.
# In network namespaces the test makes and removes itself (unshare -n).
# Needs root, /dev/net/tun and the test guest; else skips.
set -u
nt="$RINGVM_BUILD/perf/guest-bench/ringvm-nettool"
[ -x "$nt" ] || { echo "SKIP: $nt not built"; exit 77; }
. "$RINGVM_SRC/tests/vnet/lib.sh"
vnet_setup guest-tests/net-perf
export nt
vnet_boot_script net-perf

unshare -n bash -c '
	ip link set lo up
	ip tuntap add dev rvtap0 mode tap
	ip addr add 10.8.0.1/24 dev rvtap0
	ip link set rvtap0 up
	"$nt" -c -t 300 sink 5001 >"$tmp/host-sink" 2>&1 & sp=$!
	"$tmp/boot" tap 10.8.0.2/24,10.8.0.1,-c:send:10.8.0.1:5001:64,-c:sink:5001 \
		-netdev tap,id=n0,ifname=rvtap0,script=no,downscript=no,vnet_hdr=on \
		-device virtio-net-device,netdev=n0 &
	wait $sp
	for i in $(seq 200); do
		"$nt" -c -t 300 send 10.8.0.2 5001 64 >"$tmp/host-send" 2>&1 && break
		sleep 0.5
	done
	wait
'
unshare -n bash -c '
	ip link set lo up
	ip route add 224.0.0.0/4 dev lo
	port=$((20000 + RANDOM % 20000))
	"$tmp/boot" s1 10.1.0.1/24,10.1.0.2,-c:sink:5003 -netdev socket,id=n0,listen=127.0.0.1:$port \
		-device virtio-net-device,netdev=n0,mac=52:54:00:00:01:01 &
	sleep 1
	"$tmp/boot" s2 10.1.0.2/24,10.1.0.1,-c:send:10.1.0.1:5003:16 -netdev socket,id=n0,connect=127.0.0.1:$port \
		-device virtio-net-device,netdev=n0,mac=52:54:00:00:01:02 &
	wait
	"$tmp/boot" m1 10.2.0.1/24,10.2.0.2,-c:sink:5003 -netdev socket,id=n0,mcast=230.0.0.1:$port,localaddr=127.0.0.1 \
		-device virtio-net-device,netdev=n0,mac=52:54:00:00:02:01 &
	"$tmp/boot" m2 10.2.0.2/24,10.2.0.1,-c:send:10.2.0.1:5003:16 -netdev socket,id=n0,mcast=230.0.0.1:$port,localaddr=127.0.0.1 \
		-device virtio-net-device,netdev=n0,mac=52:54:00:00:02:02 &
	wait
'
fails=0
ok() { # FILE PATTERN WHAT
	if grep -q "$2" "$tmp/$1"; then
		echo "ok: $3: $(grep "$2" "$tmp/$1" | head -n 1)"
	else
		echo "FAIL: $3"; tail -n 20 "$tmp/$1"; cat "$tmp/$1.err"; fails=$((fails + 1))
	fi
}
ok host-sink "NETTOOL sink bytes 67108864 " "tap guest->host 64 MiB (host sink)"
ok tap "NETTOOL send bytes 67108864 " "tap guest->host 64 MiB (guest sender saw count and hash match)"
ok tap "NETTOOL sink bytes 67108864 " "tap host->guest 64 MiB (guest sink)"
ok host-send "NETTOOL send bytes 67108864 " "tap host->guest 64 MiB (host sender saw count and hash match)"
ok tap "NET-PERF-OK" "tap guest run"
ok s2 "NETTOOL send bytes 16777216 " "socket stream VM->VM 16 MiB, count and hash match"
ok s1 "NET-PERF-OK" "socket stream receiving VM"
ok m2 "NETTOOL send bytes 16777216 " "socket mcast VM->VM 16 MiB, count and hash match"
ok m1 "NET-PERF-OK" "socket mcast receiving VM"
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
