#!/usr/bin/env bash
# The disk suite: the same kernel, initramfs and image under ringvm and
# qemu-system-riscv64 (virtio-blk, cache=none, aio=io_uring for both), raw
# and qcow2, running guest test disk-bench (hdparm -t, dd 1 MiB O_DIRECT,
# rwtest 4 KiB random read/write at QD1 and QD32); the host's own speed on
# the same file with fio (O_DIRECT, io_uring) is the limit.
# Each ringvm figure carries QEMU's as its anchor and the host's as "host".
# Env: RINGVM_BUILD (required), RINGVM_PERF_DIR, RINGVM_PERF_SECONDS,
# RINGVM_GUEST_DIR (else guest/build.sh), RINGVM_ACCEL (default jit).
set -euo pipefail
build=${RINGVM_BUILD:?set RINGVM_BUILD}
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=${RINGVM_PERF_DIR:-/var/tmp/ringvm-perf}
secs=${RINGVM_PERF_SECONDS:-5}
accel=${RINGVM_ACCEL:-jit}
guest=${RINGVM_GUEST_DIR:-$("$src/guest/build.sh" | tail -n1)}
mkdir -p "$dir"
raw="$dir/disk-512m.raw" qcow="$dir/disk-512m.qcow2" res="$dir/disk-results.jsonl"
# Real data everywhere: reads of holes never reach the host disk.
if [ ! -f "$raw" ] || [ "$(stat -c %s "$raw")" -ne $((512 << 20)) ]; then
  head -c $((512 << 20)) /dev/urandom | dd of="$raw" bs=1M iflag=fullblock oflag=direct status=none
fi
rm -f "$qcow"
"$build/ringvm-img" convert -f raw -O qcow2 "$raw" "$qcow"

host_fio() { # host_fio RW BS QD -> IOPS and MiB/s
  fio --name=h --filename="$raw" --ioengine=io_uring --direct=1 --rw="$1" --bs="$2" \
      --iodepth="$3" --runtime="$secs" --time_based --output-format=json 2>/dev/null |
    python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]; d=j["read"] if j["read"]["io_bytes"] else j["write"]; print(round(d["iops"]), round(d["bw"]/1024, 1))'
}

: >"$res"
for fmt in raw qcow2; do
  f=$raw; [ "$fmt" = qcow2 ] && f=$qcow
  for emu in ringvm qemu; do
    extra=(--emu-arg=-drive "--emu-arg=file=$f,format=$fmt,if=none,id=d0,cache=none,aio=io_uring"
           --emu-arg=-device --emu-arg=virtio-blk-device,drive=d0)
    [ "$emu" = ringvm ] && extra+=(--accel "$accel")
    [ "$emu" = qemu ] && extra+=(--emu-arg=-device --emu-arg=virtio-rng-device)
    python3 "$src/perf/lib/guestrun.py" --emu "$emu" --build "$build" --guest "$guest" \
      --run disk-bench --args "$secs" --mem 512M --timeout 900 "${extra[@]}" |
      python3 -c 'import json,sys; d=json.load(sys.stdin); d["fmt"]=sys.argv[1]; print(json.dumps(d))' "$fmt" >>"$res" || true
  done
done
read -r _ seq_mib < <(host_fio read 1M 1)
read -r rr1 _ < <(host_fio randread 4k 1)
read -r rr32 _ < <(host_fio randread 4k 32)
read -r rw1 _ < <(host_fio randwrite 4k 1)
read -r rw32 _ < <(host_fio randwrite 4k 32)

python3 - "$res" "$seq_mib" "$rr1" "$rr32" "$rw1" "$rw32" <<'PY'
import json, sys
res = [json.loads(l) for l in open(sys.argv[1])]
seq, rr1, rr32, rw1, rw32 = (float(x) for x in sys.argv[2:])
host = {"hdparm_t": seq, "dd_seqread_1m_direct": seq, "randread_qd1_iops": rr1,
        "randread_qd32_iops": rr32, "randwrite_qd1_iops": rw1, "randwrite_qd32_iops": rw32}
by = {}
for r in res:
    for m in r["results"]:
        by[(r["fmt"], r["emu"], m["metric"])] = m
    if r["exit"] != 0 or "RINGVM-RUN-END" not in r["marks"]:
        print(json.dumps({"suite": "disk", "metric": "run_failed_%s_%s" % (r["emu"], r["fmt"]),
                          "value": 1, "unit": "bool", "anchor": None, "anchor_value": None,
                          "tail": r.get("tail")}))
for (fmt, emu, metric), m in sorted(by.items()):
    if emu != "ringvm":
        continue
    q = by.get((fmt, "qemu", metric))
    out = {"suite": "disk", "metric": "%s_%s" % (metric, fmt), "value": m["value"],
           "unit": m["unit"], "anchor": "qemu-system-riscv64",
           "anchor_value": q["value"] if q else None,
           "ratio": round(m["value"] / q["value"], 3) if q and q["value"] else None,
           "host": host.get(metric), "host_tool": "fio io_uring O_DIRECT"}
    print(json.dumps(out))
PY
