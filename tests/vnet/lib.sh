# tests/vnet/lib.sh - shared preamble of the Linux-guest virtio-net tests
# (sourced). Each test runs its guests in network namespaces it makes itself.

# vnet_setup MARKER: skips (exit 77) unless root, /dev/net/tun and a test guest
# whose initramfs contains MARKER exist; sets and exports vm guest tmp accel
# ($tmp is removed at exit).
vnet_setup() {
	vm="$RINGVM_BUILD/ringvm"
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: not root"; exit 77; }
	[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
	. "$RINGVM_SRC/tests/lib/guest.sh"
	guest_find "$1"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	accel=${RINGVM_ACCEL:-jit}
	export vm guest tmp accel
}

# vnet_boot_script TEST: writes $tmp/boot, run as `boot NAME ARGS NETOPTS...`:
# one guest running ringvm.run=TEST with ringvm.args=ARGS, console to $tmp/NAME,
# ringvm's stderr to $tmp/NAME.err, killed after 400 s.
vnet_boot_script() {
	cat >"$tmp/boot" <<EOS
#!/usr/bin/env bash
name=\$1 args=\$2; shift 2
exec timeout 400 "$vm" -accel $accel -m 256M -nographic -kernel "$guest/Image" \\
	-initrd "$guest/initramfs.cpio.gz" \\
	-append "console=ttyS0 ringvm.run=$1 ringvm.args=\$args" "\$@" \\
	</dev/null >"$tmp/\$name" 2>"$tmp/\$name.err"
EOS
	chmod +x "$tmp/boot"
}
