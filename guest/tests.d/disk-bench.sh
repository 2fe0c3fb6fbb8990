#!/bin/sh
# disk-bench: read/write speed of a virtio disk for perf/disk/run.sh, as JSON
# lines: hdparm -t, sequential O_DIRECT dd (1 MiB blocks), then rwtest 4 KiB
# random O_DIRECT reads and writes at queue depth 1 and 32.
# Arguments: [SECONDS] [DEVICE]   default 5 s, /dev/vda. DESTROYS the disk's data.
secs=${1:-5} dev=${2:-/dev/vda}
if [ ! -b "$dev" ]; then
	echo "disk-bench: no block device $dev (attach a disk)"
	exit 77
fi
json() { echo "{\"suite\":\"disk-guest\",\"metric\":\"$1\",\"value\":$2,\"unit\":\"$3\",\"anchor\":null,\"anchor_value\":null}"; }
rc=0
# "Timing buffered disk reads: 180 MB in  3.01 seconds =  59.80 MB/sec"
out=$(hdparm -t "$dev" 2>&1)
echo "$out"
# busybox: "Timing buffered disk reads:  256 MB in 1.93 seconds = 135803 kB/s"
# (then an HDIO_DRIVE_CMD complaint virtio-blk rightly refuses)
v=$(echo "$out" | sed -n 's/.*reads:.*= *\([0-9]*\) kB\/s.*/\1/p')
[ -n "$v" ] && v=$(awk -v k="$v" 'BEGIN { printf "%.1f", k / 1024 }')
[ -n "$v" ] && json hdparm_t "$v" MiB/s || rc=1
size_mb=$(( $(cat /sys/block/${dev#/dev/}/size) / 2048 ))
[ "$size_mb" -gt 512 ] && size_mb=512
t0=$(cut -d' ' -f1 /proc/uptime)
dd if="$dev" of=/dev/null bs=1M count="$size_mb" iflag=direct 2>/dev/null || rc=1
t1=$(cut -d' ' -f1 /proc/uptime)
json dd_seqread_1m_direct "$(awk -v m="$size_mb" -v a="$t0" -v b="$t1" \
	'BEGIN { printf "%.1f", m / (b - a) }')" MiB/s
for qd in 1 32; do
	rwtest -m read -t "$qd" -s "$secs" -r "$size_mb" "$dev" || rc=1
	rwtest -m write -t "$qd" -s "$secs" -r "$size_mb" "$dev" || rc=1
done
exit $rc
