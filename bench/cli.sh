#!/bin/bash
# The CLI's fixed cost: `box version` against an empty dynamically linked C
# program (the floor: exec, the dynamic loader, libc).
. "$(dirname "$0")/lib.sh"
bench_tmp T
printf 'int main(void) { return 0; }\n' >"$T/empty.c"
cc -O2 -o "$T/empty" "$T/empty.c"
W="CLI fixed cost (box version)"
R=$(bench_runs 300)
bench_time "$W" box box "$R" "" "$BOX version"
bench_time "$W" "empty C program" floor "$R" "" "$T/empty"
bench_goal "$W" "empty C program" 2
