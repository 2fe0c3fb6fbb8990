#!/bin/bash
# guest-cache-prune: guest/lib.sh's guest_prune keeps the KEEP most recently used
# cache entries and any entry used within the last day, and removes the rest.
set -eu
. "$RINGVM_SRC/guest/lib.sh"
top=$(mktemp -d); trap 'rm -rf "$top"' EXIT
t="$top/a cache" # RINGVM_CACHE may hold spaces
mkdir "$t"
mkdir -p "$t/guest"
# Ten entries, each a day older than the last, plus one old entry marked used now.
for i in 0 1 2 3 4 5 6 7 8 9; do
	mkdir "$t/guest/a$i"; echo x >"$t/guest/a$i/stamp"
	touch -d "$((i + 2)) days ago" "$t/guest/a$i"
done
mkdir "$t/guest/b"; touch -d "30 days ago" "$t/guest/b"
guest_mark_used "$t/guest/b"
guest_prune "$t/guest" "*" 3 2>/dev/null
left=$(cd "$t/guest" && ls | sort | tr '\n' ' ')
# b (just used) and a0, a1 (the next most recent) stay; a2..a9 go.
if [ "$left" != "a0 a1 b " ]; then
	echo "FAIL: left after pruning: '$left' (want 'a0 a1 b ')"; exit 1
fi
# Entries used within the last day survive even beyond KEEP.
for i in 1 2 3; do mkdir "$t/guest/c$i"; done
guest_prune "$t/guest" "*" 1 2>/dev/null
left=$(cd "$t/guest" && ls | sort | tr '\n' ' ')
if [ "$left" != "b c1 c2 c3 " ]; then
	echo "FAIL: recent entries pruned: '$left' (want 'b c1 c2 c3 ')"; exit 1
fi
echo "ok"
