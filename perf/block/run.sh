#!/usr/bin/env bash
# perf/block/run.sh [BUILD_DIR] - ringvm-img bench/convert against qemu-img
# on the same files and parameters, in one run (a few minutes).
#
# Prints JSON lines {"suite":"block","metric":..,"value":..,"unit":..,
# "anchor":"qemu-img","anchor_value":..} (bench lines add fio's figure for
# the same pattern and CPU time per request); progress goes to stderr.
# qemu-img bench only steps sequentially, so the "4k" cases step by
# 1 MiB + 4 KiB through a 1 GiB file (wrapping), which spreads requests over
# the whole file the same way for both tools.
# Env: PERF_DIR (scratch, default a temp dir under /var/tmp), PERF_SCALE
# (multiplies request counts, default 1), PERF_ROUNDS (default 5),
# PERF_CASES (regex on the case names, default all).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${RINGVM_BUILD:-$root/build/release}}
IMG="$build/ringvm-img"
[ -x "$IMG" ] || { echo "ringvm-img not found in $build (scripts/build.sh Release)" >&2; exit 1; }
command -v qemu-img >/dev/null || { echo "qemu-img is needed as the anchor (apt-get install qemu-utils)" >&2; exit 1; }
command -v fio >/dev/null || { echo "fio is needed as the device anchor (apt-get install fio)" >&2; exit 1; }
scale=${PERF_SCALE:-1}
dir=${PERF_DIR:-$(mktemp -d /var/tmp/ringvm-perf-block.XXXXXX)}
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
log() { echo "[perf/block] $*" >&2; }


log "preparing 1 GiB raw and preallocated qcow2 files in $dir"
qemu-img create -q -f raw -o preallocation=full "$dir/d.raw" 1G
qemu-img create -q -f qcow2 -o preallocation=full "$dir/d.qcow2" 1G
sync

# One workload = the same requests on raw and on qcow2, by both tools,
# plus fio's figure for the pattern on the raw file (the device's ceiling
# as fio sees it: io_uring, O_DIRECT, same depth and size, registered files
# and fixed buffers; random offsets for the 4k cases, sequential for 1M).
# The shared disk's speed drifts by several times within minutes, so each
# workload runs PERF_ROUNDS short rounds, each timing all five runs back to
# back (the order alternates), and reports medians of the per-round ratios
# (and their minimum). CPU time (user+sys) per request is measured too:
# when the device is the limit, that is where the tools differ.
rounds=${PERF_ROUNDS:-5}
# prints "secs cpu_secs" of one bench run
bench_run() {
	local out cpu
	cpu=$( { TIMEFORMAT='%U %S'; time "$@" >"$dir/bench.out" 2>/dev/null; } 2>&1 )
	out=$(sed -n 's/^Run completed in \([0-9.]*\) seconds\./\1/p' "$dir/bench.out")
	[ -n "$out" ] || return 1
	echo "$out $(echo "$cpu" | awk '{ print $1 + $2 }')"
}
# prints "secs" fio needed for count requests (from its IOPS)
fio_run() { # rw size count
	fio --name=anchor --filename="$dir/d.raw" --ioengine=io_uring --direct=1 --rw="$1" \
		--bs="$2" --iodepth=32 --size=1G --number_ios="$3" --norandommap --randrepeat=0 \
		--fixedbufs --registerfiles --output-format=json 2>/dev/null |
		python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]
