#!/usr/bin/env bash
# The jit suite: guest MIPS of an integer loop (loads, stores, ALU,
# branches, a call) on a bare hart, JIT vs the interpreter in the same run;
# an FP loop that clears fflags every pass (bench-fp-nx), likewise; the
# cost of one AMO or LR/SC pair (bench-amo), likewise.
# CPU time of the vCPU thread, so a busy machine skews it less.
set -euo pipefail
build=${RINGVM_BUILD:?set RINGVM_BUILD}
"$build/perf/jit/bench-mips"
"$build/perf/jit/bench-fp-nx"
"$build/perf/jit/bench-amo"
