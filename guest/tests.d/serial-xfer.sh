#!/bin/sh
# serial-xfer: move a file over a second serial port (the link under test),
# with the console on ttyS0 for the harness.
#   serial-xfer recv DEV BYTES   raw mode, print SERIAL-READY, read BYTES,
#                                print SERIAL-MD5 <sum> SERIAL-SECS <s>
#   serial-xfer send DEV BYTES   BYTES of /dev/urandom into /tmp, print
#                                SERIAL-MD5 <sum>, then write it to DEV
#   serial-xfer stream DEV BYTES [busy]  benchmark: SERIAL-GO on DEV, then
#                                BYTES raw (a CPU-bound loop runs meanwhile
#                                with "busy"), then SERIAL-MD5 <sum>
#   serial-xfer echo DEV         copy DEV back to itself until killed
# Baud: the highest rate busybox stty accepts that the 8250 driver sets.
set -e
mode=$1 dev=$2 n=${3:-0}
setup() {
	for b in 4000000 3000000 1500000 921600 460800 230400 115200; do
		if stty -F "$dev" "$b" raw -echo -ixon -ixoff crtscts 2>/dev/null; then
			echo "SERIAL-BAUD $b"
			return 0
		fi
	done
	stty -F "$dev" raw -echo
}
case $mode in
recv)
	exec 3<"$dev"
	setup
	echo "SERIAL-READY"
	t0=$(date +%s)
	head -c "$n" <&3 >/tmp/rx
	t1=$(date +%s)
	echo "SERIAL-MD5 $(md5sum </tmp/rx | cut -c1-32) SERIAL-BYTES $(wc -c </tmp/rx) SERIAL-SECS $((t1 - t0))"
	;;
send)
	exec 3>"$dev"
	setup
	head -c "$n" /dev/urandom >/tmp/tx
	echo "SERIAL-MD5 $(md5sum </tmp/tx | cut -c1-32)"
	cat /tmp/tx >&3
	# wait until the UART has sent everything before poweroff
	sleep 1
	echo "SERIAL-SENT"
	;;
stream)
	exec 3>"$dev"
	setup >/dev/null
	head -c "$n" /dev/urandom >/tmp/tx
	sum=$(md5sum </tmp/tx | cut -c1-32)
	[ "${4:-}" = busy ] && { while :; do :; done & }
	printf 'SERIAL-GO\n' >&3
	cat /tmp/tx >&3
	printf '\nSERIAL-MD5 %s\n' "$sum" >&3
	sleep 1
	;;
echo)
	exec 3<>"$dev"
	setup
	echo "SERIAL-READY"
	cat <&3 >&3
	;;
*)
	echo "usage: serial-xfer recv|send|echo DEV [BYTES]"; exit 2 ;;
esac
