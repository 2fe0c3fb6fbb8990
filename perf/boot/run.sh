#!/usr/bin/env bash
# The boot suite: time from start to the guest's init (the RINGVM-BOOT-OK
# marker printed by /init) for the same kernel, initramfs and firmware under
# ringvm and qemu-system-riscv64, median of 3 runs each, interleaved.
# Then the JIT's translation cost over one boot (RINGVM_JIT_STATS): blocks
# translated, blocks translated per second of translation time, and the
# share of the run (start to poweroff) spent translating.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${RINGVM_BUILD:?set RINGVM_BUILD}
guest=$("$root/guest/build.sh" | tail -n 1)
runs=${RINGVM_PERF_RUNS:-3}
accels=${RINGVM_PERF_ACCELS:-}

boot_time() { # emu [accel] -> seconds to init, or "null"
  python3 "$here/../lib/guestrun.py" --emu "$1" --build "$build" --guest "$guest" \
    --run hello --timeout 900 ${2:+--accel "$2"} |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["marks"].get("RINGVM-BOOT-OK","null"))'
}

median() { python3 -c 'import sys,statistics as s; v=[float(x) for x in sys.argv[1:] if x!="null"]; print(round(s.median(v),3) if v else "null")' "$@"; }

q=() r=()
declare -A ra
for i in $(seq "$runs"); do
  q+=("$(boot_time qemu)")
  r+=("$(boot_time ringvm)")
  for a in $accels; do ra[$a]+=" $(boot_time ringvm "$a")"; done
done
qm=$(median "${q[@]}")
rm_=$(median "${r[@]}")
printf '{"suite":"boot","metric":"boot_to_init","value":%s,"unit":"s","anchor":"qemu-system-riscv64","anchor_value":%s}\n' "$rm_" "$qm"
for a in $accels; do
  # shellcheck disable=SC2086
  printf '{"suite":"boot","metric":"boot_to_init_%s","value":%s,"unit":"s","anchor":"qemu-system-riscv64","anchor_value":%s}\n' "$a" "$(median ${ra[$a]})" "$qm"
done

# translation cost: one more boot with the JIT's statistics on
RINGVM_JIT_STATS=1 python3 - "$build/ringvm" "$guest" <<'PY'
import json, re, subprocess, sys, time
vm, g = sys.argv[1], sys.argv[2]
cmd = [vm, "-M", "virt", "-m", "512M", "-nographic", "-accel", "jit",
       "-bios", "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
       "-kernel", g + "/Image", "-initrd", g + "/initramfs.cpio.gz",
       "-append", "console=ttyS0 quiet ringvm.run=hello"]
t0 = time.monotonic()
p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
total = time.monotonic() - t0
m = re.search(r"jit: (\d+) blocks translated in ([0-9.]+) s", p.stderr + p.stdout)
if not m:
    print(json.dumps({"suite": "boot", "metric": "jit_translation", "error": "no jit statistics"}))
    sys.exit(0)
n, ts = int(m.group(1)), float(m.group(2))
for metric, value, unit in (("boot_blocks_translated", n, "blocks"),
                            ("boot_translate_rate", round(n / ts) if ts else None, "blocks/s"),
                            ("boot_translate_share", round(100 * ts / total, 2), "%"),
                            ("boot_run_s", round(total, 3), "s")):
    print(json.dumps({"suite": "boot", "metric": metric, "value": value, "unit": unit,
                      "anchor": None, "anchor_value": None}))
PY
