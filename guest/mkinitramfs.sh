#!/usr/bin/env bash
# guest/mkinitramfs.sh BUSYBOXDIR OUTPUT.cpio.gz - assemble the guest initramfs:
# static busybox + applet links, /init (guest/init), /guest-tests/NAME for every
# guest/tests.d/NAME.sh, and the riscv64 benchmark programs from perf/guest-bench
# (built here: they are small). The archive is reproducible for identical inputs.
set -euo pipefail
trap 'echo "guest: $(basename "$0") failed at line $LINENO: $BASH_COMMAND" >&2' ERR
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
. "$here/lib.sh"

bb=${1:?usage: mkinitramfs.sh BUSYBOXDIR OUTPUT}
output=${2:?usage: mkinitramfs.sh BUSYBOXDIR OUTPUT}
# Applets the init script, the guest tests and the integration tests rely on.
needed="sh mount umount hdparm dd md5sum sha256sum nc ping ip ifconfig udhcpc mkfs.ext2
	sync poweroff reboot setsid cttyhack sleep cat stty echo grep sed awk mkdir ls
	hostname uname dmesg seq tr head tail wc cmp time"

stage=$(mktemp -d "$(dirname "$output")/.initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,mnt,root,etc,guest-tests}
install -m 0755 "$bb/busybox" "$stage/bin/busybox"
while read -r link; do
	link=${link#/}
	[ "$link" = bin/busybox ] && continue
	mkdir -p "$stage/$(dirname "$link")"
	# Relative link so the tree also works when inspected on the host.
	ln -sf "$(realpath -m --relative-to="$stage/$(dirname "$link")" "$stage/bin/busybox")" "$stage/$link"
done <"$bb/busybox.links"
for a in $needed; do
	grep -qE "/$a\$" "$bb/busybox.links" || guest_die "busybox lacks the '$a' applet (check guest/busybox.config)"
done

install -m 0755 "$here/init" "$stage/init"
install -D -m 0755 "$here/udhcpc.script" "$stage/usr/share/udhcpc/default.script"
for t in "$here"/tests.d/*.sh; do
	install -m 0755 "$t" "$stage/guest-tests/$(basename "$t" .sh)"
done
echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
echo "root:x:0:" >"$stage/etc/group"

# Benchmarks: static riscv64, -ffp-contract=off so FP results match the host build.
cflags=(-O2 -std=gnu11 -Wall -Wextra -static -ffp-contract=off)
riscv64-linux-gnu-gcc "${cflags[@]}" -o "$stage/usr/bin/ringvm-bench" "$root/perf/guest-bench/bench.c" -lm
riscv64-linux-gnu-gcc "${cflags[@]}" -o "$stage/usr/bin/rwtest" "$root/perf/guest-bench/rwtest.c" -lpthread
riscv64-linux-gnu-gcc "${cflags[@]}" -o "$stage/usr/bin/nettool" "$root/perf/guest-bench/nettool.c"
riscv64-linux-gnu-strip "$stage/usr/bin/ringvm-bench" "$stage/usr/bin/rwtest" "$stage/usr/bin/nettool"

# Reproducible archive: sorted names, fixed owner and mtime.
find "$stage" -exec touch -h -d @0 {} +
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9n >"$output.tmp"
mv "$output.tmp" "$output"
echo "guest: initramfs $(du -h "$output" | cut -f1) -> $output" >&2
