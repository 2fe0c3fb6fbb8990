# lib.sh - helpers shared by the ringvm-img script tests (sourced).
#   IMG: the ringvm-img binary; T: a fresh temp dir removed at exit.
#   need_qemu: skip (exit 77) when qemu-img / qemu-io are absent.
#   rd64/rd32 FILE OFF, wr64/wr32 FILE OFF VALUE: big-endian header fields.
set -u
: "${RINGVM_BUILD:?RINGVM_BUILD must point at the build directory}"
IMG="$RINGVM_BUILD/ringvm-img"
[ -x "$IMG" ] || { echo "ringvm-img not built at $IMG"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/ringvm-img-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
# Every ringvm-img run gets a time limit, so a hang fails one check (exit
# 124) instead of the whole test.
REAL_IMG=$IMG
IMG="$T/ringvm-img"
printf '#!/bin/sh\nexec timeout %s "%s" "$@"\n' "${IMG_TIMEOUT:-60}" "$REAL_IMG" >"$IMG"
chmod +x "$IMG"
fails=0

need_qemu() {
	command -v qemu-img >/dev/null && command -v qemu-io >/dev/null ||
		{ echo "SKIP: qemu-img/qemu-io not installed (apt-get install qemu-utils)"; exit 77; }
}

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
finish() { [ "$fails" -eq 0 ] && { echo "PASS"; exit 0; }; echo "$fails failure(s)"; exit 1; }

rdn() { # FILE OFF BYTES -> decimal
	local h; h=$(od -An -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n')
	echo $((16#${h:-0}))
}
rd64() { rdn "$1" "$2" 8; }
rd32() { rdn "$1" "$2" 4; }
rd16() { rdn "$1" "$2" 2; }
wrn() { # FILE OFF BYTES VALUE
	local hex; hex=$(printf "%0$(($3 * 2))x" "$4")
	printf "$(echo "$hex" | sed 's/../\\x&/g')" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
wr64() { wrn "$1" "$2" 8 "$3"; }
wr32() { wrn "$1" "$2" 4 "$3"; }
wr16() { wrn "$1" "$2" 2 "$3"; }

# Run a command; succeed if its exit status is one of the listed codes.
expect_rc() { # "codes" cmd...
	local codes=$1; shift
	"$@" >"$T/out" 2>"$T/err"; local rc=$?
	for c in $codes; do [ "$rc" -eq "$c" ] && return 0; done
	echo "  '$*' exited $rc (wanted $codes)"; sed 's/^/  | /' "$T/out" "$T/err" | head -20
	return 1
}

# Random data file of N MiB.
rand_file() { head -c "$(($2 * 1048576))" /dev/urandom >"$1"; }
