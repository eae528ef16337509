#!/bin/bash
# The coroutine trace ring (include/coro_ring.h) in one run: a coroutine
# switch untraced, recorded through the ring, and recorded through the USDT
# probes alone (--coro-ring=off); the rate at which the recorder starts to
# lose ring records, on 1 and 2 threads; bytes per switch in the trace; the
# counter-to-CLOCK_MONOTONIC error over a 60 s recording. The workload runs
# on CPU 0, the recorder on CPU 1; the fastest of ROUNDS runs is kept.
# Prints "bench: <name> <value> <unit>" lines.
cd "$(dirname "$0")/../.." || exit 1
SS=build/bin/switchscope
PP=build/bin/coro-pingpong
N=${BENCH_SWITCHES:-5000000}
ROUNDS=${BENCH_ROUNDS:-5}
CLOCK_SEC=${BENCH_CLOCK_SEC:-60}
d=$(mktemp -d -t ss-bench.XXXXXX)
trap 'rm -rf "$d"' EXIT

field() { grep -oE "$1=[0-9.]+" | head -n 1 | cut -d= -f2; }
best() { sort -n | head -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
json_num() { grep -oE "\"$1\":[0-9]+" "$2" | head -n 1 | grep -oE '[0-9]+$'; }
json_lost() { grep -oE '"lost":\{"total":[0-9]+' "$1" | head -n 1 | grep -oE '[0-9]+$'; }
rec() { taskset -c 1 $SS record -q -o "$d/t.trace" "$@"; }

for i in $(seq "$ROUNDS"); do
	taskset -c 0 $PP --switches "$N" | field ns_per_switch >> "$d/plain"
	rec -- taskset -c 0 $PP --switches "$N" | field ns_per_switch >> "$d/ring"
	$SS report --json "$d/t.trace" > "$d/r.json"
	json_lost "$d/r.json" >> "$d/ring_lost"
	echo "$(stat -c %s "$d/t.trace") $(json_num coro_switch "$d/r.json")" >> "$d/bytes"
	rec --coro-ring=off -- taskset -c 0 $PP --switches $((N / 10)) | field ns_per_switch >> "$d/usdt"
done
plain=$(best < "$d/plain")
ring=$(best < "$d/ring")
usdt=$(best < "$d/usdt")
bps=$(awk '$2 > 0 { b = $1 / $2; if (!m || b < m) m = b } END { printf "%.1f", m }' "$d/bytes")
echo "bench: coro_switch_untraced_ns $plain ns"
echo "bench: coro_switch_ring_traced_ns $ring ns"
echo "bench: coro_switch_usdt_traced_ns $usdt ns"
echo "bench: coro_ring_traced_vs_untraced $(ratio "$ring" "$plain") ratio"
echo "bench: coro_usdt_traced_vs_untraced $(ratio "$usdt" "$plain") ratio"
echo "bench: coro_ring_flat_out_lost_max $(sort -n "$d/ring_lost" | tail -n 1) records"
echo "bench: trace_bytes_per_coro_switch $bps bytes"

# Sustained: a paced ping-pong for about a second per rate, per thread.
for threads in 1 2; do
	first=""
	for rate in 1000000 2000000 4000000 8000000 16000000; do
		rec -- taskset -c 0 $PP --threads "$threads" --rate "$rate" --switches "$rate" > /dev/null
		$SS report --json "$d/t.trace" > "$d/s.json"
		lost=$(json_lost "$d/s.json")
		seen=$(json_num coro_switch "$d/s.json")
		echo "bench: coro_ring_sustained_${threads}t_${rate}_per_s_lost ${lost:-?} records (of $seen)"
		[ -z "$first" ] && [ "${lost:-1}" != 0 ] && first=$rate
	done
	echo "bench: coro_ring_loss_starts_${threads}t ${first:-none_up_to_16000000} switches/s/thread"
done

# The counter's conversion, checked against clock_gettime pairs.
out=$(RING_CLOCK_SEC=$CLOCK_SEC build/tests/test_ring ring_timestamps 2>&1)
err=$(grep -oE 'worst error -?[0-9]+ ns' <<<"$out" | grep -oE -- '-?[0-9]+')
pts=$(grep -oE '[0-9]+ points' <<<"$out" | grep -oE '[0-9]+')
echo "bench: coro_ring_clock_error_${CLOCK_SEC}s ${err:-?} ns (worst of ${pts:-?} points, beyond the clock_gettime pair)"

printf '\n%-40s %12s\n' "coroutine switch (CPU 0)" "ns"
printf '%-40s %12s\n' "untraced" "$plain"
printf '%-40s %12s\n' "recorded through the trace ring" "$ring"
printf '%-40s %12s\n' "recorded through USDT (--coro-ring=off)" "$usdt"
