#!/bin/bash
# Fuzz the /proc/PID/maps parser and the resolver on ss_map records for
# SS_FUZZ_SECONDS (default 30), seeded with this machine's maps lines. Any
# crash, leak or sanitizer report fails.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/fuzz/fuzz_lib.sh
secs=${SS_FUZZ_SECONDS:-30}
dir=build/fuzz-stacks
rm -rf "$dir/corpus" "$dir/artifacts"
mkdir -p "$dir/corpus" "$dir/artifacts"
n=0
while IFS= read -r l; do
	printf '%s\n' "$l" > "$dir/corpus/maps$n"
	n=$((n + 1))
done < /proc/self/maps
fuzz_run fuzz_stacks build/tests/fuzz_stacks "$dir" "$secs" 4096 10 "$n seeds"
summary
