#!/usr/bin/env bash
# perf/block/run.sh [BUILD_DIR] - ringvm-img bench/convert against qemu-img
# on the same files and parameters, in one run (a few minutes).
#
# Prints JSON lines {"suite":"block","metric":..,"value":..,"unit":..,
# "anchor":"qemu-img","anchor_value":..}; progress goes to stderr.
# qemu-img bench only steps sequentially, so the "4k" cases step by
# 1 MiB + 4 KiB through a 1 GiB file (wrapping), which spreads requests over
# the whole file the same way for both tools.
# Env: PERF_DIR (scratch, default a temp dir under /var/tmp), PERF_SCALE
# (multiplies request counts, default 1), PERF_ROUNDS (default 5).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${RINGVM_BUILD:-$root/build/release}}
IMG="$build/ringvm-img"
[ -x "$IMG" ] || { echo "ringvm-img not found in $build (scripts/build.sh Release)" >&2; exit 1; }
command -v qemu-img >/dev/null || { echo "qemu-img is needed as the anchor (apt-get install qemu-utils)" >&2; exit 1; }
scale=${PERF_SCALE:-1}
dir=${PERF_DIR:-$(mktemp -d /var/tmp/ringvm-perf-block.XXXXXX)}
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
log() { echo "[perf/block] $*" >&2; }

# seconds from "Run completed in X seconds."
bench_secs() { "$@" | sed -n 's/^Run completed in \([0-9.]*\) seconds\./\1/p'; }

log "preparing 1 GiB raw and preallocated qcow2 files in $dir"
qemu-img create -q -f raw -o preallocation=full "$dir/d.raw" 1G
qemu-img create -q -f qcow2 -o preallocation=full "$dir/d.qcow2" 1G
sync

# case: name fmt file count size step extra-args
# The shared disk's speed drifts by several times within minutes, so each
# case runs PERF_ROUNDS short rounds, each timing both tools back to back
# (the order alternates), and reports the median rate of each tool with
# the median and minimum of the per-round ratios.
rounds=${PERF_ROUNDS:-5}
run_case() {
	local name=$1 fmt=$2 file=$3 count=$4 size=$5 step=$6; shift 6
	local args=(-f "$fmt" -d 32 -s "$size" -S "$step" -t none -i io_uring "$@" "$file")
	# warm-up run of each tool (metadata caches, the kernel's page of the
	# L2 tables), then the measured rounds
	"$IMG" bench -q -c $((count / 10)) "${args[@]}" >/dev/null 2>&1 || true
	qemu-img bench -q -c $((count / 10)) "${args[@]}" >/dev/null 2>&1 || true
	local q r i rows=""
	for i in $(seq "$rounds"); do
		if [ $((i % 2)) = 1 ]; then
			q=$(bench_secs qemu-img bench -c "$count" "${args[@]}")
			r=$(bench_secs "$IMG" bench -c "$count" "${args[@]}")
		else
			r=$(bench_secs "$IMG" bench -c "$count" "${args[@]}")
			q=$(bench_secs qemu-img bench -c "$count" "${args[@]}")
		fi
		[ -n "$q" ] && [ -n "$r" ] || { log "$name: a bench run failed"; return 1; }
		rows="$rows$r $q"$'\n'
		log "$name round $i: ringvm-img ${r}s, qemu-img ${q}s for $count requests"
	done
	local unit=MiB/s
	[ "$size" = 4k ] && unit=IOPS
	printf '%s' "$rows" | python3 -c '
import json, statistics as st, sys
name, unit, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
rate = lambda s: count / max(s, 1e-9)
ratios = [rate(r) / rate(q) for r, q in rows]
print(json.dumps({"suite": "block", "metric": name,
                  "value": round(st.median(rate(r) for r, q in rows), 1), "unit": unit,
                  "anchor": "qemu-img", "anchor_value": round(st.median(rate(q) for r, q in rows), 1),
                  "ratio_median": round(st.median(ratios), 3), "ratio_min": round(min(ratios), 3),
                  "rounds": len(rows)}))' "$name" "$unit" "$count"
}

n4k=$((30000 * scale)); n1m=$((1024 * scale))
for fmt in raw qcow2; do
	f="$dir/d.$fmt"
	run_case "${fmt}_4k_read_qd32_direct_uring" "$fmt" "$f" "$n4k" 4k 1052672
	run_case "${fmt}_4k_write_qd32_direct_uring" "$fmt" "$f" "$n4k" 4k 1052672 -w
	run_case "${fmt}_1m_seq_read_qd32_direct_uring" "$fmt" "$f" "$n1m" 1M 1M
	run_case "${fmt}_1m_seq_write_qd32_direct_uring" "$fmt" "$f" "$n1m" 1M 1M -w
done

log "preparing a 4 GiB qcow2 image with 1 GiB of data in 4 MiB extents"
rm -f "$dir/d.raw" "$dir/d.qcow2"
truncate -s 4G "$dir/src.raw"
head -c 4M /dev/urandom >"$dir/chunk"
for i in $(seq 0 255); do
	dd if="$dir/chunk" of="$dir/src.raw" bs=4M seek=$((i * 4)) conv=notrunc status=none
done
qemu-img convert -O qcow2 "$dir/src.raw" "$dir/src.qcow2"
rm -f "$dir/src.raw" "$dir/chunk"
cat "$dir/src.qcow2" >/dev/null
conv_time() { # tool outfmt
	local t0 t1
	rm -f "$dir/out"
	sync
	t0=$(date +%s.%N)
	"$1" convert -t writeback -O "$2" "$dir/src.qcow2" "$dir/out"
	sync
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
for ofmt in qcow2 raw; do
	rows=""
	for i in $(seq "$rounds"); do
		if [ $((i % 2)) = 1 ]; then
			q=$(conv_time qemu-img "$ofmt"); r=$(conv_time "$IMG" "$ofmt")
		else
			r=$(conv_time "$IMG" "$ofmt"); q=$(conv_time qemu-img "$ofmt")
		fi
		rows="$rows$r $q"$'\n'
		log "convert to $ofmt round $i: ringvm-img ${r}s, qemu-img ${q}s"
	done
	# ratio: qemu-img's time / ringvm-img's (> 1 = ringvm-img faster)
	printf '%s' "$rows" | python3 -c '
import json, statistics as st, sys
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
ratios = [q / max(r, 1e-9) for r, q in rows]
print(json.dumps({"suite": "block", "metric": "convert_4g_1g_data_qcow2_to_" + sys.argv[1],
                  "value": round(st.median(r for r, q in rows), 3), "unit": "s",
                  "anchor": "qemu-img", "anchor_value": round(st.median(q for r, q in rows), 3),
                  "ratio_median": round(st.median(ratios), 3), "ratio_min": round(min(ratios), 3),
                  "rounds": len(rows)}))' "$ofmt"
done
