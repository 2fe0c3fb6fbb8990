#!/usr/bin/env bash
# io-nice.sh - the reactor thread may raise its own priority (src/hw/virt.c,
# RINGVM_IO_NICE, opt-in): by default every thread keeps the process's nice;
# RINGVM_IO_NICE=-10 runs the I/O thread at nice -10 (when the process may
# lower nice: root, CAP_SYS_NICE or RLIMIT_NICE; otherwise it is left as it
# was) while the vCPU thread keeps the process's; a malformed value gets one
# warning line and changes nothing.
set -u
vm="$RINGVM_BUILD/ringvm"
gdir="$RINGVM_SRC/tests/hw/guest"
cc=$(command -v riscv64-unknown-elf-gcc || command -v riscv64-linux-gnu-gcc) ||
	{ echo "SKIP: no riscv64 cross compiler"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cc" -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -mcmodel=medany \
	-Wl,--no-warn-rwx-segments -T "$gdir/link.ld" -o "$tmp/smoke.elf" "$gdir/virt-smoke.S" ||
	{ echo "FAIL: cannot build virt-smoke"; exit 1; }
# virt-smoke waits for console input after "timer ok": look at the threads
# then, and let it finish.
python3 - "$vm" "$tmp/smoke.elf" <<'PY'
import os, resource, select, subprocess, sys, time
vm, elf = sys.argv[1], sys.argv[2]

def nices(env_val):
    env = dict(os.environ)
    env.pop("RINGVM_IO_NICE", None)
    if env_val is not None:
        env["RINGVM_IO_NICE"] = env_val
    p = subprocess.Popen([vm, "-M", "virt", "-m", "64M", "-bios", "none", "-kernel", elf,
                          "-nographic"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    out, deadline, got = b"", time.monotonic() + 30, {}
    while time.monotonic() < deadline and b"timer ok\n" not in out:
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            out += os.read(p.stdout.fileno(), 4096)
    for t in os.listdir("/proc/%d/task" % p.pid):
        comm = open("/proc/%d/task/%s/comm" % (p.pid, t)).read().strip()
        stat = open("/proc/%d/task/%s/stat" % (p.pid, t)).read()
        got[comm] = int(stat.rsplit(")", 1)[1].split()[16])  # field 19: nice
    p.stdin.write(b"abc q")
    p.stdin.flush()
    _, err = p.communicate(timeout=30)
    return got, p.returncode, err.decode()

base = os.nice(0)
may_lower = os.geteuid() == 0 or resource.getrlimit(resource.RLIMIT_NICE)[0] >= 20 - (base - 10)
fails = 0
got, rc, err = nices("-3x")
if rc != 42 or err.count("RINGVM_IO_NICE=-3x is not a number") != 1:
    print("FAIL: malformed value: rc=%d stderr=%r" % (rc, err)); fails += 1
elif got.get("ringvm-io") != base:
    print("FAIL: malformed value changed the reactor's nice: %r" % got); fails += 1
else:
    print("ok: a malformed RINGVM_IO_NICE is reported once and changes nothing")
got, rc, _ = nices("-10")
io, cpu = got.get("ringvm-io"), got.get("ringvm-vcpu0")
want = max(base - 10, -20) if may_lower else base
if rc != 42 or io != want or cpu != base:
    print("FAIL: RINGVM_IO_NICE=-10: io nice %r (want %d), vcpu %r (want %d)" % (io, want, cpu, base)); fails += 1
else:
    print("ok: RINGVM_IO_NICE=-10: reactor at nice %d, vCPU at %d" % (io, cpu))
got, rc, _ = nices(None)
if rc != 42 or got.get("ringvm-io") != base or got.get("ringvm-vcpu0") != base:
    print("FAIL: default: %r rc=%d (want every thread at %d)" % (got, rc, base)); fails += 1
else:
    print("ok: by default the reactor stays at the process's nice %d" % base)
sys.exit(1 if fails else 0)
PY
