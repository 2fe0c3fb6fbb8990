#!/usr/bin/env bash
# run.sh - the README's main job: install what is missing, build, and run.
# Until the CPU exists this runs the reactor benchmark suite; afterwards it
# boots the default guest to a shell on this terminal.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh build perf
build=$(scripts/build.sh Release)
if [ -x "$build/ringvm" ] && [ -x guest/build.sh ] && "$build/ringvm" --help 2>/dev/null | grep -q -- -kernel; then
  out=$(guest/build.sh | tail -n 1)
  exec "$build/ringvm" -M virt -m 512M -nographic -kernel "$out/Image" \
    -initrd "$out/initramfs.cpio.gz" -append "console=ttyS0"
fi
RINGVM_BUILD=$build exec perf/run reactor
