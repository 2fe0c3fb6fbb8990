#!/usr/bin/env bash
# The disk suite: the same kernel, initramfs and image under ringvm and
# qemu-system-riscv64 (virtio-blk, cache=none, aio=io_uring for both), raw
# and qcow2 (the qcow2 is `ringvm-img convert` of the raw one: every cluster
# allocated, the same file for both emulators), running guest test disk-bench
# one case per boot:
#   hdparm  busybox hdparm -t (buffered sequential reads)
#   dd      dd bs=1M iflag=direct, 512 MiB (sequential O_DIRECT, QD1)
#   rr1/rw1/rr32/rw32  rwtest 4 KiB random O_DIRECT reads/writes, QD1 / QD32
# Interleaved: for each case, RINGVM_PERF_ROUNDS rounds of (ringvm raw, QEMU
# raw, ringvm qcow2, QEMU qcow2, host fio on the raw file: O_DIRECT io_uring,
# the same block size and queue depth; 1 MiB QD1 reads for hdparm and dd).
# Both images are written anew at the start (see below).
# The shared disk drifts many-fold within minutes, so each figure is the
# median over rounds and "ratio" (ringvm/QEMU) and qcow2_vs_raw are medians
# of per-round ratios.
# Each ringvm figure carries QEMU's as its anchor and the host's as "host".
# ringvm runs with RINGVM_VIRTIO_STATS=1 (a clock read per hop): where its
# requests' time goes (QueueNotify -> reactor, host I/O, completion ->
# interrupt, interrupt -> the guest driver, guest CPU until the next
# request) is printed per case and format as suite "disk-hops" (medians
# over rounds of each run's median, microseconds), with the last hop also
# in guest instructions retired (driver_to_next_notify_insns).
# Env: RINGVM_BUILD (required), RINGVM_PERF_DIR (where the images live: the
# host disk by default; /dev/shm isolates emulator costs), RINGVM_PERF_SECONDS
# (per case, default 3), RINGVM_PERF_ROUNDS (default 3), RINGVM_PERF_CASES,
# RINGVM_PERF_FORMATS, RINGVM_GUEST_DIR (else guest/build.sh), RINGVM_ACCEL
# (default jit), RINGVM_PERF_PREALLOC (default 1: both emulators run with
# -mem-prealloc, so guest RAM is backed before the guest starts; hdparm
# otherwise pays the host's first write to each page of guest RAM inside
# the device's reads, which on this host costs anywhere from nothing to
# ~2 ms per 1 MiB request - see docs/virtio.md; 0 measures lazy RAM).
set -euo pipefail
build=${RINGVM_BUILD:?set RINGVM_BUILD}
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=${RINGVM_PERF_DIR:-/var/tmp/ringvm-perf}
secs=${RINGVM_PERF_SECONDS:-3}
rounds=${RINGVM_PERF_ROUNDS:-3}
cases=${RINGVM_PERF_CASES:-hdparm dd rr1 rw1 rr32 rw32}
formats=${RINGVM_PERF_FORMATS:-raw qcow2}
accel=${RINGVM_ACCEL:-jit}
prealloc=${RINGVM_PERF_PREALLOC:-1}
guest=${RINGVM_GUEST_DIR:-$("$src/guest/build.sh" | tail -n1)}
mkdir -p "$dir"
raw="$dir/disk-512m.raw" qcow="$dir/disk-512m.qcow2" res="$dir/disk-results.jsonl"
# Real data everywhere: reads of holes never reach the host disk. Both
# images are written anew on every run, one right after the other: the
# shared host's storage reads data written minutes ago several times faster
# than data written hours ago (fio, same minute: 800-1500 MiB/s against
# 60-220 MiB/s), so a raw image kept from an earlier run against a qcow2
# converted just now made qcow2 look 1.7-2.2x faster than raw.
rm -f "$raw" "$qcow"
head -c $((512 << 20)) /dev/urandom | dd of="$raw" bs=1M iflag=fullblock oflag=direct status=none
"$build/ringvm-img" convert -f raw -O qcow2 "$raw" "$qcow"
# Even so, the file written last (the qcow2) read faster on its first pass:
# host fio, one O_DIRECT pass each right after the convert, 673 MiB/s raw
# against 1185 qcow2; after two passes over both, 948-1067 for either. So
# both images get two O_DIRECT read passes before any figure is taken, and
# every tool (ringvm, QEMU, fio) then finds them in the same state.
for pass in 1 2; do
  for f in "$raw" "$qcow"; do dd if="$f" of=/dev/null bs=1M iflag=direct status=none; done
