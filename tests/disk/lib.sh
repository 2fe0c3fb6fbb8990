# lib.sh - shared by the tests/disk guest scripts: tool checks, the guest
# artifacts, and booting ringvm with a guest test and extra options.
set -u
vm="$RINGVM_BUILD/ringvm"
img="$RINGVM_BUILD/ringvm-img"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

skip() { echo "SKIP: $*"; exit 77; }
need() { for t in "$@"; do command -v "$t" >/dev/null || skip "$t is missing"; done; }

# The test guest (Image + initramfs): tests/lib/guest.sh.
. "$RINGVM_SRC/tests/lib/guest.sh"

# boot LOG NAME ARGS [ringvm options...]: run guest test NAME; returns ringvm's status.
boot() {
	local log=$1 name=$2 args=$3
	shift 3
	timeout 300 "$vm" -m 256M -nographic -accel jit -kernel "$guest/Image" \
		-initrd "$guest/initramfs.cpio.gz" \
		-append "console=ttyS0 ringvm.run=$name ringvm.args=$args" "$@" \
		>"$log" 2>&1 </dev/null
}

fails=0
expect() { # expect LOG REGEX WHAT
	if grep -qE "$2" "$1"; then
		echo "ok: $3"
	else
		echo "FAIL: $3 (no /$2/ in the console)"; fails=$((fails + 1))
		echo "---- console tail ----"; grep -v '^\[ *[0-9]' "$1" | tail -n 25
	fi
}
check() { # check WHAT command...
	local what=$1; shift
	if "$@" >"$tmp/check.out" 2>&1; then
		echo "ok: $what"
	else
		echo "FAIL: $what: $(tail -n5 "$tmp/check.out")"; fails=$((fails + 1))
	fi
}
finish() { [ "$fails" -eq 0 ] && echo PASS || { echo "$fails failure(s)"; exit 1; }; }

# mkext4 FILE SIZE_MB: an ext4 image holding hello.txt (made host-side).
mkext4() {
	mkdir -p "$tmp/seed"
	echo "ringvm disk test host" >"$tmp/seed/hello.txt"
	truncate -s "${2}M" "$1"
	mkfs.ext4 -q -F -d "$tmp/seed" "$1" >/dev/null
}
