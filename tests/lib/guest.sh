# guest.sh - sourced by the test scripts that boot the test guest: where
# its Image and initramfs are. RINGVM_GUEST_DIR (or the older name
# RINGVM_GUEST) points at a prebuilt guest; else guest/build.sh makes it
# (cached by a hash of its inputs, so this is quick after the first run).
# A guest that cannot be built fails the test: it is built from Debian
# packages the test command installs, so a skip here would hide a broken
# build behind green tests.

# guest_find [NAME]: sets guest to the directory. With NAME, skips
# (exit 77) when the initramfs lacks it: a prebuilt guest from before the
# guest test NAME existed.
guest_find() {
	guest=${RINGVM_GUEST_DIR:-${RINGVM_GUEST:-}}
	if [ -z "$guest" ]; then
		guest=$("$RINGVM_SRC/guest/build.sh" | tail -n 1) ||
			{ echo "FAIL: guest/build.sh could not build the test guest"; exit 1; }
	fi
	local f
	for f in Image initramfs.cpio.gz; do
		[ -f "$guest/$f" ] || { echo "FAIL: the test guest in '$guest' has no $f"; exit 1; }
	done
	if [ -n "${1:-}" ]; then
		zcat "$guest/initramfs.cpio.gz" | grep -aq "$1" ||
			{ echo "SKIP: the guest in '$guest' lacks '$1' (rebuild it with guest/build.sh)"; exit 77; }
	fi
}
