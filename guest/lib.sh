# guest/lib.sh - helpers shared by the guest build scripts (sourced, not run).
# All output goes to stderr; functions that return a value print it on stdout.

guest_cache() { echo "${RINGVM_CACHE:-$HOME/.cache/ringvm}"; }

# Parallel jobs for make: the CI machine and the dev box both have 2 shared cores.
guest_jobs() { echo "${RINGVM_JOBS:-2}"; }

guest_die() { echo "guest: $*" >&2; exit 1; }

guest_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Installed version of a Debian package, or die naming it.
guest_pkg_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null ||
		guest_die "package $1 is not installed (run scripts/deps.sh guest)"
}

# sha256 over labelled inputs: "key=value" strings are taken literally, anything
# else is a file hashed by content under its base name (so the checkout path does
# not matter).
guest_hash() {
	local a
	for a in "$@"; do
		if [ -f "$a" ]; then
			printf 'file %s %s\n' "$(basename "$a")" "$(sha256sum <"$a" | cut -d' ' -f1)"
		else
			printf 'value %s\n' "$a"
		fi
	done | sha256sum | cut -c1-16
}

# Adds a deb-src entry for Debian bookworm main (same mirrors and key as the
# binary entries) so `apt-get source busybox` works; updates the lists once.
guest_ensure_deb_src() {
	local f=/etc/apt/sources.list.d/ringvm-deb-src.sources
	if apt-cache showsrc busybox 2>/dev/null | grep -q '^Package: busybox'; then
		return 0
	fi
	echo "guest: adding deb-src entry $f" >&2
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
			guest_sudo tee "$f" >/dev/null
	else
		printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' \
			'Suites: bookworm bookworm-updates' 'Components: main' \
			'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
			guest_sudo tee "$f" >/dev/null
	fi
	guest_sudo apt-get update -qq >&2
	apt-cache showsrc busybox 2>/dev/null | grep -q '^Package: busybox' ||
		guest_die "apt cannot find the busybox source package even after adding $f"
}

# The busybox source version to build: the highest one apt knows (what a plain
# `apt-get source busybox` would fetch); build-busybox.sh asks for exactly it.
# (apt-cache is ~10x faster than `apt-get source --print-uris` for cache hits.)
guest_busybox_src_version() {
	local v best=""
	for v in $(apt-cache showsrc busybox 2>/dev/null | awk '/^Version:/ {print $2}'); do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done
	[ -n "$best" ] || guest_die "apt-cache showsrc busybox lists no version (deb-src missing?)"
	echo "$best"
}

# Marks a cache entry directory as just used: its mtime is its age for pruning.
guest_mark_used() { touch "$1" 2>/dev/null || true; }

# guest_prune DIR PATTERN KEEP: removes the directories in DIR whose names
# match PATTERN beyond the KEEP most recently used, but never one used within
# the last day: another checkout's test run may still be reading it. Called
# with the build lock held. (Paths may hold spaces: RINGVM_CACHE is the user's.)
guest_prune() {
	local dir=$1 pat=$2 keep=$3 d n=0
	while IFS= read -r d; do
		n=$((n + 1))
		[ "$n" -le "$keep" ] && continue
		[ -n "$(find "$d" -maxdepth 0 -mtime -1)" ] && continue
		echo "guest: pruning old cache entry $d" >&2
		rm -rf "$d"
	done < <(find "$dir" -mindepth 1 -maxdepth 1 -type d -name "$pat" -printf '%T@ %p\n' |
		sort -rn | cut -d' ' -f2-)
}
