#!/usr/bin/env bash
# run.sh [RINGVM OPTIONS] - the README's main job: install what is missing,
# build ringvm and the test guest, and boot the guest to a shell on this
# terminal. Extra arguments go to ringvm (e.g. -accel jit).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh build guest
build=$(scripts/build.sh Release)
out=$(guest/build.sh | tail -n 1)
exec "$build/ringvm" -M virt -m 512M -nographic -kernel "$out/Image" \
  -initrd "$out/initramfs.cpio.gz" -append "console=ttyS0" "$@"
