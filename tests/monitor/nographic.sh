#!/usr/bin/env bash
# nographic.sh - -nographic with neither -serial nor -monitor puts the
# console and the monitor on stdio as -serial mon:stdio does (QEMU's
# behaviour): nothing from the monitor until Ctrl-A c, then its banner and
# prompt; "info status" answers; Ctrl-A c goes back to the console, whose
# input does not reach the monitor; "quit" there exits 0. With -serial or
# -monitor given, -nographic changes nothing: no monitor on stdout.
# The kernel is a 4-byte flat payload ("j .": the hart spins, no output).
set -u
vm="$RINGVM_BUILD/ringvm"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '\x6f\x00\x00\x00' >"$tmp/k.bin"
fails=0
k=(-bios none -kernel "$tmp/k.bin" -nographic)
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run_vm SECS ARGS...: ringvm (stdin from the caller, output in $tmp/out and
# $tmp/err) for SECS seconds, then SIGTERM. Returns its status, or 124 when
# it had to be stopped (timeout(1)'s convention). When it is still alive 10 s
# after the SIGTERM, its threads' states and stacks go to stderr and it is
# killed: rc 137 (a hang on the way out, reported as such rather than as
# the test's own timeout).
run_vm() {
	local secs=$1 pid i
	shift
	"$vm" "$@" <&0 >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return; }
		sleep 0.1
	done
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return 124; }
		sleep 0.1
	done
	{
		echo "ringvm $pid still running 10 s after SIGTERM; its threads:"
		for t in /proc/"$pid"/task/*; do
			echo "  $(cat "$t/comm") state=$(awk '{print $3}' "$t/stat") wchan=$(cat "$t/wchan")"
			cat "$t/stack" 2>/dev/null | sed 's/^/    /'
		done
		command -v gdb >/dev/null && timeout 60 gdb -q -batch -p "$pid" -ex "thread apply all bt" 2>&1
	} >&2
	kill -KILL "$pid"
	wait "$pid"
	return 137
}

# stdout before any Ctrl-A c: the monitor stays quiet
(sleep 1; printf 'info status\n'; sleep 1) | run_vm 3 "${k[@]}"
rc=$?
if [ "$rc" -eq 124 ] && [ ! -s "$tmp/out" ]; then
	ok "-nographic: no banner, typed lines go to the guest (still running)"
else
	fail "-nographic before Ctrl-A c: rc=$rc out=$(cat -A "$tmp/out") err=$(cat "$tmp/err")"
fi

(sleep 0.5; printf '\001cinfo status\n'; sleep 0.3; printf '\001cinfo status\n'; sleep 0.3
 printf '\001cquit\n'; sleep 5) | run_vm 20 "${k[@]}"
rc=$?
n_banner=$(grep -c "monitor - type 'help'" "$tmp/out")
n_status=$(grep -c 'VM status: running' "$tmp/out")
if [ "$rc" -eq 0 ] && [ "$n_banner" -eq 1 ] && [ "$n_status" -eq 1 ] &&
   grep -q '^(ringvm) quit' "$tmp/out"; then
	ok "-nographic: Ctrl-A c -> banner, info status; back to the console; Ctrl-A c, quit -> exit 0"
else
	fail "-nographic switch: rc=$rc banners=$n_banner status=$n_status out=$(cat -A "$tmp/out") err=$(cat "$tmp/err")"
fi

# an explicit -serial or -monitor: stdio is the console only
for opt in "-serial stdio" "-monitor none" "-serial null"; do
	# shellcheck disable=SC2086 # opt holds two words on purpose
	(sleep 0.5; printf '\001cinfo status\n'; sleep 1) |
		run_vm 3 "${k[@]}" $opt
	rc=$?
	if [ "$rc" -eq 124 ] && ! grep -q 'ringvm' "$tmp/out"; then
		ok "-nographic $opt: no monitor"
	else
		fail "-nographic $opt: rc=$rc out=$(cat -A "$tmp/out") err=$(cat "$tmp/err")"
	fi
done
exit $((fails > 0))
