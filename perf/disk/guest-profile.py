#!/usr/bin/env python3
"""guest-profile.py - where a guest disk request's time goes under ringvm.

Boots the test guest under `perf record` with one disk and runs guest test
disk-bench (CASE: e.g. dd, hdparm, dd+dd+dd), with RINGVM_JIT_PERFMAP=1
(the JIT names each translated block by its guest pc) and
RINGVM_VIRTIO_STATS=1 (per-hop latencies). Only the samples between the
guest's RINGVM-RUN-BEGIN and RINGVM-RUN-END lines count (perf and this
script both use CLOCK_MONOTONIC). Each vCPU sample is put in one bucket:

  guest:FUNC      translated guest code, FUNC from the guest kernel's
                  vmlinux (guest:USER for user space)
  jit-stub:+OFF   the JIT's shared trampolines/stubs at the start of its
                  code cache (OFF from the cache start)
  jit-cold        JIT code outside every named block (out-of-line paths)
  emu:FUNC        ringvm's own C code on the vCPU thread (helpers, block
                  lookup and translation, MMIO and CSR emulation)
  host:FUNC       the host kernel on the vCPU thread (WFI sleep and
                  wake-up, page faults, system calls)

and prints JSON lines (suite "disk-profile"): for each bucket and each
group of buckets, vCPU CPU microseconds per guest request (requests as
counted by the guest's /sys/block/DEV/stat), plus the run's per-hop means.
A benchmark tool, not a test: the figures move with the host's load.

Needs: perf, nm, a guest directory with vmlinux (guest/build.sh's output).
Usage: guest-profile.py --build B --guest G --image F [--format raw]
       [--case dd+dd+dd] [--freq 4999] [--top 40] [--out DIR]
"""
import argparse
import bisect
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import re
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import guestrun  # noqa: E402



def tramp_bytes():
    """JIT_TRAMP_BYTES from src/cpu/jit/jit-int.h: the stubs before the first block"""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "src", "cpu", "jit", "jit-int.h")
    m = re.search(r"#define JIT_TRAMP_BYTES (\d+)", open(src).read())
    return int(m.group(1))


JIT_TRAMP_BYTES = tramp_bytes()


