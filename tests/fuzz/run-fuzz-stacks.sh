#!/bin/bash
# Fuzz the /proc/PID/maps parser and the resolver on ss_map records for
# SS_FUZZ_SECONDS (default 30), seeded with this machine's maps lines. Any
# crash, leak or sanitizer report fails.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
secs=${SS_FUZZ_SECONDS:-30}
dir=build/fuzz-stacks
rm -rf "$dir/corpus" "$dir/artifacts"
mkdir -p "$dir/corpus" "$dir/artifacts"
n=0
while IFS= read -r l; do
	printf '%s\n' "$l" > "$dir/corpus/maps$n"
	n=$((n + 1))
done < /proc/self/maps
build/tests/fuzz_stacks -max_total_time="$secs" -max_len=4096 -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
	"$dir/corpus" >"$dir/fuzz.log" 2>&1
rc=$?
runs=$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$dir/fuzz.log" | grep -oE '[0-9]+$')
if [ "$rc" = 0 ] && [ -z "$(ls -A "$dir/artifacts")" ]; then
	pass "fuzz_stacks_${secs}s (${runs:-?} inputs, $n seeds)"
else
	fail fuzz_stacks "exit $rc; see $dir/fuzz.log and $dir/artifacts: $(grep -m3 -E 'ERROR|SUMMARY' "$dir/fuzz.log")"
fi
summary
