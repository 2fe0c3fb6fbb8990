#!/bin/sh
# disk-io: 4 KiB random I/O on a virtio disk with O_DIRECT (rwtest), QD1 and QD4.
# Placeholder for the disk benchmarks: read-only unless "write" is passed.
# Arguments: [DEVICE] [write] [SECONDS]   default: /dev/vda, read-only, 5 s.
dev=/dev/vda mode=read secs=5
for a in "$@"; do
	case "$a" in
	/dev/*) dev=$a ;;
	write) mode=write ;;
	[0-9]*) secs=$a ;;
	esac
done
if [ ! -b "$dev" ]; then
	echo "disk-io: no block device $dev (attach a disk)"
	exit 77
fi
rc=0
for qd in 1 4; do
	rwtest -m read -t "$qd" -s "$secs" "$dev" || rc=1
	if [ "$mode" = write ]; then
		rwtest -m write -V -t "$qd" -s "$secs" "$dev" || rc=1
	fi
done
exit $rc
