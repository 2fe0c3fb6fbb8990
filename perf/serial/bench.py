#!/usr/bin/env python3
"""bench.py - serial line benchmarks for ringvm against qemu-system-riscv64.

Every emulator gets the same guest and the same setup: the console on
ttyS0 (stdout, a pipe; the markers come from guest/tests.d/serial-bench.sh)
and the link under test on ttyS1 as `-serial pipe:PATH` (FIFOs PATH.in to
the guest and PATH.out from it, QEMU's semantics). Measured per emulator,
with the guest idle and with a CPU-bound loop in the guest, each with and
without a second host process spinning on the host CPU:
  - guest-to-host throughput (first to last byte seen on PATH.out);
  - host-to-guest throughput (first byte written to the guest's "got it");
  - echo round trip of single bytes (p50/p99), in rounds that alternate
    idle and busy within one boot, so that host load which comes and goes
    (other processes) hits both alike; the client is one thread that
    writes a byte and waits for it in select(). The echo records also
    carry each emulator thread's mean host run-queue wait per run during
    the rounds (runq_wait_us, from /proc/PID/task/*/schedstat), and the
    echo client's own ("bench-client"); the transfer records carry the
    share of their wall time each thread ran and waited for a host CPU
    ("threads").
Plus guest-to-guest throughput between two guests: ringvm's pipe
server/client pair, and two QEMUs on crossed FIFOs (symlinks).

Everything has a deadline; children (emulators, host hogs) are killed on
every exit path. One JSON object per measurement on stdout; run.sh turns
them into the suite's JSON lines.
"""
import argparse
import fcntl
import hashlib
import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import termios
import threading
import time

FIRMWARE = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
CHILDREN = []


class Fail(Exception):
    pass


def spawn(cmd, env=None, **kw):
    if env:
        env = dict(os.environ, **env)
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True, env=env, **kw)
    CHILDREN.append(p)
    return p


def kill_all():
    for p in CHILDREN:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    CHILDREN.clear()


def emu_cmd(a, emu, run, link, extra=()):
    """The emulator's command line and the guest's name for the link.

    QEMU's virt board has one UART: the link is its ttyS0 and the console
    is a virtio console (hvc1; hvc0 is the SBI console, which OpenSBI would
    write to the UART). ringvm has several: console on ttyS0, link on ttyS1.
    Both links are the same 8250 driver on a 16550A."""
    g = a.guest
    dev = "/dev/ttyS0" if emu == "qemu" else "/dev/ttyS1"
    append = "console=%s quiet ringvm.run=%s" % ("hvc1" if emu == "qemu" else "ttyS0",
                                                 run.replace("DEV", dev))
    base = ["-m", "256M", "-kernel", g + "/Image", "-initrd", g + "/initramfs.cpio.gz",
            "-append", append]
    if emu == "qemu":
        return ["qemu-system-riscv64", "-M", "virt", "-smp", "1", "-bios", FIRMWARE,
                "-display", "none", "-monitor", "none", "-serial", link,
                "-device", "virtio-serial-device", "-chardev", "stdio,id=con",
                "-device", "virtconsole,chardev=con"] + base
    return ([os.path.join(a.build, "ringvm"), "-accel", "jit", "-M", "virt", "-bios",
             FIRMWARE, "-nographic"] + base + list(extra) + ["-serial", "stdio", "-serial", link])


