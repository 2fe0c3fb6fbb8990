#!/usr/bin/env bash
# The guest-cpu suite: the benchmark kernels of perf/guest-bench run inside
# the same guest under ringvm and qemu-system-riscv64, and natively on the
# host (the physical limit). RINGVM_PERF_RUNS rounds (default 3), each
# running QEMU, ringvm and native one after the other, so that load on a
# shared machine hits all three alike; each figure is the median over the
# rounds. Prints one line per kernel with QEMU as the anchor and the native
# time alongside, then the geometric means of ringvm's speedup over QEMU
# and of its slowdown against native.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${RINGVM_BUILD:?set RINGVM_BUILD}
guest=$("$root/guest/build.sh" | tail -n 1)
accels=${RINGVM_PERF_ACCELS:-}
runs=${RINGVM_PERF_RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_guest() { # emu outfile [accel]
  python3 "$here/../lib/guestrun.py" --emu "$1" --build "$build" --guest "$guest" \
    --run bench-cpu --timeout 1800 ${3:+--accel "$3"} >"$2" || true
}
for i in $(seq "$runs"); do
  run_guest qemu "$tmp/qemu.$i.json"
  run_guest ringvm "$tmp/ringvm.$i.json"
  for a in $accels; do run_guest ringvm "$tmp/ringvm-$a.$i.json" "$a"; done
  "$build/perf/guest-bench/ringvm-bench" all >"$tmp/native.$i.jsonl"
done

python3 - "$tmp" "$runs" $accels <<'PY'
import json, math, os, statistics, sys
tmp, runs, accels = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def guest_round(path):
    try:
        d = json.load(open(path))
    except (OSError, ValueError):
        return {}
    return {r["metric"]: r for r in d.get("results", []) if r.get("suite") == "guest-cpu"}
def native_round(path):
    return {r["metric"]: r for r in map(json.loads, open(path))}
def median_of(rounds):
    """metric -> median value over the rounds that have it ("FAIL" if any
    round's checksum was wrong)"""
    out = {}
    for k in {k for r in rounds for k in r}:
        got = [r[k] for r in rounds if k in r]
        if any(g.get("check") == "FAIL" for g in got):
            out[k] = "FAIL"
        else:
            out[k] = round(statistics.median(g["value"] for g in got), 6)
    return out
qemu = median_of([guest_round(os.path.join(tmp, "qemu.%d.json" % i)) for i in range(1, runs + 1)])
native = median_of([native_round(os.path.join(tmp, "native.%d.jsonl" % i))
                    for i in range(1, runs + 1)])
def geomean(v):
    return round(math.exp(sum(math.log(x) for x in v) / len(v)), 3) if v else None
def report(label, ours):
    vs_qemu, vs_native = [], []
    for k in sorted(native):
        v, qv, nv = ours.get(k), qemu.get(k), native[k]
        if v == "FAIL":
            print(json.dumps({"suite": "guest-cpu", "metric": k + label, "error": "checksum FAIL"}))
            continue
        qv = None if qv == "FAIL" else qv
        print(json.dumps({"suite": "guest-cpu", "metric": k + label, "value": v, "unit": "s",
                          "anchor": "qemu-system-riscv64", "anchor_value": qv,
                          "native_value": nv, "runs": runs}))
        if v and qv:
            vs_qemu.append(qv / v)
        if v and nv:
            vs_native.append(v / nv)
    if vs_qemu:
        print(json.dumps({"suite": "guest-cpu", "metric": "geomean_speedup_vs_qemu" + label,
                          "value": geomean(vs_qemu), "unit": "x",
                          "anchor": "qemu-system-riscv64", "anchor_value": 1.0}))
    if vs_native:
        print(json.dumps({"suite": "guest-cpu", "metric": "geomean_slowdown_vs_native" + label,
                          "value": geomean(vs_native), "unit": "x", "anchor": "native",
                          "anchor_value": 1.0}))
report("", median_of([guest_round(os.path.join(tmp, "ringvm.%d.json" % i))
                      for i in range(1, runs + 1)]))
for a in accels:
    report("_" + a, median_of([guest_round(os.path.join(tmp, "ringvm-%s.%d.json" % (a, i)))
                               for i in range(1, runs + 1)]))
PY
