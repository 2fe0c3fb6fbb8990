#!/bin/sh
# serial-bench DEV G2H_BYTES H2G_BYTES PINGS [ROUNDS] - the guest half of
# perf/serial/bench.py. The link DEV (ttyS1) is set to the highest baud
# rate the 8250 driver takes, raw, no echo, no flow control; the console
# (ttyS0) carries the markers the host waits for. For each load in "idle"
# and "busy" (a CPU-bound shell loop running meanwhile as SCHED_IDLE, so
# the guest's own scheduler neither halves the transfer's CPU share nor
# delays its wakeups by a tick: the figures are about the emulator's
# device service, and the hog keeps the vCPU at 100% either way):
#   BENCH-G2H <load>        then G2H_BYTES of random data on DEV, then
#   BENCH-G2H-MD5 <sum>     (host times first to last byte, checks the sum)
#   BENCH-H2G-READY <load>  the host writes H2G_BYTES on DEV;
#   BENCH-H2G-GOT           once they are in, then BENCH-H2G-MD5 <sum>
# then ROUNDS (default 1) echo rounds, each idle then busy, so that host
# load that comes and goes hits both alike:
#   BENCH-ECHO-READY <load> DEV echoes PINGS single bytes, one at a time
#   BENCH-ECHO-DONE
# The data files are made before the loads start, so md5 and urandom are
# not timed.
set -e
dev=$1 g2h=$2 h2g=$3 pings=$4 rounds=${5:-1}
for b in 4000000 3000000 1500000 921600 460800 230400 115200; do
	if stty -F "$dev" "$b" raw -echo -ixon -ixoff crtscts 2>/dev/null; then
		echo "BENCH-BAUD $b"
		break
	fi
done
head -c "$g2h" /dev/urandom >/tmp/tx
txsum=$(md5sum </tmp/tx | cut -c1-32)
exec 3<>"$dev"
for load in idle busy; do
	hog=
	if [ $load = busy ]; then
		chrt -i 0 sh -c 'while :; do :; done' &
		hog=$!
		sleep 1
	fi
	echo "BENCH-G2H $load"
	cat /tmp/tx >&3
	echo "BENCH-G2H-MD5 $txsum"
	echo "BENCH-H2G-READY $load"
	head -c "$h2g" <&3 >/tmp/rx &
	hp=$!
	# a watchdog: if the data never all arrives, say how far it got
	( sleep 60; kill -0 $hp 2>/dev/null &&
		echo "BENCH-STUCK $(wc -c </tmp/rx) $(grep -h 'uart:16550A' /proc/tty/driver/serial | tr '\n' ' ')" ) &
	wp=$!
	wait $hp
	kill $wp 2>/dev/null || true
	echo "BENCH-H2G-GOT"
	echo "BENCH-H2G-MD5 $(md5sum </tmp/rx | cut -c1-32)"
	rm -f /tmp/rx
	[ -z "$hog" ] || kill "$hog"
done
r=0
while [ $r -lt "$rounds" ]; do
	for load in idle busy; do
		hog=
		if [ $load = busy ]; then
			chrt -i 0 sh -c 'while :; do :; done' &
			hog=$!
			sleep 0.3
		fi
		echo "BENCH-ECHO-READY $load"
		dd bs=1 count="$pings" <&3 >&3 2>/dev/null
		echo "BENCH-ECHO-DONE"
		[ -z "$hog" ] || kill "$hog"
	done
	r=$((r + 1))
done
