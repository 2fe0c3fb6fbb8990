#!/usr/bin/env bash
# The guest-cpu suite: the benchmark kernels of perf/guest-bench run inside
# the same guest under ringvm and qemu-system-riscv64, and natively on the
# host (the physical limit). Prints one line per kernel with QEMU as the
# anchor and the native time alongside, plus the geometric means.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${RINGVM_BUILD:?set RINGVM_BUILD}
guest=$("$root/guest/build.sh" | tail -n 1)
accels=${RINGVM_PERF_ACCELS:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_guest() { # emu outfile [accel]
  python3 "$here/../lib/guestrun.py" --emu "$1" --build "$build" --guest "$guest" \
    --run bench-cpu --timeout 1800 ${3:+--accel "$3"} >"$2" || true
}
run_guest qemu "$tmp/qemu.json"
run_guest ringvm "$tmp/ringvm.json"
for a in $accels; do run_guest ringvm "$tmp/ringvm-$a.json" "$a"; done
"$build/perf/guest-bench/ringvm-bench" all >"$tmp/native.jsonl"

python3 - "$tmp" $accels <<'PY'
import json, math, os, sys
tmp, accels = sys.argv[1], sys.argv[2:]
def guest(name):
    try:
        d = json.load(open(os.path.join(tmp, name)))
    except (OSError, ValueError):
        return {}
    return {r["metric"]: r for r in d.get("results", []) if r.get("suite") == "guest-cpu"}
qemu, native = guest("qemu.json"), {}
for line in open(os.path.join(tmp, "native.jsonl")):
    r = json.loads(line)
    native[r["metric"]] = r
def report(label, ours):
    ratios = []
    for k in sorted(native):
        o, q, n = ours.get(k), qemu.get(k), native[k]
        if o and o.get("check") == "FAIL":
            print(json.dumps({"suite": "guest-cpu", "metric": k + label, "error": "checksum FAIL"}))
            continue
        v = o["value"] if o else None
        qv = q["value"] if q else None
        print(json.dumps({"suite": "guest-cpu", "metric": k + label, "value": v, "unit": "s",
                          "anchor": "qemu-system-riscv64", "anchor_value": qv,
                          "native_value": n["value"]}))
        if v and qv:
            ratios.append(qv / v)
    if ratios:
        g = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        print(json.dumps({"suite": "guest-cpu", "metric": "geomean_speedup_vs_qemu" + label,
                          "value": round(g, 3), "unit": "x", "anchor": "qemu-system-riscv64",
                          "anchor_value": 1.0}))
report("", guest("ringvm.json"))
for a in accels:
    report("_" + a, guest("ringvm-%s.json" % a))
PY
