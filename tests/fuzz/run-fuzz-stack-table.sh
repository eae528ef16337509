#!/bin/bash
# Fuzz the stacks table and the off-CPU sums (tests/fuzz/fuzz_stack_table.c) for
# SS_FUZZ_SECONDS (default 30), seeded with the records of a generated
# trace with stacks. Any crash, leak or sanitizer report fails.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
secs=${SS_FUZZ_SECONDS:-30}
dir=build/fuzz-stack-table
rm -rf "$dir"
mkdir -p "$dir/corpus" "$dir/artifacts"
build/tests/gen_stacks -o "$dir/seed.trace" -r "$dir/corpus/seed.rec" ||
	fail seeds "gen_stacks could not write a seed"
build/tests/fuzz_stack_table -max_total_time="$secs" -max_len=16384 -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
	"$dir/corpus" >"$dir/fuzz.log" 2>&1
rc=$?
runs=$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$dir/fuzz.log" | grep -oE '[0-9]+$')
if [ "$rc" = 0 ] && [ -z "$(ls -A "$dir/artifacts")" ]; then
	pass "fuzz_stack_table_${secs}s (${runs:-?} inputs)"
else
	fail fuzz_stack_table "exit $rc; see $dir/fuzz.log and $dir/artifacts: $(grep -m3 -E 'ERROR|SUMMARY' "$dir/fuzz.log")"
fi
summary
