#!/usr/bin/env bash
# build.sh [Release|Debug|Asan] - configure and build into build/<type>.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
type=${1:-Release}
dir="$root/build/$(echo "$type" | tr 'A-Z' 'a-z')"
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DRINGVM_WERROR="$werror" >/dev/null
cmake --build "$dir" -j"$(nproc)" >&2
echo "$dir"