done

guest_run() { # guest_run EMU FMT CASE -> one JSON line (guestrun.py's)
  local f=$raw; [ "$2" = qcow2 ] && f=$qcow
  local extra=(--emu-arg=-drive "--emu-arg=file=$f,format=$2,if=none,id=d0,cache=none,aio=io_uring"
               --emu-arg=-device --emu-arg=virtio-blk-device,drive=d0)
  [ "$1" = ringvm ] && extra+=(--accel "$accel")
  [ "$prealloc" = 1 ] && extra+=(--emu-arg=-mem-prealloc)
  # ringvm adds a virtio-rng by default; give QEMU the same device set.
  [ "$1" = qemu ] && extra+=(--emu-arg=-device --emu-arg=virtio-rng-device)
  local stats=0; [ "$1" = ringvm ] && stats=1
  RINGVM_VIRTIO_STATS=$stats python3 "$src/perf/lib/guestrun.py" --emu "$1" --build "$build" --guest "$guest" \
    --run disk-bench --args "$secs,/dev/vda,$3" --mem 512M --timeout 600 "${extra[@]}" || true
}

host_fio() { # host_fio CASE -> one number (MiB/s for hdparm/dd, else IOPS)
  local rw bs qd
  case "$1" in
  hdparm|dd) rw=read bs=1M qd=1 ;;
  rr1) rw=randread bs=4k qd=1 ;;
  rw1) rw=randwrite bs=4k qd=1 ;;
  rr32) rw=randread bs=4k qd=32 ;;
  rw32) rw=randwrite bs=4k qd=32 ;;
  esac
  fio --name=h --filename="$raw" --ioengine=io_uring --direct=1 --rw="$rw" --bs="$bs" \
      --iodepth="$qd" --runtime="$secs" --time_based --output-format=json 2>/dev/null |
    python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]
d=j["read"] if j["read"]["io_bytes"] else j["write"]
print(round(d["bw"]/1024, 1) if sys.argv[1] in ("hdparm","dd") else round(d["iops"]))' "$1"
}

: >"$res"
for c in $cases; do
  for ((r = 1; r <= rounds; r++)); do
    # Odd rounds in the given order, even rounds reversed: neither image is
    # always the one read first (the host warms to a file as it is read).
    order=$formats
    ((r % 2)) || order=$(printf '%s\n' $formats | tac)
    # The first guest run of a round read slower whichever image it had
    # (hdparm, ringvm: 290/948/291 MiB/s on raw and 881/397/984 on qcow2
    # with raw first in rounds 1 and 3, qcow2 first in round 2): a run
    # whose figure is thrown away takes that place.
    guest_run ringvm raw "$c" >/dev/null
    for fmt in $order; do
      for emu in ringvm qemu; do
        guest_run "$emu" "$fmt" "$c" | python3 -c 'import json,sys
d=json.load(sys.stdin); d.update(fmt=sys.argv[1], case=sys.argv[2], round=int(sys.argv[3]))
print(json.dumps(d))' "$fmt" "$c" "$r" >>"$res"
      done
    done
    h=$(host_fio "$c")
    echo "{\"host\": true, \"case\": \"$c\", \"round\": $r, \"value\": ${h:-null}}" >>"$res"
  done
done

# The device path alone (no guest): perf/disk/bench-vblk on the same images,
# raw and qcow2 interleaved per round; reactor CPU per request is the figure
# that load on the machine does not move much.
dev_res="$dir/disk-device.jsonl"
: >"$dev_res"
if [ -x "$build/perf/disk/bench-vblk" ]; then
  for c in rr1 rr32 seq1m; do
    for ((r = 1; r <= rounds; r++)); do
      for fmt in raw qcow2; do
        f=$raw; [ "$fmt" = qcow2 ] && f=$qcow
        "$build/perf/disk/bench-vblk" "$f" "$fmt" "$c" "$secs" |
          python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); d["round"]=int(sys.argv[1]); print(json.dumps(d))' "$r" >>"$dev_res" || true
      done
    done
  done
fi

python3 - "$res" "$dev_res" <<'PY'
import json, statistics, sys
metric = {"hdparm": "hdparm_t", "dd": "dd_seqread_1m_direct", "rr1": "randread_qd1_iops",
          "rw1": "randwrite_qd1_iops", "rr32": "randread_qd32_iops", "rw32": "randwrite_qd32_iops"}
