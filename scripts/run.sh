#!/usr/bin/env bash
# run.sh [RINGVM OPTIONS] - the README's main job: install what is missing,
# build ringvm and the test guest, and boot the guest to a shell on this
# terminal. Extra arguments go to ringvm (e.g. -accel jit).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh build guest perf
build=$(scripts/build.sh Release)
if [ -x "$build/ringvm" ] && [ -x guest/build.sh ] && "$build/ringvm" --help 2>/dev/null | grep -q -- -kernel; then
  out=$(guest/build.sh | tail -n 1)
  exec "$build/ringvm" -M virt -m 512M -nographic -kernel "$out/Image" \
    -initrd "$out/initramfs.cpio.gz" -append "console=ttyS0" "$@"
fi
RINGVM_BUILD=$build exec perf/run reactor
