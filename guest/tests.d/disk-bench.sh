#!/bin/sh
# disk-bench: read/write speed of a virtio disk for perf/disk/run.sh, as JSON
# lines: hdparm -t (buffered sequential reads), sequential O_DIRECT dd (1 MiB
# blocks), then rwtest 4 KiB random O_DIRECT reads and writes at queue depth 1
# and 32. Each case also prints how the guest's block layer sent it (requests
# completed, average request size from /sys/block/DEV/stat) and the queue
# limits once, so a change in request shape shows next to the figure.
# Arguments: [SECONDS] [DEVICE] [CASES]   default 5 s, /dev/vda, all cases;
# CASES is a list (spaces or '+') of hdparm dd rr1 rw1 rr32 rw32.
# DESTROYS the disk's data (rw1, rw32).
secs=${1:-5} dev=${2:-/dev/vda} cases=${3:-hdparm+dd+rr1+rw1+rr32+rw32}
if [ ! -b "$dev" ]; then
	echo "disk-bench: no block device $dev (attach a disk)"
	exit 77
fi
name=${dev#/dev/}
json() { echo "{\"suite\":\"disk-guest\",\"metric\":\"$1\",\"value\":$2,\"unit\":\"$3\",\"anchor\":null,\"anchor_value\":null}"; }
q=/sys/block/$name/queue
echo "disk-bench: $dev max_segments=$(cat $q/max_segments) max_sectors_kb=$(cat $q/max_sectors_kb)" \
	"max_segment_size=$(cat $q/max_segment_size) read_ahead_kb=$(cat $q/read_ahead_kb)" \
	"optimal_io_size=$(cat $q/optimal_io_size)"
# /sys/block/X/stat: reads completed, merged, sectors, ms, writes completed, merged, sectors, ...
stat0() { set -- $(cat /sys/block/$name/stat); r0=$1 rs0=$3 w0=$5 ws0=$7; }
stat1() { # stat1 CASE: requests and average KiB per request since stat0
	c=$1
	set -- $(cat /sys/block/$name/stat)
	awk -v c="$c" -v r=$(($1 - r0)) -v rs=$(($3 - rs0)) -v w=$(($5 - w0)) -v ws=$(($7 - ws0)) \
		'BEGIN { printf "disk-bench: %s: %d reads avg %.1f KiB, %d writes avg %.1f KiB\n", c,
			r, r ? rs / 2 / r : 0, w, w ? ws / 2 / w : 0 }'
}
rc=0
size_mb=$(( $(cat /sys/block/$name/size) / 2048 ))
[ "$size_mb" -gt 512 ] && size_mb=512
for c in $(echo "$cases" | tr '+' ' '); do
	stat0
	case "$c" in
	hdparm)
		# busybox: "Timing buffered disk reads:  256 MB in 1.93 seconds = 135803 kB/s"
		# (then an HDIO_DRIVE_CMD complaint virtio-blk rightly refuses)
		out=$(hdparm -t "$dev" 2>&1)
		echo "$out"
		v=$(echo "$out" | sed -n 's/.*reads:.*= *\([0-9]*\) kB\/s.*/\1/p')
		[ -n "$v" ] && v=$(awk -v k="$v" 'BEGIN { printf "%.1f", k / 1024 }')
		[ -n "$v" ] && json hdparm_t "$v" MiB/s || rc=1
		;;
	dd)
		# Time inside the guest with dd's own clock (ns resolution), not
		# /proc/uptime (10 ms steps on a 0.3 s run).
		out=$(dd if="$dev" of=/dev/null bs=1M count="$size_mb" iflag=direct 2>&1) || rc=1
		echo "$out" | tail -n1
		# busybox dd: "536870912 bytes (512.0MB) copied, 0.301 seconds, 1.6GB/s"
		v=$(echo "$out" | sed -n 's/^\([0-9]*\) bytes.*copied, *\([0-9.]*\) seconds.*/\1 \2/p')
		[ -n "$v" ] && json dd_seqread_1m_direct \
			"$(echo "$v" | awk '{ printf "%.1f", $1 / 1048576 / $2 }')" MiB/s || rc=1
		;;
	rr1) rwtest -m read -t 1 -s "$secs" -r "$size_mb" "$dev" || rc=1 ;;
	rw1) rwtest -m write -t 1 -s "$secs" -r "$size_mb" "$dev" || rc=1 ;;
	rr32) rwtest -m read -t 32 -s "$secs" -r "$size_mb" "$dev" || rc=1 ;;
	rw32) rwtest -m write -t 32 -s "$secs" -r "$size_mb" "$dev" || rc=1 ;;
	*) echo "disk-bench: unknown case '$c'"; rc=1 ;;
	esac
	stat1 "$c"
done
exit $rc
