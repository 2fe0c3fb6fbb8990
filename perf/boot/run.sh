#!/usr/bin/env bash
# The boot suite: time from start to the guest's init (the RINGVM-BOOT-OK
# marker printed by /init) for the same kernel, initramfs and firmware under
# ringvm and qemu-system-riscv64, median of 3 runs each, interleaved.
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
