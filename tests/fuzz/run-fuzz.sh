#!/usr/bin/env bash
# run-fuzz.sh BIN CORPUS RUNS - replay every input in tests/fuzz/regress
# (crashes found before, kept as regression tests), then fuzz a scratch copy
# of the seed corpus for a fixed number of runs with a fixed seed, so CI is
# deterministic. RINGVM_FUZZ_SEED / RINGVM_FUZZ_RUNS change them for longer
# local hunts. Any crash fails the test and is kept in the build directory.
set -u
bin=$1 corpus=$2 runs=${RINGVM_FUZZ_RUNS:-$3}
seed=${RINGVM_FUZZ_SEED:-1}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$bin" ] || { echo "SKIP: $bin not built (needs clang with libFuzzer)"; exit 77; }
art="$(dirname "$bin")/artifacts"
mkdir -p "$art"
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
mkdir -p "$w/corpus"
cp "$corpus"/* "$w/corpus/" 2>/dev/null
cd "$w"
opts=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=262144 -artifact_prefix="$art/")
if ! "$bin" "${opts[@]}" "$here"/regress/* >replay.log 2>&1; then
  grep -m1 -A12 "ERROR" replay.log
  echo "FAIL: a regression input crashes again"; exit 1
fi
"$bin" "${opts[@]}" -seed="$seed" -runs="$runs" -max_total_time=300 -print_final_stats=1 \
  corpus >fuzz.log 2>&1
rc=$?
if [ $rc -ne 0 ]; then
  grep -m1 -A16 "ERROR" fuzz.log
  ls "$art"
  echo "FAIL: the fuzzer found a crash (input kept in $art)"; exit 1
fi
grep "stat::" fuzz.log
exit 0