print(round(int(sys.argv[1]) / max(j["read"]["iops"] + j["write"]["iops"], 1e-9), 6))' "$3"
}
# PERF_CASES: a regex picking workloads by name (default all; "convert"
# picks the convert cases)
cases=${PERF_CASES:-.}
run_workload() { # name count size step fio-rw [-w]
	local name=$1 count=$2 size=$3 step=$4 frw=$5; shift 5
	[[ $name =~ $cases ]] || return 0
	local common=(-d 32 -s "$size" -S "$step" -t none -i io_uring "$@")
	local fmt i t rows="" row
	for fmt in raw qcow2; do # warm-up (metadata caches, the host's cache)
		"$IMG" bench -q -c $((count / 10)) -f $fmt "${common[@]}" "$dir/d.$fmt" >/dev/null 2>&1 || true
		qemu-img bench -q -c $((count / 10)) -f $fmt "${common[@]}" "$dir/d.$fmt" >/dev/null 2>&1 || true
	done
	for i in $(seq "$rounds"); do
		local order=(qr rr f qq rq)
		[ $((i % 2)) = 0 ] && order=(rq qq f rr qr)
		declare -A res=()
		for t in "${order[@]}"; do
			case $t in
			f) res[f]=$(fio_run "$frw" "$size" "$count") ;;
			q*) fmt=raw; [ $t = qq ] && fmt=qcow2
			    res[$t]=$(bench_run qemu-img bench -c "$count" -f $fmt "${common[@]}" "$dir/d.$fmt") ;;
			r*) fmt=raw; [ $t = rq ] && fmt=qcow2
			    res[$t]=$(bench_run "$IMG" bench -c "$count" -f $fmt "${common[@]}" "$dir/d.$fmt") ;;
			esac
			[ -n "${res[$t]}" ] || { log "$name: a run ($t) failed"; return 1; }
		done
		row="${res[rr]} ${res[qr]} ${res[rq]} ${res[qq]} ${res[f]}"
		rows="$rows$row"$'\n'
		log "$name round $i (secs cpu: ringvm raw, qemu raw, ringvm qcow2, qemu qcow2; fio secs): $row"
		unset res
	done
	local unit=MiB/s
	[ "$size" = 4k ] && unit=IOPS
	printf '%s' "$rows" | python3 -c '
import json, statistics as st, sys
name, unit, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
# columns: rr_s rr_cpu qr_s qr_cpu rq_s rq_cpu qq_s qq_cpu fio_s
rate = lambda s: count / max(s, 1e-9)
med = lambda xs: round(st.median(xs), 3)
fio = [rate(r[8]) for r in rows]
for fmt, ro, qo in (("raw", 0, 2), ("qcow2", 4, 6)):
    ratios = [rate(r[ro]) / rate(r[qo]) for r in rows]
    print(json.dumps({"suite": "block", "metric": fmt + "_" + name,
        "value": round(st.median(rate(r[ro]) for r in rows), 1), "unit": unit,
        "anchor": "qemu-img", "anchor_value": round(st.median(rate(r[qo]) for r in rows), 1),
        "ratio_median": med(ratios), "ratio_min": round(min(ratios), 3),
        "fio_value": round(st.median(fio), 1),
        "ratio_to_fio": med([rate(r[ro]) / f for r, f in zip(rows, fio)]),
        "anchor_ratio_to_fio": med([rate(r[qo]) / f for r, f in zip(rows, fio)]),
        "cpu_us_per_req": med([r[ro + 1] * 1e6 / count for r in rows]),
        "anchor_cpu_us_per_req": med([r[qo + 1] * 1e6 / count for r in rows]),
        "rounds": len(rows)}))
# qcow2 against raw, each tool against itself in the same rounds
q = [rate(r[4]) / rate(r[0]) for r in rows]
print(json.dumps({"suite": "block", "metric": "qcow2_vs_raw_" + name, "value": med(q),
    "unit": "ratio", "anchor": "qemu-img",
    "anchor_value": med([rate(r[6]) / rate(r[2]) for r in rows]),
    "ratio_min": round(min(q), 3), "rounds": len(rows)}))' "$name" "$unit" "$count"
}

n4k=$((30000 * scale)); n1m=$((1024 * scale))
run_workload 4k_read_qd32_direct_uring "$n4k" 4k 1052672 randread
run_workload 4k_write_qd32_direct_uring "$n4k" 4k 1052672 randwrite -w
run_workload 1m_seq_read_qd32_direct_uring "$n1m" 1M 1M read
run_workload 1m_seq_write_qd32_direct_uring "$n1m" 1M 1M write -w

[[ convert =~ $cases ]] || exit 0
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
