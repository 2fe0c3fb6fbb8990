#!/usr/bin/env bash
# run-fuzz.sh BIN CORPUS SECONDS - run the fuzzer for a bounded time on a
# scratch copy of the seed corpus; any crash file found fails the test.
set -u
bin=$1 corpus=$2 secs=$3
[ -x "$bin" ] || { echo "SKIP: $bin not built (needs clang with libFuzzer)"; exit 77; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
mkdir -p "$w/corpus"
cp "$corpus"/* "$w/corpus/" 2>/dev/null
cd "$w"
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
	-max_len=262144 -print_final_stats=1 corpus 2>&1 | tail -25
rc=${PIPESTATUS[0]}
ls crash-* leak-* timeout-* oom-* 2>/dev/null && { echo "FAIL: the fuzzer found inputs above"; exit 1; }
exit "$rc"
