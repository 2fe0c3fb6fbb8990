#!/bin/sh
# net-link ADDR/PREFIX PEER STEP...: link and backend events seen by the guest.
# Gives eth0 ADDR, then runs each STEP in order (up to 120 s each):
#   ping     until PEER answers a ping          -> NET-LINK-PING-OK
#   down     until eth0's carrier is 0          -> NET-LINK-DOWN
#   up       until eth0's carrier is 1          -> NET-LINK-UP
#   alive:N  ping PEER once a second for N seconds whatever the answer
#            (the backend may be gone; the guest must keep running)
#                                               -> NET-LINK-ALIVE
# Prints NET-LINK-OK after the last step, NET-LINK-FAIL STEP on a timeout.
addr=$1 peer=$2; shift 2
ip link set eth0 up && ip addr add "$addr" dev eth0 || { echo "NET-LINK-FAIL no eth0"; exit 1; }
carrier() { cat /sys/class/net/eth0/carrier 2>/dev/null; }
for step in "$@"; do
	i=0
	case "$step" in
	ping)
		until ping -c 1 -W 1 "$peer" >/dev/null 2>&1; do
			i=$((i + 1)); [ $i -lt 120 ] || { echo "NET-LINK-FAIL ping"; exit 1; }
		done
		echo "NET-LINK-PING-OK" ;;
	down | up)
		want=0; [ "$step" = up ] && want=1
		until [ "$(carrier)" = "$want" ]; do
			i=$((i + 1)); [ $i -lt 1200 ] || { echo "NET-LINK-FAIL $step"; exit 1; }
			sleep 0.1
		done
		[ "$step" = up ] && echo "NET-LINK-UP" || echo "NET-LINK-DOWN" ;;
	alive:*)
		n=${step#alive:}
		while [ $i -lt "$n" ]; do
			ping -c 1 -W 1 "$peer" >/dev/null 2>&1 || sleep 1
			i=$((i + 1))
		done
		echo "NET-LINK-ALIVE" ;;
	*) echo "NET-LINK-FAIL unknown step $step"; exit 1 ;;
	esac
done
echo "NET-LINK-OK"
