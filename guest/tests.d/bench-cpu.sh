#!/bin/sh
# bench-cpu: run the CPU benchmark kernels (perf/guest-bench/bench.c) and print their
# JSON lines. Arguments go to ringvm-bench: default "all"; e.g. ringvm.args=-s,2,int
# Exit status is non-zero if any checksum is wrong.
[ $# -gt 0 ] || set -- all
exec ringvm-bench "$@"
