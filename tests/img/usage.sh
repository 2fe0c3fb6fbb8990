#!/usr/bin/env bash
# usage.sh - bad command lines give one "ringvm-img: ..." sentence and exit 1.
. "$(dirname "$0")/lib.sh" || exit 1

bad() {
	"$IMG" "$@" >"$T/out" 2>"$T/err"; local rc=$?
	local lines; lines=$(wc -l <"$T/err")
	if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -q '^ringvm-img: ' "$T/err"; then
		fail "'$*': rc=$rc, stderr: $(cat "$T/err")"
	else
		ok "'$*' -> $(cat "$T/err")"
	fi
}

bad
bad frobnicate x
bad create
bad create -f vmdk "$T/a" 1M
bad create -f qcow2 "$T/a"
bad create -f qcow2 "$T/a" 12Q
bad create -f qcow2 -o cluster_size=3000 "$T/a" 1M
bad create -f qcow2 -o cluster_size=4M "$T/a" 1M
bad create -f qcow2 -o refcount_bits=3 "$T/a" 1M
bad create -f qcow2 -o compat=0.10,lazy_refcounts=on "$T/a" 1M
bad create -f qcow2 -o nosuch=1 "$T/a" 1M
bad create -f raw -o cluster_size=4k "$T/a" 1M
bad create -f qcow2 -o preallocation=sometimes "$T/a" 1M
bad create -Z "$T/a" 1M
bad create -f
bad info
bad info --output=xml x
bad info "$T/does-not-exist"
bad check -r some x
bad convert onlyone
bad convert -O vdi a b
bad convert -S 17 a b
bad snapshot x
bad snapshot -l -c s x
bad resize x
bad resize x +12Q
bad bench -d 0 x
bad bench -i nosuch x
bad map --output=yaml x
bad measure
bad measure --size 1G -O vmdk
bad rebase x
bad commit
[ -e "$T/a" ] && fail "a failed create left a file behind"

# compare: usage and open errors exit 2, not 1
"$IMG" compare onlyone >/dev/null 2>&1; [ $? -eq 2 ] && ok "compare usage -> 2" || fail "compare usage exit"
"$IMG" compare "$T/x" "$T/y" >/dev/null 2>&1; [ $? -eq 2 ] && ok "compare open error -> 2" || fail "compare open exit"
"$IMG" --help >/dev/null || fail "--help"
finish
