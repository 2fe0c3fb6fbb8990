#!/usr/bin/env bash
# errors.sh - every bad command line ends with exit status 1 and exactly one
# line on stderr starting "ringvm: ", nothing on stdout, and no crash.
set -u
vm="$RINGVM_BUILD/ringvm"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect_error "what it shows" args...
expect_error() {
	local what=$1; shift
	timeout 20 "$vm" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ] || [ -s "$tmp/out" ] ||
	   ! grep -q '^ringvm: ' "$tmp/err" || ! grep -qi -- "$what" "$tmp/err"; then
		echo "FAIL: ringvm $* -> rc=$rc, stderr($lines lines): $(cat "$tmp/err")"
		fails=$((fails + 1))
	else
		echo "ok: ringvm $* -> $(cat "$tmp/err")"
	fi
}

head -c $((3 << 20)) /dev/zero >"$tmp/big"
echo hi >"$tmp/small"
head -c $((600 << 10)) /dev/zero >"$tmp/600k"

expect_error "unknown option '-bogus'" -bogus
expect_error "needs an argument" -m
expect_error "invalid memory size '12Q'" -m 12Q
expect_error "invalid memory size" -m -5
expect_error "invalid memory size" -m 99999999999999999999999T
expect_error "1 TiB" -m 4096G -bios none -kernel "$tmp/small"
expect_error "more than this host's memory" -m 900G -bios none -kernel "$tmp/small"
expect_error "at least 1 MiB" -m 64K -bios none -kernel "$tmp/small"
expect_error "only one hart" -smp 2
expect_error "invalid hart count" -smp zero
expect_error "only the 'virt' machine" -M sifive_u
expect_error "takes only the dumpdtb=PATH property" -machine virt,aia=aplic
expect_error "cannot write the device tree to '/nonexistent/x.dtb'" -machine virt,dumpdtb=/nonexistent/x.dtb -bios none -kernel "$tmp/small"
expect_error "unknown -serial device 'vc'" -serial vc
expect_error "needs path=PATH (unix) or port=PORT" -chardev socket,id=x
expect_error "unknown chardev backend 'bogus'" -chardev bogus,id=a
expect_error "cannot open '/nonexistent/dir/log'" -serial file:/nonexistent/dir/log -bios none -kernel "$tmp/small"
expect_error "no -chardev with id 'nope'" -serial chardev:nope -bios none -kernel "$tmp/small"
expect_error "chardev id 'a' is used twice" -chardev null,id=a -chardev null,id=a -bios none -kernel "$tmp/small"
expect_error "-display 'gtk'" -display gtk
expect_error "-accel 'kvm'" -accel kvm
expect_error "unexpected argument 'disk.img'" disk.img
expect_error "cannot read kernel '/nonexistent/Image': No such file" -bios none -kernel /nonexistent/Image
expect_error "cannot read firmware '/nonexistent/fw.bin'" -bios /nonexistent/fw.bin
expect_error "cannot read kernel '$tmp'" -bios none -kernel "$tmp"
expect_error "-bios none needs a -kernel" -bios none
expect_error "-initrd needs a -kernel" -initrd "$tmp/small"
expect_error "not a RISC-V 64-bit ELF" -bios none -kernel /bin/true
expect_error "larger than the guest RAM" -m 2M -bios none -kernel "$tmp/small" -initrd "$tmp/big"
expect_error "too small for the firmware, kernel and initrd" -m 1M -bios none -kernel "$tmp/600k" -initrd "$tmp/600k"
expect_error "Could not open '/nonexistent.img'" -drive file=/nonexistent.img,format=raw -bios none -kernel "$tmp/small"
expect_error "-drive: unknown option 'bogus'" -drive bogus=1
expect_error "needs netdev=ID" -device virtio-net-device
expect_error "no -drive with id=d9" -device virtio-blk-device,drive=d9 -bios none -kernel "$tmp/small"
expect_error "drive= is missing" -drive file="$tmp/small",if=none,id=d0 -device virtio-blk-device
expect_error "8 virtio-mmio slots" -bios none -kernel "$tmp/small" $(for i in 1 2 3 4 5 6 7 8 9; do echo -device virtio-rng-device; done)
expect_error "at most 4 -serial" -serial stdio -serial null -serial null -serial null -serial null
expect_error "-serial none cannot be combined" -serial null -serial none

# The good paths print to stdout and exit 0.
"$vm" --help | grep -q -- '-kernel PATH' || { echo "FAIL: --help"; fails=$((fails + 1)); }
"$vm" -version | grep -q '^ringvm version ' || { echo "FAIL: -version"; fails=$((fails + 1)); }

"$vm" -machine virt,dumpdtb="$tmp/virt.dtb" -m 256M -append "console=ttyS0" -kernel "$tmp/small" </dev/null &&
	[ "$(od -An -tx1 -N4 "$tmp/virt.dtb" | tr -d ' ')" = d00dfeed ] ||
	{ echo "FAIL: dumpdtb"; fails=$((fails + 1)); }
if command -v dtc >/dev/null; then
	dtc -q -I dtb -O dts "$tmp/virt.dtb" | grep -q 'bootargs = "console=ttyS0"' ||
		{ echo "FAIL: dumpdtb content"; fails=$((fails + 1)); }
fi

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all error paths ok"
