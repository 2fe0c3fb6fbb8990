#!/usr/bin/env bash
# The reactor suite: 4 KiB random O_DIRECT reads at queue depth 32 on a
# 1 GiB file through each engine, next to fio (ioengine=io_uring) on the same
# file in the same run; and cross-thread kick latency (p50/p99).
set -euo pipefail
build=${RINGVM_BUILD:?set RINGVM_BUILD}
dir=${RINGVM_PERF_DIR:-/var/tmp/ringvm-perf}
secs=${RINGVM_PERF_SECONDS:-8}
file="$dir/reactor-1g.img"
mkdir -p "$dir"
if [ ! -f "$file" ] || [ "$(stat -c %s "$file")" -ne $((1 << 30)) ]; then
  # Real data blocks: reads of unwritten extents would never reach the disk.
  head -c $((1 << 30)) /dev/urandom | dd of="$file" bs=1M iflag=fullblock oflag=direct status=none
fi

fio_iops() {
  fio --name=randread --filename="$file" --ioengine=io_uring --direct=1 --rw=randread \
      --bs=4k --iodepth=32 --runtime="$secs" --time_based --output-format=json 2>/dev/null |
    python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["read"]["iops"]))'
}
ours() {
  "$build/perf/reactor/bench-randread" "$file" "$1" "$secs" 32 |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["iops"])'
}

# Interleave the anchor with ours so drift on a shared machine hits both.
f1=$(fio_iops)
u=$(ours io_uring)
n=$(ours native)
t=$(ours threads)
f2=$(fio_iops)
fio=$(( (f1 + f2) / 2 ))
for pair in "io_uring:$u" "native:$n" "threads:$t"; do
  eng=${pair%%:*} v=${pair#*:}
  printf '{"suite":"reactor","metric":"randread_4k_qd32_direct_%s","value":%s,"unit":"IOPS","anchor":"fio io_uring","anchor_value":%s,"ratio":%s}\n' \
    "$eng" "$v" "$fio" "$(python3 -c "print(round($v/$fio,3))")"
done

for poller in uring epoll; do
  "$build/perf/reactor/bench-kick" 20000 "$poller" | python3 -c '
import json,sys
d=json.load(sys.stdin)
for k in ("p50_us","p99_us"):
    print(json.dumps({"suite":"reactor","metric":"kick_latency_%s_%s" % (d["poller"], k[:3]),
                      "value":d[k],"unit":"us","anchor":None,"anchor_value":None}))'
done