def kernel_symbols(vmlinux):
    out = subprocess.run(["nm", "-n", vmlinux], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split()
        if len(p) >= 3 and p[1] in "tTwW" and not p[2].startswith("$"):
            syms.append((int(p[0], 16), p[2]))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def read_map(path):
    blocks = []
    for line in open(path):
        p = line.split()
        if len(p) == 3 and p[2].startswith("guest_"):
            blocks.append((int(p[0], 16), int(p[1], 16), int(p[2][6:], 16)))
    blocks.sort()
    return blocks


def keep_map(pid, dst, stop):
    """The map lives in /tmp, which a shared host's cleaners may empty:
    copy it while the emulator runs."""
    src = "/tmp/perf-%d.map" % pid
    while not stop.is_set():
        try:
            shutil.copyfile(src, dst)
        except OSError:
            pass
        stop.wait(0.2)
    try:
        shutil.copyfile(src, dst)
    except OSError:
        pass


def child_pid(ppid, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open("/proc/%d/task/%d/children" % (ppid, ppid)) as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except OSError:
            pass
        time.sleep(0.01)
    return None


def run_guest(args, tmp):
    append = "console=ttyS0 quiet ringvm.run=disk-bench ringvm.args=3,/dev/vda,%s" % args.case
    cmd = guestrun.command("ringvm", args.build, args.guest, append, "512M", "jit")
    cmd += ["-drive", "file=%s,format=%s,if=none,id=d0,cache=none,aio=io_uring" %
            (args.image, args.format), "-device", "virtio-blk-device,drive=d0"]
    data = os.path.join(tmp, "perf.data")
    env = dict(os.environ, RINGVM_JIT_PERFMAP="1", RINGVM_VIRTIO_STATS="1")
    perf = subprocess.Popen(["perf", "record", "-q", "-k", "CLOCK_MONOTONIC", "-F", str(args.freq),
                             "-o", data, "--"] + cmd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    pid = child_pid(perf.pid)
    mapcopy = os.path.join(tmp, "jit.map")
    stop = threading.Event()
    keeper = threading.Thread(target=keep_map, args=(pid, mapcopy, stop)) if pid else None
    if keeper:
        keeper.start()
    marks, hops, reads, lines = {}, {}, 0, []
    for raw in perf.stdout:
        now = time.monotonic()
        line = raw.decode("utf-8", "replace").strip()
        lines.append(line)
        for m in ("RINGVM-RUN-BEGIN", "RINGVM-RUN-END"):
            if line.startswith(m) and m not in marks:
                marks[m] = now
        if line.startswith("disk-bench:") and " reads avg " in line:
            reads += int(line.split(":")[2].split()[0])
        if line.startswith("{") and '"virtio-hops"' in line:
            d = json.loads(line)
            if d["metric"].startswith("virtio-blk_") and d["unit"] == "insns":
                hops[d["metric"][len("virtio-blk_"):]] = d.get("mean")
            elif d["metric"].startswith("virtio-blk_"):
                hops[d["metric"][len("virtio-blk_"):-3]] = d.get("mean_us")
    perf.wait()
    stop.set()
    if keeper:
        keeper.join()
    if "RINGVM-RUN-END" not in marks or not reads or not os.path.exists(mapcopy):
        sys.exit("guest-profile: the run failed:\n" + "\n".join(lines[-20:]))
    return data, mapcopy, marks, hops, reads


def classify(args, data, mapcopy, t0, t1):
    blocks = read_map(mapcopy)
    starts = [b[0] for b in blocks]
    base = blocks[0][0] - JIT_TRAMP_BYTES
    ka, kn = kernel_symbols(os.path.join(args.guest, "vmlinux"))
    out = subprocess.run(["perf", "script", "-i", data, "-F", "comm,time,ip,sym,dso"],
                         capture_output=True, text=True).stdout
    vcpu, io = collections.Counter(), 0
    for line in out.splitlines():
        p = line.split()
        if len(p) < 3:
            continue
        t = float(p[1].rstrip(":"))
        if t < t0 or t > t1:
            continue
        if p[0].startswith("ringvm-io"):
            io += 1
            continue
        if not p[0].startswith("ringvm-vcpu"):
            continue
        ip, dso = int(p[2], 16), p[-1].strip("()")
        if base <= ip < base + JIT_TRAMP_BYTES:
            vcpu["jit-stub:+0x%x" % (ip - base)] += 1
            continue
        i = bisect.bisect_right(starts, ip) - 1
        if i >= 0 and ip < blocks[i][0] + blocks[i][1]:
            pc = blocks[i][2]
            if pc < 0xffffffff00000000:
                vcpu["guest:USER"] += 1
            else:
                k = bisect.bisect_right(ka, pc) - 1
                vcpu["guest:" + (kn[k] if k >= 0 else "?")] += 1
        elif base <= ip < base + (1 << 30) and ("JIT" in dso or "perf-" in dso or dso == "[unknown]"):
            vcpu["jit-cold"] += 1
        else:
            sym = p[3] if len(p) > 4 else "?"
            who = "host" if "kernel" in dso else "emu" if dso.endswith("ringvm") else "lib"
            vcpu["%s:%s" % (who, sym)] += 1
    return vcpu, io


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--format", default="raw")
    ap.add_argument("--case", default="dd+dd+dd")
    ap.add_argument("--freq", type=int, default=4999)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--out", help="keep perf.data and the JIT map here")
    args = ap.parse_args()
    for tool in ("perf", "nm"):
        if not shutil.which(tool):
            sys.exit("guest-profile: '%s' is not installed (scripts/deps.sh perf installs it)" % tool)
    if not os.path.isfile(os.path.join(args.guest, "vmlinux")):
        sys.exit("guest-profile: %s has no vmlinux (give guest/build.sh's output directory)"
                 % args.guest)
    if not os.path.isfile(args.image):
        sys.exit("guest-profile: no image '%s'" % args.image)
    tmp = args.out or tempfile.mkdtemp(prefix="ringvm-gprof-")
    os.makedirs(tmp, exist_ok=True)
    data, mapcopy, marks, hops, reads = run_guest(args, tmp)
    t0, t1 = marks["RINGVM-RUN-BEGIN"], marks["RINGVM-RUN-END"]
    vcpu, io = classify(args, data, mapcopy, t0, t1)
    us = 1e6 / args.freq / reads  # one sample, in microseconds per request
    tag = "%s_%s" % (args.case.replace("+", "_"), args.format)

    def emit(metric, samples, **extra):
        d = {"suite": "disk-profile", "metric": "%s_%s" % (tag, metric),
             "value": round(samples * us, 2), "unit": "us/req", "anchor": None,
             "anchor_value": None, "share": round(100.0 * samples / max(1, sum(vcpu.values())), 1)}
        d.update(extra)
        print(json.dumps(d))

    print(json.dumps({"suite": "disk-profile", "metric": tag + "_wall", "value":
                      round((t1 - t0) * 1e6 / reads, 1), "unit": "us/req", "anchor": None,
                      "anchor_value": None, "requests": reads, "hops_mean_us": hops}))
    groups = collections.Counter()
    for k, v in vcpu.items():
        groups[k.split(":")[0]] += v
    emit("vcpu_cpu", sum(vcpu.values()))
    emit("reactor_cpu", io, share=None)  # the I/O thread, not a share of the vCPU's
    for g, v in groups.most_common():
        emit("group_" + g, v)
    for k, v in vcpu.most_common(args.top):
        emit("fn_" + k, v)
    if not args.out:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
