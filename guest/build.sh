#!/usr/bin/env bash
# guest/build.sh - build (or take from the cache) the ringvm test guest: a riscv64
# Linux kernel (Image + vmlinux) and a busybox initramfs with /init, the guest test
# scripts (guest/tests.d) and the benchmark programs (perf/guest-bench).
#
# Usage: out=$(guest/build.sh)    # stdout carries only the output directory
#   $out/Image  $out/vmlinux  $out/initramfs.cpio.gz  $out/stamp
#
# Everything comes from Debian packages (linux-source-6.1, busybox source package,
# gcc-riscv64-linux-gnu). Results are cached under ${RINGVM_CACHE:-~/.cache/ringvm}
# keyed by a hash of every input (see guest/README.md); the kernel and busybox are
# also cached separately so that changing a test script only repacks the initramfs.
# Concurrent callers are serialised with flock: the first builds, the others wait and
# reuse its result. Builds happen in a temp dir inside the cache and are renamed
# into place, so an interrupted build never leaves a half-written result.
set -euo pipefail
trap 'echo "guest: $(basename "$0") failed at line $LINENO: $BASH_COMMAND" >&2' ERR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
exec 3>&1 1>&2 # all chatter to stderr; fd 3 gets the result path

# shellcheck source=lib.sh
. "$here/lib.sh"

"$root/scripts/deps.sh" guest
guest_ensure_deb_src

cache=$(guest_cache)
mkdir -p "$cache/guest" "$cache/parts" "$cache/src"

kver=$(guest_pkg_version linux-source-6.1)
gver=$(guest_pkg_version gcc-riscv64-linux-gnu)
bver=$(guest_busybox_src_version)

# Part hashes cover what changes that part's output: its script, its config and
# the package versions. lib.sh (helpers only) and the assembly inputs go into the
# final hash, so editing them repacks the initramfs without rebuilding the kernel.
khash=$(guest_hash "linux-source-6.1=$kver" "gcc-riscv64-linux-gnu=$gver" \
	"$here/build-kernel.sh" "$here/kernel.config")
bhash=$(guest_hash "busybox-src=$bver" "gcc-riscv64-linux-gnu=$gver" \
	"$here/build-busybox.sh" "$here/busybox.config")
ghash=$(guest_hash "kernel=$khash" "busybox=$bhash" "$here/lib.sh" "$here/build.sh" \
	"$here/mkinitramfs.sh" "$here/init" "$here/udhcpc.script" "$here"/tests.d/* \
	"$root"/perf/guest-bench/*.c)

out="$cache/guest/$ghash"
if [ -f "$out/stamp" ]; then
	echo "guest: cached $out"
	guest_mark_used "$out"
	echo "$out" >&3
	exit 0
fi

# One builder at a time; whoever waited re-checks before building.
exec 9>"$cache/.lock"
echo "guest: taking the build lock $cache/.lock (another build may be running)"
flock 9
if [ ! -f "$out/stamp" ]; then
	# Holding the lock means no builder is alive (an orphaned child of a killed
	# build.sh inherits and keeps the lock), so any temp dir left is stale garbage;
	# a kernel tree is ~1.5 GB, so do not let them pile up.
	rm -rf "$cache"/parts/.kernel.* "$cache"/parts/.busybox.* "$cache"/guest/.tmp.* \
		"$cache"/src/.busybox.*
	start=$(date +%s)
	kdir="$cache/parts/kernel-$khash"
	bdir="$cache/parts/busybox-$bhash"
	[ -f "$kdir/stamp" ] || "$here/build-kernel.sh" "$kdir"
	[ -f "$bdir/stamp" ] || "$here/build-busybox.sh" "$bdir" "$cache/src"
	guest_mark_used "$kdir"
	guest_mark_used "$bdir"

	tmp=$(mktemp -d "$cache/guest/.tmp.XXXXXX")
	chmod 755 "$tmp"
	trap 'rm -rf "$tmp"' EXIT
	ln "$kdir/Image" "$tmp/Image" 2>/dev/null || cp "$kdir/Image" "$tmp/Image"
	ln "$kdir/vmlinux" "$tmp/vmlinux" 2>/dev/null || cp "$kdir/vmlinux" "$tmp/vmlinux"
	cp "$kdir/config" "$tmp/kernel.config"
	"$here/mkinitramfs.sh" "$bdir" "$tmp/initramfs.cpio.gz"
	{
		echo "hash=$ghash"
		echo "kernel=$khash linux-source-6.1=$kver"
		echo "busybox=$bhash busybox-src=$bver"
		echo "gcc-riscv64-linux-gnu=$gver"
		echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) seconds=$(($(date +%s) - start))"
	} >"$tmp/stamp"
	rm -rf "$out" # a stamp-less leftover can only be garbage
	mv -T "$tmp" "$out"
	trap - EXIT
	echo "guest: built $out in $(($(date +%s) - start)) s"
	# Each edit of a test script makes a new entry; keep the cache bounded.
	guest_prune "$cache/guest" "[0-9a-f]*" 8
	guest_prune "$cache/parts" "kernel-*" 2
	guest_prune "$cache/parts" "busybox-*" 2
fi
echo "$out" >&3
