#!/usr/bin/env bash
# The fflags-clearing FP loop (fp-nx-loop.S, bench-fp-nx's clear_read
# variant) as a bare-metal guest under ringvm (-accel jit) and
# qemu-system-riscv64 (TCG), whole machines, wall-clock: each runs a short
# and a long pass count and the difference gives ns per pass without the
# start-up. RINGVM_PERF_RUNS rounds (default 3) alternate the two
# emulators; medians. Also the same loop with NX set (no fflags traffic).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${RINGVM_BUILD:?set RINGVM_BUILD}
runs=${RINGVM_PERF_RUNS:-3}
cc=$(command -v riscv64-unknown-elf-gcc || command -v riscv64-linux-gnu-gcc || true)
[ -n "$cc" ] || { echo "fp-nx-qemu: no riscv64 gcc (see scripts/deps.sh)" >&2; exit 1; }
command -v qemu-system-riscv64 >/dev/null || { echo "fp-nx-qemu: no qemu-system-riscv64" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
short=1000000 long=21000000
for v in clear nxset; do
  defs=""
  [ $v = clear ] && defs=-DCLEAR
  for n in $short $long; do
    "$cc" -nostdlib -nostartfiles -static -march=rv64gc -mabi=lp64d -Wl,-N,--no-warn-rwx-segments,-Ttext=0x80000000 \
      -DPASSES=$n $defs -o "$tmp/$v.$n.elf" "$here/fp-nx-loop.S"
  done
done
secs() { # cmd...: wall seconds (bash 5's EPOCHREALTIME), or fail
  local t0=$EPOCHREALTIME
  timeout 120 "$@" </dev/null >/dev/null 2>&1 || return 1
  python3 -c "print($EPOCHREALTIME - $t0)"
}
for i in $(seq "$runs"); do
  for v in clear nxset; do
    for n in $short $long; do
      echo "qemu $v $n $(secs qemu-system-riscv64 -M virt -m 128M -bios none -nographic \
        -kernel "$tmp/$v.$n.elf")" >>"$tmp/times"
      echo "ringvm $v $n $(secs "$build/ringvm" -M virt -m 128M -bios none -nographic \
        -kernel "$tmp/$v.$n.elf")" >>"$tmp/times"
    done
  done
done
python3 - "$tmp/times" "$short" "$long" "$runs" <<'PY'
import json, statistics, sys
path, short, long_, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t = {}
for line in open(path):
    emu, v, n, s = line.split()
    t.setdefault((emu, v, int(n)), []).append(float(s))
def per_pass(emu, v):
    return (statistics.median(t[(emu, v, long_)]) - statistics.median(t[(emu, v, short)])) \
        / (long_ - short) * 1e9
for v, name in (("clear", "clear_read"), ("nxset", "nx_set")):
    print(json.dumps({"suite": "jit", "metric": "fp_nx_%s_guest_ns_per_pass" % name,
                      "value": round(per_pass("ringvm", v), 2), "unit": "ns",
                      "anchor": "qemu-system-riscv64", "anchor_value": round(per_pass("qemu", v), 2),
                      "runs": runs}))
PY
