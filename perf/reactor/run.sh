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

# The host disk here is shared and its speed drifts by 10x within minutes,
# so run short rounds that interleave the anchor with each engine and report
# the median of the per-round ratios (each ratio is against the fio runs just
# before and after it), next to the median IOPS.
rounds=${RINGVM_PERF_ROUNDS:-5}
secs_round=$(python3 -c "print(max(1, round($secs / $rounds, 1)))")
secs=$secs_round
res=()
prev=$(fio_iops)
for i in $(seq "$rounds"); do
  u=$(ours io_uring); n=$(ours native); t=$(ours threads)
  next=$(fio_iops)
  res+=("$prev $u $n $t $next")
  prev=$next
done
printf '%s\n' "${res[@]}" | python3 -c '
import json, statistics as st, sys
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
fio = st.median([x for r in rows for x in (r[0], r[4])])
for k, eng in ((1, "io_uring"), (2, "native"), (3, "threads")):
    ratios = [r[k] / ((r[0] + r[4]) / 2) for r in rows]
    print(json.dumps({"suite": "reactor", "metric": "randread_4k_qd32_direct_" + eng,
                      "value": round(st.median(r[k] for r in rows)), "unit": "IOPS",
                      "anchor": "fio io_uring", "anchor_value": round(fio),
                      "ratio_median": round(st.median(ratios), 3),
                      "ratio_min": round(min(ratios), 3), "rounds": len(rows)}))'

for poller in uring epoll; do
  "$build/perf/reactor/bench-kick" 20000 "$poller" | python3 -c '
import json,sys
d=json.load(sys.stdin)
for k in ("p50_us","p99_us"):
    print(json.dumps({"suite":"reactor","metric":"kick_latency_%s_%s" % (d["poller"], k[:3]),
                      "value":d[k],"unit":"us","anchor":None,"anchor_value":None}))'
done
