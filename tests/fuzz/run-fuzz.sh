#!/bin/bash
# Fuzz the trace reader for SS_FUZZ_SECONDS (default 60), seeded with real
# traces recorded here. Any crash, leak or sanitizer report fails.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/fuzz/fuzz_lib.sh
secs=${SS_FUZZ_SECONDS:-60}
dir=build/fuzz
rm -rf "$dir/corpus" "$dir/artifacts"
mkdir -p "$dir/corpus" "$dir/artifacts"

. tests/integration/damage_lib.sh

# Seeds: small real traces (the fuzzer mutates from there), with event
# chunks compressed (the default) and not.
n=0
for args in "/bin/true" "build/bin/ss-pingpong --switches 50" \
	    "/bin/sh -c (true)" "build/bin/ss-pingpong --mode process --switches 20" \
	    "--compress=none -- build/bin/ss-pingpong --switches 50" \
	    "--compress=zstd:19 -- build/bin/ss-pingpong --switches 200" \
	    "--stacks --compress=none -- build/bin/ss-blocker 5 1"; do
	case $args in --*) ;; *) args="-- $args" ;; esac
	# shellcheck disable=SC2086
	if build/bin/switchscope record -q -o "$dir/corpus/seed$n.trace" $args >/dev/null 2>&1; then
		n=$((n + 1))
	fi
done
[ "$n" -gt 0 ] || fail seeds "could not record any seed trace"
nz=$(for f in "$dir"/corpus/seed*.trace; do chunks "$f"; done | awk '$2 == 6' | wc -l)
[ "$nz" -gt 0 ] || fail seeds "no seed has a compressed chunk"
to_v1 "$dir/corpus/seed4.trace" "$dir/corpus/seed-v1.trace"	# format 1.0

fuzz_run fuzz_trace_reader build/tests/fuzz_reader "$dir" "$secs" 65536 10 "$n seeds, $nz compressed chunks"
summary
