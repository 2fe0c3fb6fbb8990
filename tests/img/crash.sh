#!/usr/bin/env bash
# crash.sh - kill a writer (crash-writer, using the block API) with SIGKILL
# at random points, at least 100 times; after each kill both checkers find
# no corruption (leaks are allowed) and all data flushed before the kill
# reads back, through our reader and through qemu-img's.
. "$(dirname "$0")/lib.sh" || exit 1
need_qemu
W="$RINGVM_BUILD/tests/img/crash-writer"
[ -x "$W" ] || { echo "crash-writer not built"; exit 1; }
ITER=${CRASH_ITER:-100}
img="$T/c.qcow2"; log="$T/log"
"$IMG" create -q -f qcow2 -o cluster_size=4k "$img" 64M || exit 1
: >"$log"
RANDOM=4242
start=$(date +%s)
for i in $(seq 1 "$ITER"); do
	"$W" write "$img" "$log" "$i" 2>"$T/werr" &
	pid=$!
	sleep "0.$(printf '%03d' $((20 + RANDOM % 300)))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null; rc=$?
	[ $rc -eq 137 ] || { fail "iteration $i: writer exited $rc before the kill: $(cat "$T/werr")"; break; }
	# The kernel drops a killed process's io_uring (and the file references
	# its requests hold, with the image lock) asynchronously: wait for it.
	for k in $(seq 50); do
		"$IMG" info "$img" >/dev/null 2>&1 && break
		sleep 0.1
	done
	"$IMG" check "$img" >"$T/ck" 2>&1; rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 3 ] || { fail "iteration $i: ringvm-img check exit $rc"; cat "$T/ck"; break; }
	qemu-img check "$img" >"$T/ck" 2>&1; rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 3 ] || { fail "iteration $i: qemu-img check exit $rc"; head -20 "$T/ck"; break; }
	"$W" verify "$img" qcow2 "$log" || { fail "iteration $i: flushed data lost (our reader)"; break; }
	if [ $((i % 5)) -eq 0 ] || [ "$i" -eq "$ITER" ]; then
		qemu-img convert -U -O raw "$img" "$T/r.raw" && "$W" verify "$T/r.raw" raw "$log" ||
			{ fail "iteration $i: flushed data lost (qemu-img's reader)"; break; }
	fi
done
echo "$i kills, $(grep -c '^W' "$log") writes, $(grep -c '^F' "$log") flushes in $(( $(date +%s) - start )) s"
finish
