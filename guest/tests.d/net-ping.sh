#!/bin/sh
# net-ping ADDR/PREFIX PEER[+PEER...] [LINGER]: give eth0 ADDR, ping each PEER
# (retrying for up to 60 s while the other side comes up), then stay up LINGER
# seconds so the peers can ping us too. Prints NET-PING-OK when every peer
# answered, or NET-PING-FAIL and the interface state.
addr=$1 peers=$2 linger=${3:-0}
ip link set eth0 up || { echo "NET-PING-FAIL: no eth0"; exit 1; }
ip addr add "$addr" dev eth0 || exit 1
echo "eth0 $(cat /sys/class/net/eth0/address) $addr"
for peer in $(echo "$peers" | tr '+' ' '); do
	i=0
	until ping -c 3 -W 2 "$peer" >/tmp/ping.out 2>&1; do
		i=$((i + 1))
		if [ $i -ge 60 ]; then
			cat /tmp/ping.out
			ip addr; ip link; cat /proc/net/dev
			echo "NET-PING-FAIL $peer"
			exit 1
		fi
	done
	cat /tmp/ping.out
	echo "NET-PING-PEER-OK $peer"
done
echo "NET-PING-OK"
sleep "$linger"
exit 0
