#!/bin/bash
# `switchscope view` of a generated trace of SS_BENCH_VIEW_RECORDS records
# (default 50 million; tests/export/gen_trace.c). Targets (issue 13): first
# frame at most 3 s after the page loads, zoom/pan step median at most
# 50 ms, browser memory at most 1 GB; the server's memory and its index
# build time printed. One run.
cd "$(dirname "$0")/../.." || exit 1
N=${SS_BENCH_VIEW_RECORDS:-50000000}
T=$(mktemp -d -t ss-bench-view.XXXXXX)
VPID=
cleanup() {
	[ -n "$VPID" ] && kill -INT "$VPID" 2>/dev/null && wait "$VPID"
	rm -rf "$T"
}
trap cleanup EXIT
t0=$(date +%s%N)
build/tests/export_gen -o "$T/big.trace" -n "$N" -c 4 > "$T/big.json" || exit 1
t1=$(date +%s%N)
echo "bench: view_trace_records $N records"
echo "bench: view_trace_generate $(( (t1 - t0) / 1000000 )) ms"
echo "bench: view_trace_file $(( $(stat -c %s "$T/big.trace") >> 20 )) MiB"
build/bin/switchscope view --no-open "$T/big.trace" > "$T/out" 2> "$T/err" &
VPID=$!
for _ in $(seq 3000); do
	grep -q '^http://' "$T/out" && break
	kill -0 "$VPID" 2>/dev/null || { cat "$T/err"; exit 1; }
	sleep 0.1
done
cat "$T/err" >&2
url=$(grep -m1 '^http://' "$T/out")
sed -nE 's/.*index of ([0-9]+) records \(([0-9]+) slices and marks, ([0-9.]+) MiB.* built in ([0-9.]+) s.*/bench: view_index_build \4 s\nbench: view_index_entries \2 entries\nbench: view_index_file \3 MiB/p' "$T/err"
sed -nE 's/.*server memory: ([0-9.]+) MiB of index tables.*/bench: view_server_tables \1 MiB/p' "$T/err"
# the page's records are the last window's
node tests/bench/view_browser.mjs "$url"
st=/proc/$VPID/status
echo "bench: view_server_rss $(( $(awk '/^VmRSS/ {print $2}' $st) / 1024 )) MiB"
echo "bench: view_server_rss_anon $(( $(awk '/^RssAnon/ {print $2}' $st) / 1024 )) MiB"
echo "bench: view_server_rss_file $(( $(awk '/^RssFile/ {print $2}' $st) / 1024 )) MiB (index pages, the kernel's cache)"
echo "bench: view_server_peak_rss $(( $(awk '/^VmHWM/ {print $2}' $st) / 1024 )) MiB"
