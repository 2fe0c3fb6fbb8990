#!/usr/bin/env python3
"""stages.py PREFIX - where the echo round trips of perf/serial went.

PREFIX.trace is ringvm's UART trace (RINGVM_UART_TRACE, record format in
src/hw/uart-trace.h) and PREFIX.pings.json the bench's echo times
[[load, t_send, t_receive], ...], both on CLOCK_MONOTONIC (bench.py
--trace DIR writes DIR/ringvm-nohostload.* and DIR/ringvm-hostload.*).
Each round trip is cut at the first event of each kind on the link UART
(the one that received the byte) between its send and its receipt:
  host   send -> R  the reactor got the byte from the pipe
  cti    R -> C     the character timeout fired (4 character times)
  irq    C -> I     the interrupt line went up
  hart   I -> D     the guest read RBR (the hart took the interrupt;
                    from WFI when idle)
  guest  D -> T     the guest's tty path and the echo program (dd): THR
  tx     T -> W     the reactor wrote the byte to the pipe
  client W -> receipt   the bench client woke up and read it
and, per load, each stage's p50/p90/p99 and how many round trips spent
more than 1 ms in it are printed (JSON lines, one per load and stage).
"""
import bisect
import json
import struct
import sys

STAGES = [("host", "R"), ("cti", "C"), ("irq", "I"), ("hart", "D"), ("guest", "T"),
          ("tx", "W"), ("client", None)]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else 0


def load_trace(path):
    ev = []
    with open(path, "rb") as f:
        data = f.read()
    for off in range(0, len(data) - 23, 24):
        ns, uart, value, kind = struct.unpack_from("<QIIB", data, off)
        if ns == 0:
            break
        ev.append((ns / 1e9, uart, chr(kind), value))
    ev.sort()
    return ev


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: stages.py PREFIX (PREFIX.trace and PREFIX.pings.json)")
    ev = load_trace(sys.argv[1] + ".trace")
    ts = [e[0] for e in ev]
    with open(sys.argv[1] + ".pings.json") as f:
        pings = json.load(f)
    per = {}
    for load, t0, t1 in pings:
        w = ev[bisect.bisect_left(ts, t0):bisect.bisect_right(ts, t1)]
        rx = [e for e in w if e[2] == "R"]
        if not rx:
            continue
        first = {}
        for t, uart, kind, _ in w:
            if uart == rx[0][1] and kind not in first:
                first[kind] = t
        prev = t0
        for name, kind in STAGES:
            t = first.get(kind, t1) if kind else t1
            if t < prev:  # a kind missing or out of order: skip this round trip
                break
            per.setdefault((load, name), []).append((t - prev) * 1e6)
            prev = t
    for load in ("idle", "busy"):
        for name, _ in STAGES:
            xs = per.get((load, name), [])
            print(json.dumps({"load": load, "stage": name, "n": len(xs),
                              "p50_us": round(pct(xs, 50)), "p90_us": round(pct(xs, 90)),
                              "p99_us": round(pct(xs, 99)),
                              "over_1ms": sum(1 for x in xs if x > 1000)}))


if __name__ == "__main__":
    main()
