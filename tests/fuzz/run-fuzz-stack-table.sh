#!/bin/bash
# Fuzz the stacks table and the off-CPU sums (tests/fuzz/fuzz_stack_table.c) for
# SS_FUZZ_SECONDS (default 30), seeded with the records of a generated
# trace with stacks. Any crash, leak or sanitizer report fails.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/fuzz/fuzz_lib.sh
secs=${SS_FUZZ_SECONDS:-30}
dir=build/fuzz-stack-table
rm -rf "$dir"
mkdir -p "$dir/corpus" "$dir/artifacts"
build/tests/gen_stacks -o "$dir/seed.trace" -r "$dir/corpus/seed.rec" ||
	fail seeds "gen_stacks could not write a seed"
fuzz_run fuzz_stack_table build/tests/fuzz_stack_table "$dir" "$secs" 16384 10 ""
summary
