#!/bin/bash
# Coroutine switches untraced and recorded by switchscope (through the
# trace ring by default), next to kernel thread and process switches, in
# one run. The fastest of ROUNDS runs is kept (noise only adds). Prints
# "bench: <name> <value> <unit>" lines and a small table.
cd "$(dirname "$0")/../.." || exit 1
SS=build/bin/switchscope
N=${BENCH_SWITCHES:-2000000}
ROUNDS=${BENCH_ROUNDS:-5}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

field() { grep -oE "$1=[0-9.]+" | head -n 1 | cut -d= -f2; }
best() { sort -n | head -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

for i in $(seq "$ROUNDS"); do
	build/bin/coro-pingpong --switches "$N" | field ns_per_switch >> "$d/coro"
	$SS record -q -o "$d/t.trace" -- taskset -c 0 build/bin/coro-pingpong --switches "$N" \
		2>"$d/err" | field ns_per_switch >> "$d/traced"
	$SS report --json "$d/t.trace" > "$d/t.json"
	grep -oE '"coro_switch":[0-9]+' "$d/t.json" | head -1 | cut -d: -f2 >> "$d/recs"
	grep -oE '"lost":\{"total":[0-9]+' "$d/t.json" | grep -oE '[0-9]+$' >> "$d/lost"
	grep -oE '"duration_ns":[0-9]+' "$d/t.json" | cut -d: -f2 >> "$d/dur"
	build/bin/ss-pingpong --mode thread --switches 200000 --cpu 0 | field ns_per_switch >> "$d/thread"
	build/bin/ss-pingpong --mode process --switches 200000 --cpu 0 | field ns_per_switch >> "$d/process"
done
coro=$(best < "$d/coro")
traced=$(best < "$d/traced")
thread=$(best < "$d/thread")
process=$(best < "$d/process")
lost=$(sort -n "$d/lost" | tail -n 1)
# Events per second while recording: coro_switch records over the recording
# time of the run that recorded the most per second.
eps=$(paste "$d/recs" "$d/dur" | awk '$2 > 0 { r = $1 / ($2 / 1e9); if (r > m) m = r } END { printf "%.0f", m }')

echo "bench: coro_switch_untraced_ns $coro ns"
echo "bench: coro_switch_traced_ns $traced ns"
echo "bench: coro_switch_traced_vs_untraced $(ratio "$traced" "$coro") ratio"
echo "bench: recorder_coro_events_per_s $eps events/s"
echo "bench: recorder_coro_lost_events ${lost:-unknown} count"
echo "bench: thread_switch_futex_1cpu_ns $thread ns"
echo "bench: process_switch_futex_1cpu_ns $process ns"
echo "bench: thread_switch_vs_coro_switch $(ratio "$thread" "$coro") ratio"
echo "bench: process_switch_vs_thread_switch $(ratio "$process" "$thread") ratio"
printf '\n%-34s %12s\n' "switch (one CPU)" "ns per switch"
printf '%-34s %12s\n' "coroutine" "$coro"
printf '%-34s %12s\n' "coroutine, recorded by switchscope" "$traced"
printf '%-34s %12s\n' "thread (futex)" "$thread"
printf '%-34s %12s\n' "process (futex)" "$process"
