#!/bin/sh
# net-ping ADDR/PREFIX PEER [LINGER]: give eth0 ADDR, ping PEER (retrying for
# up to 60 s while the other side comes up), then stay up LINGER seconds so
# the peer can ping us too. Prints NET-PING-OK, or NET-PING-FAIL and the
# interface state.
addr=$1 peer=$2 linger=${3:-0}
ip link set eth0 up || { echo "NET-PING-FAIL: no eth0"; exit 1; }
ip addr add "$addr" dev eth0 || exit 1
echo "eth0 $(cat /sys/class/net/eth0/address) $addr"
i=0
while [ $i -lt 60 ]; do
	if ping -c 3 -W 2 "$peer" >/tmp/ping.out 2>&1; then
		cat /tmp/ping.out
		echo "NET-PING-OK"
		sleep "$linger"
		exit 0
	fi
	i=$((i + 1))
done
cat /tmp/ping.out
ip addr; ip link; cat /proc/net/dev
echo "NET-PING-FAIL"
exit 1
