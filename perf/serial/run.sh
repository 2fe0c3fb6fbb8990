#!/usr/bin/env bash
# The serial suite (perf/serial/bench.py does the work): guest-to-host and
# host-to-guest throughput over a 16550A on `-serial pipe:PATH` and the echo
# round trip (p50/p99), guest idle and busy, with and without a second host
# process loading the CPU, under ringvm and qemu-system-riscv64 with the
# same guest in the same run; and guest-to-guest throughput (ringvm's pipe
# server/client pair; two QEMUs joined by a host relay). The link is ttyS1
# under ringvm (console ttyS0) and ttyS0 under QEMU, whose virt board has
# one UART (console on a virtio console). JSON lines on stdout, the raw
# per-run records on stderr.
# Env: RINGVM_BUILD (default build/release), RINGVM_GUEST, SERIAL_KIB
# (ringvm transfer size, default 4096), SERIAL_QEMU_KIB (QEMU guest-to-host,
# default 512), SERIAL_QEMU_H2G_KIB (QEMU host-to-guest and guest-to-guest,
# default 64: QEMU receives at ~20 KiB/s), SERIAL_PINGS (echo round trips
# per round, default 500), SERIAL_ROUNDS (echo rounds, each idle then busy,
# so that drifting host load hits both alike; default 4),
# SERIAL_ONLY (a subset: g2g,ringvm,qemu), SERIAL_HOSTLOAD (off,on: with
# and without a host process spinning; default both), SERIAL_TRACE=DIR
# (keep ringvm's UART latency trace and the echo times there; then
# perf/serial/stages.py DIR/ringvm-nohostload prints where an echo's time
# goes). The whole run is bounded (25 min).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${RINGVM_BUILD:-$src/build/release}
guest=${RINGVM_GUEST:-$("$src/guest/build.sh" | tail -n 1)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
timeout -k 10 1500 python3 "$src/perf/serial/bench.py" --build "$build" --guest "$guest" \
	--tmp "$tmp" --ringvm-kib "${SERIAL_KIB:-4096}" --qemu-kib "${SERIAL_QEMU_KIB:-512}" --qemu-h2g-kib "${SERIAL_QEMU_H2G_KIB:-64}" \
	--pings "${SERIAL_PINGS:-500}" --rounds "${SERIAL_ROUNDS:-4}" --only "${SERIAL_ONLY:-}" \
	--hostload "${SERIAL_HOSTLOAD:-off,on}" --trace "${SERIAL_TRACE:-}" >"$tmp/raw.jsonl" || rc=$?
cat "$tmp/raw.jsonl" >&2
python3 "$src/perf/serial/bench.py" --summarize "$tmp/raw.jsonl"
exit $rc
