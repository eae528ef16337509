#!/bin/bash
# Fuzz the exports and view's index and answers (tests/fuzz/fuzz_export.c)
# for SS_FUZZ_SECONDS (default 30), seeded with small real recordings and
# generated traces (stacks and triggers, coroutines, gaps). Any crash, leak
# or sanitizer report fails.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/fuzz/fuzz_lib.sh
secs=${SS_FUZZ_SECONDS:-30}
dir=build/fuzz-export
rm -rf "$dir"
mkdir -p "$dir/corpus" "$dir/artifacts"
n=0
seed() { "$@" >/dev/null 2>&1 && n=$((n + 1)); }
seed build/bin/switchscope record -q --compress=none -o "$dir/corpus/pingpong.trace" -- \
	build/bin/ss-pingpong --switches 100
seed build/bin/switchscope record -q -o "$dir/corpus/coro.trace" -- \
	build/bin/coro-pingpong --threads 2 --switches 100
seed build/bin/switchscope record -q --compress=none --stacks -o "$dir/corpus/stacks.trace" -- \
	build/bin/ss-blocker 3 1
seed build/tests/gen_stacks -T -o "$dir/corpus/gen_stacks.trace"
seed build/tests/export_gen -o "$dir/corpus/gen.trace" -n 600 -c 2 -g
seed build/tests/export_gen -o "$dir/corpus/gen_t.trace" -n 400 -c 3 -t
[ "$n" -ge 4 ] || fail seeds "only $n of 6 seed traces written"
fuzz_run fuzz_export build/tests/fuzz_export "$dir" "$secs" 65536 20 "$n seeds"
summary
