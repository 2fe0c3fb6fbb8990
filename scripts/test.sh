#!/usr/bin/env bash
# test.sh - the README's test command: install what is missing, build the
# Release and the sanitizer (ASan+UBSan) configurations, run every test.
#   QUICK=1 scripts/test.sh   skips tests labelled slow.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh test
export CI=${CI:-}

filter=()
[ -n "${QUICK:-}" ] && filter=(-LE slow)

rel=$(scripts/build.sh Release)
asan=$(scripts/build.sh Asan)

status=0
echo "== Release: all tests"
(cd "$rel" && ctest --output-on-failure -j2 "${filter[@]}") || status=1
echo "== ASan+UBSan: unit tests"
(cd "$asan" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest --output-on-failure -j2 -LE "slow|guest|nosan") || status=1
exit $status
