#!/usr/bin/env bash
# guest/build-busybox.sh OUTDIR SRCCACHE - build a static riscv64 busybox from
# Debian's busybox source package (fetched once with `apt-get source` into
# SRCCACHE) with `make defconfig` + guest/busybox.config. OUTDIR gets busybox,
# busybox.links (applet paths for the initramfs) and config; created atomically.
set -euo pipefail
trap 'echo "guest: $(basename "$0") failed at line $LINENO: $BASH_COMMAND" >&2' ERR
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

out=${1:?usage: build-busybox.sh OUTDIR SRCCACHE}
srccache=${2:?usage: build-busybox.sh OUTDIR SRCCACHE}
ver=$(guest_busybox_src_version)
bmake=(make -j"$(guest_jobs)" CROSS_COMPILE=riscv64-linux-gnu-)

# 1. Source: apt-get source into a temp dir, renamed into place when complete.
pristine="$srccache/busybox-${ver#*:}" # no epoch colon in paths
if [ ! -d "$pristine" ]; then
	mkdir -p "$srccache"
	dl=$(mktemp -d "$srccache/.busybox.XXXXXX")
	echo "guest: fetching the busybox $ver source package" >&2
	(cd "$dl" && apt-get source -qq "busybox=$ver" >&2 2>&1) || { rm -rf "$dl"; guest_die "apt-get source busybox failed"; }
	tree=$(find "$dl" -mindepth 1 -maxdepth 1 -type d -name 'busybox-*' | head -1)
	[ -n "$tree" ] || { rm -rf "$dl"; guest_die "apt-get source busybox unpacked no busybox-*/ tree"; }
	mv -T "$tree" "$pristine" 2>/dev/null || true # a racing fetch may have won
	rm -rf "$dl"
fi

# 2. Build in a scratch copy so the cached source stays pristine.
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.busybox.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
cp -a "$pristine" "$work/src"
cd "$work/src"
"${bmake[@]}" -s defconfig >/dev/null
while read -r line; do
	case "$line" in
	'# CONFIG_'*' is not set')
		sym=${line#\# }; sym=${sym%% *}
		sed -i "s/^$sym=.*/# $sym is not set/" .config ;;
	CONFIG_*=*)
		sym=${line%%=*}
		sed -i "/^# $sym is not set\$/d; /^$sym=/d" .config
		echo "$line" >>.config ;;
	esac
done <"$here/busybox.config"
# (yes dies of SIGPIPE when oldconfig stops reading: not an error under pipefail)
{ yes "" || true; } | "${bmake[@]}" -s oldconfig >/dev/null 2>&1
while read -r line; do # the options must have stuck after oldconfig
	case "$line" in
	'# CONFIG_'*) sym=${line#\# }; sym=${sym%% *}
		! grep -q "^$sym=y" .config || guest_die "busybox.config: $sym is still enabled" ;;
	CONFIG_*=*) grep -qxF "$line" .config || guest_die "busybox.config: '$line' did not stick" ;;
	esac
done <"$here/busybox.config"

echo "guest: building busybox with $(guest_jobs) jobs" >&2
"${bmake[@]}" busybox busybox.links >&2
file busybox 2>/dev/null | grep -q 'statically linked' || [ ! -x /usr/bin/file ] ||
	guest_die "busybox did not link statically"

mkdir -m 755 "$work/out"
cp busybox busybox.links "$work/out/"
cp .config "$work/out/config"
echo "seconds=$(($(date +%s) - start))" >"$work/out/stamp"
rm -rf "$out"
mv -T "$work/out" "$out"
echo "guest: busybox built in $(($(date +%s) - start)) s -> $out" >&2
