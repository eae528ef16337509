#!/bin/bash
# The flight recorder (record --flight), from one run:
#  1. its slowdown of the futex ping-pong beside normal recording and none
#     (the fastest of ROUNDS alternating runs each: noise only adds time);
#  2. the recorder's memory over time with a time window and with a size
#     window (RSS sampled every 0.2 s while the ping-pong runs for long);
#  3. trigger to dump: a thread stalls 300 ms once, --flight 2s --trigger
#     offcpu>150ms; the dump must hold the trigger and the 2 s before it,
#     every one of TRIALS times.
# Prints "bench: <name> <value> <unit>" lines.
cd "$(dirname "$0")/../.." || exit 1
SS=build/bin/switchscope
PP="build/bin/ss-pingpong --mode thread --via futex --cpu 0 --switches ${BENCH_SWITCHES:-400000}"
ROUNDS=${BENCH_ROUNDS:-5}
TRIALS=${BENCH_TRIALS:-3}
T="taskset -c 1"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail=0

nsps() { grep -oE 'ns_per_switch=[0-9.]+' | cut -d= -f2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

run_untraced() { $PP | nsps; }
run_normal() { $T $SS record -q -o "$d/n.trace" -- $PP 2>/dev/null | nsps; }
run_flight() { $T $SS record -q --flight 2s -o "$d/f.trace" -- $PP 2>/dev/null | nsps; }
run_flight_trig() {
	$T $SS record -q --flight 2s --trigger 'offcpu>10s' --trigger 'runqlat>10s' \
		-o "$d/t.trace" -- $PP 2>/dev/null | nsps
}

configs="untraced normal flight flight_trig"
. tests/bench/rounds.sh
# shellcheck disable=SC2086 # configs: one word each
bench_rounds "$d" "$ROUNDS" $configs
for c in $configs; do
	echo "bench: flight_pingpong_${c}_ns_per_switch $(eval echo \$m_$c) ns"
done
for c in normal flight flight_trig; do
	echo "bench: flight_slowdown_${c} $(ratio "$(eval echo \$m_$c)" "$m_untraced") ratio"
done
echo "bench: flight_vs_normal_slowdown $(ratio "$m_flight" "$m_normal") ratio"
echo "bench: flight_trig_vs_normal_slowdown $(ratio "$m_flight_trig" "$m_normal") ratio"

# 2. Memory: RSS of the recorder every 0.2 s over a long ping-pong.
mem() {
	local name=$1 win=$2 pid i rss
	$T $SS record --flight "$win" -o "$d/m.trace" -- \
		build/bin/ss-pingpong --mode thread --via futex --cpu 0 --switches 3000000 \
		>/dev/null 2>"$d/$name.err" &
	pid=$!
	: > "$d/$name.rss"
	while kill -0 $pid 2>/dev/null; do
		rss=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status 2>/dev/null)
		[ -n "$rss" ] && echo "$rss" >> "$d/$name.rss"
		sleep 0.2
	done
	wait $pid
	local n first_half second_half peak window
	n=$(wc -l < "$d/$name.rss")
	first_half=$(head -n $((n / 2)) "$d/$name.rss" | sort -n | tail -1)
	second_half=$(tail -n $((n - n / 2)) "$d/$name.rss" | sort -n | tail -1)
	window=$(grep -oE 'window held at most [0-9.]+ MB' "$d/$name.err" | grep -oE '[0-9.]+')
	echo "bench: flight_mem_${name}_samples $n count"
	echo "bench: flight_mem_${name}_rss_max_first_half $((first_half / 1024)) MB"
	echo "bench: flight_mem_${name}_rss_max_second_half $((second_half / 1024)) MB"
	echo "bench: flight_mem_${name}_window_peak ${window:-0} MB"
	echo "bench: flight_mem_${name}_growth_second_vs_first $(ratio "$second_half" "$first_half") ratio"
	echo "$name: RSS kB over time: $(tr '\n' ' ' < "$d/$name.rss")" >&2
}
mem time_1s 1s
mem size_16M 16M

# 3. Trigger to dump, TRIALS times.
ok=0
for i in $(seq "$TRIALS"); do
	rm -f "$d"/s.*
	$SS record --flight 2s --trigger 'offcpu>150ms' -o "$d/s.trace" -- \
		build/tests/flight-work stall 6 3 300 >/dev/null 2>"$d/s.err"
	f=$(ls "$d"/s.1.offcpu.trace 2>/dev/null)
	if [ -z "$f" ]; then
		echo "trial $i: no dump: $(cat "$d/s.err")" >&2
		continue
	fi
	# from the dump's first switch (carried-over records sit at its
	# start) to the trigger, both as timehist shows them
	$SS timehist "$f" > "$d/s.th" 2>/dev/null
	first=$(grep -E '^ +[0-9]+\.[0-9]+ +[0-9]+ (blocked|preempted) ' "$d/s.th" | head -1 | awk '{ print $1 }')
	tts=$(grep -E 'TRIGGER offcpu' "$d/s.th" | head -1 | awk '{ print $1 }')
	before=$(awk -v a="$tts" -v b="$first" 'BEGIN { printf "%.3f", a - b }')
	late=$(grep -oE 'written [0-9.]+ [mun]?s after' "$d/s.err" | grep -oE '[0-9.]+ [mun]?s')
	echo "bench: flight_trial${i}_window_before_trigger $before s"
	echo "bench: flight_trial${i}_trigger_to_dump ${late// /_} time"
	if [ -n "$tts" ] && awk -v x="$before" 'BEGIN { exit !(x >= 1.95) }'; then
		ok=$((ok + 1))
	fi
done
echo "bench: flight_trials_with_trigger_and_full_window $ok/$TRIALS count"
[ "$ok" = "$TRIALS" ] || fail=1
exit $fail
