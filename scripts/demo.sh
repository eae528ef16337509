#!/bin/bash
# make demo: record the classic ping-pongs (threads, then processes) on one
# CPU and print what the traces say.
set -eu
cd "$(dirname "$0")/.."
out=build/demo
mkdir -p "$out"
for mode in thread process; do
	echo "=== $mode ping-pong, 200,000 hand-overs on CPU 0, traced"
	build/bin/switchscope record --switch-in -o "$out/$mode.trace" -- \
		build/bin/ss-pingpong --mode "$mode" --switches 200000 --cpu 0
	build/bin/switchscope report -n 5 "$out/$mode.trace"
	echo
done
echo "traces: $out/thread.trace $out/process.trace"
echo "see them: build/bin/switchscope timehist $out/thread.trace | less"