res = [json.loads(l) for l in open(sys.argv[1])]
rounds = {}  # (fmt, case) -> {round: {"ringvm": v, "qemu": v}}
host = {}    # (case, round) -> host fio figure
units = {}
for r in res:
    if r.get("host"):
        host[(r["case"], r["round"])] = r["value"]
        continue
    slot = rounds.setdefault((r["fmt"], r["case"]), {}).setdefault(r["round"], {})
    m = [x for x in r["results"] if x.get("metric") == metric[r["case"]]]
    if r["exit"] != 0 or "RINGVM-RUN-END" not in r["marks"] or not m:
        print(json.dumps({"suite": "disk", "metric": "run_failed_%s_%s_%s" % (r["emu"], r["case"], r["fmt"]),
                          "value": 1, "unit": "bool", "anchor": None, "anchor_value": None,
                          "tail": r.get("tail")}))
        continue
    slot[r["emu"]] = m[0]["value"]
    units[r["case"]] = m[0]["unit"]
hops = {}  # (fmt, case, hop) -> [per-run median: us, or insns]
for r in res:
    if r.get("host") or r.get("emu") != "ringvm":
        continue
    for x in r.get("results", []):
        if x.get("suite") == "virtio-hops" and x["metric"].startswith("virtio-blk_"):
            name = x["metric"][len("virtio-blk_"):]  # ..._us, or ..._insns (unit insns)
            if name.endswith("_us"):
                name = name[:-3]
            hops.setdefault((r["fmt"], r["case"], name), []).append(x["value"])
def med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None
for (fmt, case), by_round in rounds.items():
    rv = [s.get("ringvm") for s in by_round.values()]
    qm = [s.get("qemu") for s in by_round.values()]
    hs = [host.get((case, n)) for n in by_round]
    ratios = [s["ringvm"] / s["qemu"] for s in by_round.values()
              if s.get("ringvm") and s.get("qemu")]
    print(json.dumps({"suite": "disk", "metric": "%s_%s" % (metric[case], fmt), "value": med(rv),
                      "unit": units.get(case), "anchor": "qemu-system-riscv64",
                      "anchor_value": med(qm), "ratio": med(ratios), "host": med(hs),
                      "host_ratio": round(med(rv) / med(hs), 3) if med(rv) and med(hs) else None,
                      "host_tool": "fio io_uring O_DIRECT", "rounds": len(by_round),
                      "ringvm_runs": rv, "qemu_runs": qm, "host_runs": hs}))
for (fmt, case, hop), xs in sorted(hops.items()):
    print(json.dumps({"suite": "disk-hops", "metric": "%s_%s_%s" % (metric[case], fmt, hop),
                      "value": med(xs), "unit": "insns" if hop.endswith("_insns") else "us",
                      "anchor": None, "anchor_value": None,
                      "runs": xs}))
# qcow2 against raw, per emulator: median of per-round ratios (same rounds).
for case in metric:
    q, w = rounds.get(("qcow2", case), {}), rounds.get(("raw", case), {})
    for emu in ("ringvm", "qemu"):
        rs = [q[n][emu] / w[n][emu] for n in q
              if n in w and q[n].get(emu) and w[n].get(emu)]
        if rs:
            print(json.dumps({"suite": "disk", "metric": "qcow2_vs_raw_%s_%s" % (metric[case], emu),
                              "value": med(rs), "unit": "ratio", "anchor": "raw (same rounds)",
                              "anchor_value": 1.0}))
# Device path alone: qcow2 against raw, throughput and reactor CPU per request.
dev = {}
for l in open(sys.argv[2]):
    d = json.loads(l)
    case, fmt = d["metric"][len("vblk_"):].rsplit("_", 1)
    dev.setdefault(case, {}).setdefault(d["round"], {})[fmt] = d
for case, by_round in dev.items():
    full = [x for x in by_round.values() if "raw" in x and "qcow2" in x]
    if not full:
        continue
    print(json.dumps({"suite": "disk-device", "metric": "vblk_%s_qcow2" % case,
                      "value": med([x["qcow2"]["value"] for x in full]), "unit": "req/s",
                      "anchor": "raw", "anchor_value": med([x["raw"]["value"] for x in full]),
                      "ratio": med([x["qcow2"]["value"] / x["raw"]["value"] for x in full]),
                      "reactor_cpu_ns_per_req_qcow2": med([x["qcow2"]["reactor_cpu_ns_per_req"] for x in full]),
                      "reactor_cpu_ns_per_req_raw": med([x["raw"]["reactor_cpu_ns_per_req"] for x in full])}))
PY
