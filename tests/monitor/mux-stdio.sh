#!/usr/bin/env bash
# mux-stdio.sh - -serial mon:stdio puts the monitor on the mux's second
# port: "quit" typed while the console has the focus goes to the guest (the
# VM keeps running), after Ctrl-A c it reaches the monitor (exit 0).
set -u
vm="$RINGVM_BUILD/ringvm"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '\x6f\x00\x00\x00' >"$tmp/k.bin" # "j .": the hart spins
fails=0
k=(-bios none -kernel "$tmp/k.bin" -serial mon:stdio)

(sleep 0.5; printf '\001cinfo status\n'; sleep 0.5; printf 'quit\n'; sleep 5) |
	timeout 20 "$vm" "${k[@]}" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q 'VM status: running' "$tmp/out" &&
   grep -q '^(ringvm) ' "$tmp/out"; then
	echo "ok: Ctrl-A c, info status, quit -> exit 0"
else
	echo "FAIL: rc=$rc out=$(cat -A "$tmp/out") err=$(cat "$tmp/err")"
	fails=$((fails + 1))
fi

(sleep 0.5; printf 'quit\n'; sleep 5) | timeout 3 "$vm" "${k[@]}" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 124 ] && ! grep -q 'VM status' "$tmp/out"; then
	echo "ok: without Ctrl-A c, quit goes to the console (still running)"
else
	echo "FAIL: quit without focus: rc=$rc out=$(cat -A "$tmp/out")"
	fails=$((fails + 1))
fi

# -monitor none and -monitor stdio next to -serial stdio
timeout 10 "$vm" -bios none -kernel "$tmp/k.bin" -monitor stdio </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'mon:stdio' "$tmp/err" && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
	echo "ok: -monitor stdio with -serial stdio -> $(cat "$tmp/err")"
else
	echo "FAIL: -monitor stdio: rc=$rc err=$(cat "$tmp/err")"
	fails=$((fails + 1))
fi
timeout 10 "$vm" -bios none -kernel "$tmp/k.bin" -monitor bogus:x </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q '^ringvm: -monitor: ' "$tmp/err"; then
	echo "ok: -monitor bogus:x -> $(cat "$tmp/err")"
else
	echo "FAIL: -monitor bogus:x: rc=$rc err=$(cat "$tmp/err")"
	fails=$((fails + 1))
fi
exit $((fails > 0))
