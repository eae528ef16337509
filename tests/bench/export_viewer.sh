#!/bin/bash
# The viewer benchmark on a synthetic 1,000,000-record trace (kernel and
# coroutine switches, tests/export/gen_trace.c). Targets: first frame within
# 3 s, a zoom step within 100 ms.
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d -t ss-bench-viewer.XXXXXX)
trap 'rm -rf "$T"' EXIT
build/tests/export_gen -o "$T/big.trace" -n 1000000 > /dev/null || exit 1
build/bin/switchscope export -q "$T/big.trace" -o "$T/big.html" || exit 1
echo "bench: viewer_html_size $(( $(stat -c %s "$T/big.html") / 1024 )) KiB"
node tests/bench/export_browser.mjs "$T/big.html"
