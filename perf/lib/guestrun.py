#!/usr/bin/env python3
"""guestrun.py - boot the test guest under ringvm or QEMU and time it.

Used by the perf suites (boot, guest-cpu, ...). Starts the emulator with the
guest's console on a pipe, notes when the init markers appear (times from
process start, host monotonic clock), collects the JSON lines the guest
prints, and returns once the guest powers off (or the timeout kills it).
Prints one JSON object on stdout.
"""
import argparse
import json
import os
import select
import subprocess
import sys
import time

FIRMWARE = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"


def command(emu, build, guest, append, mem, accel):
    kernel = os.path.join(guest, "Image")
    initrd = os.path.join(guest, "initramfs.cpio.gz")
    if emu == "qemu":
        return ["qemu-system-riscv64", "-M", "virt", "-m", mem, "-smp", "1", "-nographic",
                "-bios", FIRMWARE, "-kernel", kernel, "-initrd", initrd, "-append", append]
    cmd = [os.path.join(build, "ringvm"), "-M", "virt", "-m", mem, "-nographic",
           "-bios", FIRMWARE, "-kernel", kernel, "-initrd", initrd, "-append", append]
    if accel:
        cmd += ["-accel", accel]
    return cmd


def run(args):
    append = "console=ttyS0 quiet ringvm.run=%s" % args.run
    if args.args:
        append += " ringvm.args=%s" % args.args
    cmd = command(args.emu, args.build, args.guest, append, args.mem, args.accel)
    cmd += args.emu_arg
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    marks, results, tail, buf = {}, [], [], b""
    deadline = start + args.timeout
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            proc.kill()
            break
        r, _, _ = select.select([proc.stdout], [], [], min(left, 1.0))
        if not r:
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            line = raw.decode("utf-8", "replace").strip("\r")
            now = time.monotonic() - start
            tail = (tail + [line])[-20:]
            for m in ("RINGVM-BOOT-OK", "RINGVM-RUN-BEGIN", "RINGVM-RUN-END"):
                if line.startswith(m) and m not in marks:
                    marks[m] = now
            if line.startswith("{") and line.endswith("}"):
                try:
                    results.append(json.loads(line))
                except ValueError:
                    pass
    rc = proc.wait()
    out = {"emu": args.emu, "exit": rc, "timed_out": timed_out,
           "total_s": time.monotonic() - start, "marks": marks, "results": results}
    if timed_out or "RINGVM-RUN-END" not in marks:
        out["tail"] = tail
    print(json.dumps(out))
    return 0 if not timed_out and "RINGVM-RUN-END" in marks else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--emu", choices=("ringvm", "qemu"), required=True)
    p.add_argument("--build", default=os.environ.get("RINGVM_BUILD", "build/release"))
    p.add_argument("--guest", required=True, help="guest/build.sh output directory")
    p.add_argument("--run", default="hello")
    p.add_argument("--args", default="")
    p.add_argument("--mem", default="512M")
    p.add_argument("--accel", default="")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--emu-arg", action="append", default=[],
                   help="one more emulator argument (repeat: --emu-arg=-drive --emu-arg=...)")
    sys.exit(run(p.parse_args()))


if __name__ == "__main__":
    main()