class Console:
    """The guest console (the emulator's stdout), read by a thread."""

    def __init__(self, proc):
        self.proc, self.lines, self.cond = proc, [], threading.Condition()
        self.pos = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        buf = b""
        fd = self.proc.stdout.fileno()
        while True:
            try:
                b = os.read(fd, 65536)
            except OSError:
                b = b""
            now = time.monotonic()
            with self.cond:
                if not b:
                    self.lines.append((now, None))
                    self.cond.notify_all()
                    return
                buf += b
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    self.lines.append((now, raw.decode("utf-8", "replace").strip("\r")))
                self.cond.notify_all()

    def wait(self, pattern, timeout):
        """Next line matching pattern after the last match: (time, match)."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                while self.pos < len(self.lines):
                    t, line = self.lines[self.pos]
                    self.pos += 1
                    if line is None:
                        raise Fail("emulator exited waiting for %r; tail: %s"
                                   % (pattern, self.tail()))
                    m = rx.search(line)
                    if m:
                        return t, m
                left = end - time.monotonic()
                if left <= 0:
                    raise Fail("timeout waiting for %r; tail: %s" % (pattern, self.tail()))
                self.cond.wait(left)

    def tail(self):
        return " | ".join(l for _, l in self.lines[-8:] if l)


class Link:
    """The host end of the guest's ttyS1: PATH.in (to it), PATH.out (from it)."""

    def __init__(self, path):
        # O_RDWR: no open blocks, and no EOF if the emulator reopens.
        self.wfd = os.open(path + ".in", os.O_RDWR | os.O_NONBLOCK)
        self.rfd = os.open(path + ".out", os.O_RDWR)
        self.cond = threading.Condition()
        self.data, self.t_first, self.t_last = bytearray(), None, None
        self.closed = False
        # pause(): the reader thread steps aside so that echo() reads the
        # link itself (one thread and no hand-off per round trip)
        self.ctl_r, self.ctl_w = os.pipe()
        self.paused = threading.Event()
        self.resumed = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.closed:
            r, _, _ = select.select([self.rfd, self.ctl_r], [], [], 0.2)
            if self.ctl_r in r:
                os.read(self.ctl_r, 1)
                self.paused.set()
                self.resumed.wait()
                self.resumed.clear()
                continue
            if not r:
                continue
            try:
                b = os.read(self.rfd, 1 << 20)
            except OSError:
                return
            now = time.monotonic()
            with self.cond:
                if not b:
                    return
                if self.t_first is None:
                    self.t_first = now
                self.data += b
                self.t_last = now
                self.cond.notify_all()

    def reset(self):
        with self.cond:
            self.data, self.t_first, self.t_last = bytearray(), None, None

    def wait_len(self, n, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while len(self.data) < n:
                left = end - time.monotonic()
                if left <= 0:
                    raise Fail("link: %d of %d bytes after %.0f s" % (len(self.data), n, timeout))
                self.cond.wait(left)
            return self.t_first, self.t_last

    def write(self, data, timeout):
        end, off = time.monotonic() + timeout, 0
        while off < len(data):
            left = end - time.monotonic()
            if left <= 0:
                raise Fail("link: guest took %d of %d bytes" % (off, len(data)))
            select.select([], [self.wfd], [], min(left, 1.0))
            try:
                off += os.write(self.wfd, data[off:off + 65536])
            except BlockingIOError:
                pass

    def pending(self):
        """Bytes written to PATH.in that the emulator has not read."""
        buf = fcntl.ioctl(self.wfd, termios.FIONREAD, b"\0\0\0\0")
        return int.from_bytes(buf, sys.byteorder)

    def echo(self, pings, timeout):
        """Round trips of single bytes (0, 1, ..., 255, 0, ...), read here
        with the reader thread paused; returns (send, receive) times."""
        os.write(self.ctl_w, b"p")
        self.paused.wait()
        self.paused.clear()
        rtts = []
        try:
            for i in range(pings):
                want = bytes([i & 0xff])
                t0 = time.monotonic()
                os.write(self.wfd, want)
                r, _, _ = select.select([self.rfd], [], [], timeout)
                got = os.read(self.rfd, 16) if r else b""
                t1 = time.monotonic()
                if got != want:
                    raise Fail("echo %d: sent %r, got %r" % (i, want, got))
                rtts.append((t0, t1))
        finally:
            self.resumed.set()
        return rtts

    def close(self):
        self.closed = True
        self.thread.join(5)
        for fd in (self.wfd, self.rfd, self.ctl_r, self.ctl_w):
            os.close(fd)


def sched_snapshot(pid):
    """Per thread name: [run ns, run-queue wait ns, times run], summed over
    the threads of that name (/proc/PID/task/*/schedstat)."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                name = f.read().strip()
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                st = [int(x) for x in f.read().split()[:3]]
        except (OSError, ValueError):
            continue
        acc = out.setdefault(name, [0, 0, 0])
        for i in range(3):
            acc[i] += st[i]
    return out


def client_sched():
    """The echo client (this thread) as one more entry."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return {"bench-client": [int(x) for x in f.read().split()[:3]]}
    except (OSError, ValueError):
        return {}


def sched_add(total, before, after):
    for name, st in after.items():
        b = before.get(name, [0, 0, 0])
        acc = total.setdefault(name, [0, 0, 0])
        for i in range(3):
            acc[i] += st[i] - b[i]


def sched_shares(before, after, wall):
    """Per thread name: the share of wall time it ran and the share it was
    runnable but waiting for a host CPU (a transfer's view of the host)."""
    d = {}
    sched_add(d, before, after)
    return {name: {"run": round(st[0] / 1e9 / wall, 2), "wait": round(st[1] / 1e9 / wall, 2)}
            for name, st in d.items() if wall > 0}


def sched_summary(total):
    """Per thread name: mean host run-queue wait per time it was run (us)."""
    return {name: round(st[1] / st[2] / 1e3, 1) for name, st in total.items() if st[2]}


def mkfifos(path):
    for s in (".in", ".out"):
        if not os.path.exists(path + s):
            os.mkfifo(path + s, 0o600)


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def emit(**kw):
    print(json.dumps(kw), flush=True)


def host_hog():
    return spawn(["sh", "-c", "while :; do :; done"])


def one_guest(a, emu, hostload):
    """Boot one guest with serial-bench; emit its g2h/h2g/echo figures."""
    g2h = (a.qemu_kib if emu == "qemu" else a.ringvm_kib) << 10
    h2g = (a.qemu_h2g_kib if emu == "qemu" else a.ringvm_kib) << 10
    path = os.path.join(a.tmp, "%s.link" % emu)
    mkfifos(path)
    link = Link(path)
    hog = host_hog() if hostload else None
    run = "serial-bench ringvm.args=DEV,%d,%d,%d,%d" % (g2h, h2g, a.pings, a.rounds)
    cond = "hostload" if hostload else "nohostload"
    trace = os.path.join(a.trace, "%s-%s" % (emu, cond)) if a.trace and emu == "ringvm" else None
    proc = spawn(emu_cmd(a, emu, run, "pipe:" + path),
                 env={"RINGVM_UART_TRACE": trace + ".trace"} if trace else None,
                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    con = Console(proc)
    data = random.Random(7).randbytes(h2g) if hasattr(random.Random, "randbytes") else os.urandom(h2g)
    h2g_sum = hashlib.md5(data).hexdigest()
    try:
        _, m = con.wait(r"BENCH-BAUD (\d+)", a.boot_timeout)
        baud = int(m.group(1))
        for load in ("idle", "busy"):
            tag = dict(emu=emu, load=load, host=cond, baud=baud)
            link.reset()
            con.wait(r"BENCH-G2H " + load, a.timeout)
            s0 = sched_snapshot(proc.pid)
            t0, t1 = link.wait_len(g2h, a.timeout)
            tag["threads"] = sched_shares(s0, sched_snapshot(proc.pid), time.monotonic() - t0)
            _, m = con.wait(r"BENCH-G2H-MD5 ([0-9a-f]{32})", a.timeout)
            with link.cond:
                got = bytes(link.data[:g2h])
            if hashlib.md5(got).hexdigest() != m.group(1):
                raise Fail("%s g2h %s: checksum mismatch" % (emu, load))
            emit(kind="g2h", bytes=g2h, secs=t1 - t0, mibps=g2h / (1 << 20) / (t1 - t0), **tag)
            del tag["threads"]

            con.wait(r"BENCH-H2G-READY " + load, a.timeout)
            s0 = sched_snapshot(proc.pid)
            t0 = time.monotonic()
            link.write(data, a.timeout)
            try:
                t1, _ = con.wait(r"BENCH-H2G-GOT", a.timeout)
            except Fail as e:
                raise Fail("%s (%d bytes still in %s.in)" % (e, link.pending(), path))
            _, m = con.wait(r"BENCH-H2G-MD5 ([0-9a-f]{32})", a.timeout)
            if m.group(1) != h2g_sum:
                raise Fail("%s h2g %s: checksum mismatch" % (emu, load))
            tag["threads"] = sched_shares(s0, sched_snapshot(proc.pid), time.monotonic() - t0)
            emit(kind="h2g", bytes=h2g, secs=t1 - t0, mibps=h2g / (1 << 20) / (t1 - t0), **tag)
            del tag["threads"]
        # echo rounds, idle and busy alternating (host load drifts)
        pings = []
        waits = {"idle": {}, "busy": {}}  # the emulator's threads on the host
        for _ in range(a.rounds):
            for load in ("idle", "busy"):
                con.wait(r"BENCH-ECHO-READY " + load, a.timeout)
                time.sleep(0.2)  # dd is reading by now
                before = dict(sched_snapshot(proc.pid), **client_sched())
                pings += [(load, t0, t1) for t0, t1 in link.echo(a.pings, 10)]
                sched_add(waits[load], before, dict(sched_snapshot(proc.pid), **client_sched()))
                con.wait(r"BENCH-ECHO-DONE", a.timeout)
        if trace:
            with open(trace + ".pings.json", "w") as f:
                json.dump(pings, f)
        rtts = {"idle": [], "busy": []}
        for load, t0, t1 in pings:
            rtts[load].append((t1 - t0) * 1e6)
        for load in ("idle", "busy"):
            emit(kind="echo", pings=len(rtts[load]), p50_us=percentile(rtts[load], 50),
                 p99_us=percentile(rtts[load], 99), emu=emu, load=load, host=cond, baud=baud,
                 runq_wait_us=sched_summary(waits[load]))
        con.wait(r"RINGVM-RUN-END", 60)
    finally:
        if hog:
            os.killpg(hog.pid, signal.SIGKILL)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        link.close()


class Relay:
    """Host copy from one FIFO to another, armed late: QEMU's only UART
    also carries the sender's OpenSBI banner, which must not reach the
    receiver as data. Bytes read before arm() are discarded."""

    def __init__(self, src, dst):
        self.rfd = os.open(src, os.O_RDWR)
        self.wfd = os.open(dst, os.O_RDWR)
        self.armed = self.closed = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.closed:
            r, _, _ = select.select([self.rfd], [], [], 0.2)
            if not r:
                continue
            b = os.read(self.rfd, 65536)
            if not b:
                return
            if self.armed:
                os.write(self.wfd, b)  # blocking: QEMU's receiver sets the pace

    def close(self):
        self.closed = True
        self.thread.join(5)
        os.close(self.rfd)
        os.close(self.wfd)


def g2g(a, emu):
    """Two guests move a file over their links; time from the sender's md5
    line (printed just before it writes) to the receiver's. ringvm: the
    pipe server/client pair, console on ttyS0, link on ttyS1. QEMU: each
    on its own FIFO pair, joined by a host relay armed once the sender's
    kernel is up (see Relay)."""
    # the receiving guest's host-to-guest path is the slow side
    n = (a.qemu_h2g_kib if emu == "qemu" else a.ringvm_kib) << 10
    base = os.path.join(a.tmp, emu + ".g2g")
    relay = None
    if emu == "qemu":
        mkfifos(base + ".rx")
        mkfifos(base + ".tx")
        relay = Relay(base + ".tx.out", base + ".rx.in")
        srv, cli = "pipe:%s.rx" % base, "pipe:%s.tx" % base
        srv_extra = cli_extra = []
    else:
        os.mkdir(base)
        srv = cli = "chardev:l"
        link = os.path.join(base, "link")
        srv_extra = ["-chardev", "pipe,id=l,path=%s,server=on" % link]
        cli_extra = ["-chardev", "pipe,id=l,path=%s,client=on" % link]
    procs = []
    try:
        def start(kind, serial, extra):
            run = "serial-xfer ringvm.args=%s,DEV,%d" % (kind, n)
            p = spawn(emu_cmd(a, emu, run, serial, extra),
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            procs.append(p)
            return Console(p)
        rx = start("recv", srv, srv_extra)
        rx.wait(r"SERIAL-READY", a.boot_timeout)
        tx = start("send", cli, cli_extra)
        if relay:
            tx.wait(r"RINGVM-BOOT-OK", a.boot_timeout)
            relay.armed = True
        t0, sm = tx.wait(r"SERIAL-MD5 ([0-9a-f]{32})", a.boot_timeout)
        t1, rm = rx.wait(r"SERIAL-MD5 ([0-9a-f]{32}) SERIAL-BYTES (\d+)", a.timeout)
        if sm.group(1) != rm.group(1) or int(rm.group(2)) != n:
            raise Fail("%s g2g: checksum mismatch" % emu)
        emit(kind="g2g", emu=emu, bytes=n, secs=t1 - t0, mibps=n / (1 << 20) / (t1 - t0))
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
        if relay:
            relay.close()


def line(metric, value, unit, anchor_value, goal=None):
    out = {"suite": "serial", "metric": metric, "value": round(value, 3), "unit": unit,
           "anchor": "qemu-system-riscv64",
           "anchor_value": None if anchor_value is None else round(anchor_value, 3)}
    if goal:
        out["goal"] = goal
    print(json.dumps(out), flush=True)


def summarize(path):
    """Raw records (one_guest/g2g output) -> the suite's JSON lines."""
    rec = {}
    for l in open(path):
        r = json.loads(l)
        rec[(r["kind"], r["emu"], r.get("load"), r.get("host"))] = r
    for host in ("nohostload", "hostload"):
        for kind in ("g2h", "h2g"):
            for load in ("idle", "busy"):
                rv, qv = rec.get((kind, "ringvm", load, host)), rec.get((kind, "qemu", load, host))
                if rv:
                    line("%s_%s_%s" % (kind, load, host), rv["mibps"], "MiB/s",
                         qv and qv["mibps"], ">= 4x anchor")
            ri, rb = rec.get((kind, "ringvm", "idle", host)), rec.get((kind, "ringvm", "busy", host))
            qi, qb = rec.get((kind, "qemu", "idle", host)), rec.get((kind, "qemu", "busy", host))
            if ri and rb:
                line("%s_busy_idle_ratio_%s" % (kind, host), rb["mibps"] / ri["mibps"], "ratio",
                     qi and qb and qb["mibps"] / qi["mibps"], ">= 0.95")
        for load in ("idle", "busy"):
            rv, qv = rec.get(("echo", "ringvm", load, host)), rec.get(("echo", "qemu", load, host))
            for p in ("p50", "p99"):
                if rv:
                    line("echo_%s_%s_%s" % (p, load, host), rv[p + "_us"], "us",
                         qv and qv[p + "_us"])
        ri, rb = rec.get(("echo", "ringvm", "idle", host)), rec.get(("echo", "ringvm", "busy", host))
        qi, qb = rec.get(("echo", "qemu", "idle", host)), rec.get(("echo", "qemu", "busy", host))
        if ri and rb:
            line("echo_p99_busy_idle_ratio_%s" % host, rb["p99_us"] / ri["p99_us"], "ratio",
                 qi and qb and qb["p99_us"] / qi["p99_us"], "<= 2")
    rv, qv = rec.get(("g2g", "ringvm", None, None)), rec.get(("g2g", "qemu", None, None))
    if rv:
        line("g2g_pipe", rv["mibps"], "MiB/s", qv and qv["mibps"])


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--summarize":
        summarize(sys.argv[2])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--ringvm-kib", type=int, default=4096)
    ap.add_argument("--qemu-kib", type=int, default=512, help="QEMU guest-to-host and g2g")
    ap.add_argument("--qemu-h2g-kib", type=int, default=64, help="QEMU host-to-guest (~20 KiB/s)")
    ap.add_argument("--pings", type=int, default=500, help="echo round trips per round")
    ap.add_argument("--rounds", type=int, default=4, help="echo rounds (idle, busy)")
    ap.add_argument("--timeout", type=float, default=120, help="per step")
    ap.add_argument("--boot-timeout", type=float, default=180)
    ap.add_argument("--only", default="", help="comma list: g2g,ringvm,qemu")
    ap.add_argument("--hostload", default="off,on", help="comma list: off,on")
    ap.add_argument("--trace", default="", help="directory: ringvm's UART trace and the "
                    "echo times, per host load (read them with stages.py)")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(1))
    only = set(a.only.split(",")) - {""}
    rc = 0
    try:
        for hostload in [h == "on" for h in a.hostload.split(",") if h in ("off", "on")]:
            # interleaved: ringvm and QEMU back to back under each condition
            for emu in ("ringvm", "qemu"):
                if only and emu not in only:
                    continue
                try:
                    one_guest(a, emu, hostload)
                except Fail as e:
                    print("bench.py: %s" % e, file=sys.stderr)
                    rc = 1
        for emu in ("ringvm", "qemu"):
            if only and "g2g" not in only:
                continue
            try:
                g2g(a, emu)
            except Fail as e:
                print("bench.py: %s" % e, file=sys.stderr)
                rc = 1
    finally:
        kill_all()
    sys.exit(rc)


if __name__ == "__main__":
    main()
