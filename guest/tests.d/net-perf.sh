#!/bin/sh
# net-perf ADDR/PREFIX PEER STEP...: give eth0 ADDR, wait (up to 60 s) until
# PEER answers a ping, then run each STEP as a nettool command line with ':'
# between words (e.g. send:10.9.0.1:5001:64, -c:sink:5001, udpsend:H:P:64:5).
# A failing step is retried while it fails to connect (the other end may not
# be listening yet). Prints NET-PERF-OK or NET-PERF-FAIL.
addr=$1 peer=$2; shift 2
ip link set eth0 up && ip addr add "$addr" dev eth0 || { echo "NET-PERF-FAIL no eth0"; exit 1; }
i=0
until ping -c 1 -W 1 "$peer" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 60 ] || { echo "NET-PERF-FAIL no answer from $peer"; exit 1; }
done
for step in "$@"; do
	args=$(echo "$step" | tr ':' ' ')
	i=0
	# shellcheck disable=SC2086 # args are deliberately split
	until nettool $args >/tmp/step.out 2>&1; do
		cat /tmp/step.out
		grep -q "NETTOOL-FAIL connect" /tmp/step.out && [ $i -lt 60 ] ||
			{ echo "NET-PERF-FAIL $step"; exit 1; }
		i=$((i + 1)); sleep 1
	done
	cat /tmp/step.out
done
# Interrupt and packet counts: how many interrupts the transfer cost.
grep -i virtio /proc/interrupts | sed 's/^/NET-PERF-IRQ /'
sed -n 's/^ *eth0:/NET-PERF-DEV eth0:/p' /proc/net/dev
echo "NET-PERF-OK"
