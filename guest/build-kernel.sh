#!/usr/bin/env bash
# guest/build-kernel.sh OUTDIR - build the guest kernel from Debian's linux-source-6.1
# with guest/kernel.config (on top of allnoconfig) and put Image, vmlinux (with
# symbols) and config into OUTDIR (created atomically, stamp written last).
# Called by build.sh under its lock; safe to run by hand.
set -euo pipefail
trap 'echo "guest: $(basename "$0") failed at line $LINENO: $BASH_COMMAND" >&2' ERR
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

out=${1:?usage: build-kernel.sh OUTDIR}
tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || guest_die "$tarball is missing (apt-get install linux-source-6.1)"
kmake=(make -j"$(guest_jobs)" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- -s)

mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.kernel.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

echo "guest: unpacking $tarball" >&2
tar -xf "$tarball" -C "$work"
src=$(echo "$work"/linux-source-6.1)
[ -d "$src" ] || guest_die "$tarball did not contain linux-source-6.1/"

echo "guest: configuring the kernel (allnoconfig + guest/kernel.config)" >&2
"${kmake[@]}" -C "$src" KCONFIG_ALLCONFIG="$here/kernel.config" allnoconfig >&2
# Kconfig silently drops options whose dependencies are not met: insist on each one.
bad=0
while read -r line; do
	case "$line" in
	'# CONFIG_'*' is not set')
		sym=${line#\# }; sym=${sym%% *}
		if grep -q "^$sym=" "$src/.config"; then
			echo "guest: kernel.config wants '$line' but Kconfig enabled it" >&2; bad=1
		fi ;;
	CONFIG_*=*)
		if ! grep -qxF "$line" "$src/.config"; then
			echo "guest: kernel.config wants '$line' but got '$(grep "^${line%%=*}=" "$src/.config" || echo unset)'" >&2
			bad=1
		fi ;;
	esac
done <"$here/kernel.config"
[ "$bad" -eq 0 ] || guest_die "kernel.config does not survive Kconfig dependency resolution (see above)"

echo "guest: building the kernel with $(guest_jobs) jobs (several minutes)" >&2
"${kmake[@]}" -C "$src" Image >&2

mkdir "$work/out"
cp "$src/arch/riscv/boot/Image" "$src/vmlinux" "$work/out/"
cp "$src/.config" "$work/out/config"
echo "seconds=$(($(date +%s) - start))" >"$work/out/stamp"
rm -rf "$out"
mv -T "$work/out" "$out"
echo "guest: kernel built in $(($(date +%s) - start)) s -> $out" >&2
