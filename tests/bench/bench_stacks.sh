#!/bin/bash
# What stacks cost: the futex ping-pong (two threads on one CPU) untraced,
# recorded, recorded with --stacks, and under perf with callchains (-g) as
# `perf sched record -g` and `perf record -e sched:sched_switch -g`. Added
# ns per switch for each, the ratio of ours (--stacks) to perf's, and bytes
# per switch of the files. Rounds alternate between configurations and the
# fastest of each is kept (the machine is shared). Prints "bench: <name>
# <value> <unit>" lines.
cd "$(dirname "$0")/../.." || exit 1
SS=build/bin/switchscope
PP="build/bin/ss-pingpong --mode thread --via futex --cpu 0 --switches ${BENCH_SWITCHES:-200000}"
ROUNDS=${BENCH_ROUNDS:-5}
# The tracers' user-space side on CPU 1: the probes' cost on CPU 0 is what
# is measured.
T="taskset -c 1"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

nsps() { grep -oE 'ns_per_switch=[0-9.]+' | cut -d= -f2; }
best() { sort -n | head -n 1; }

run_untraced() { $PP | nsps; }
run_ss() { $T $SS record -q -o "$d/ss.trace" -- $PP 2>/dev/null | nsps; }
run_ss_stacks() { $T $SS record --stacks -o "$d/sss.trace" -- $PP 2>"$d/sss.err" | nsps; }
run_perf_sched() { $T perf sched record -g -q -o "$d/sched.data" -- $PP 2>/dev/null | nsps; }
run_perf_switch() { $T perf record -g -q -e sched:sched_switch -o "$d/switch.data" -- $PP 2>/dev/null | nsps; }

configs="untraced ss ss_stacks perf_sched perf_switch"
for i in $(seq "$ROUNDS"); do
	for c in $configs; do
		v=$("run_$c")
		[ -n "$v" ] && echo "$v" >> "$d/$c.vals"
	done
done
for c in $configs; do
	m=$(best < "$d/$c.vals")
	eval "m_$c=$m"
	echo "bench: stacks_pingpong_${c}_ns_per_switch $m ns"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
added() { awk -v a="$1" -v b="$m_untraced" 'BEGIN { printf "%.1f", a - b }'; }
a_ss=$(added "$m_ss")
a_sss=$(added "$m_ss_stacks")
a_sched=$(added "$m_perf_sched")
a_switch=$(added "$m_perf_switch")
echo "bench: stacks_added_ns_per_switch_record $a_ss ns"
echo "bench: stacks_added_ns_per_switch_record_stacks $a_sss ns"
echo "bench: stacks_added_ns_per_switch_perf_sched_record_g $a_sched ns"
echo "bench: stacks_added_ns_per_switch_perf_record_switch_g $a_switch ns"
echo "bench: stacks_added_by_stacks_ns_per_switch $(awk -v a="$a_sss" -v b="$a_ss" 'BEGIN { printf "%.1f", a - b }') ns"
echo "bench: stacks_record_stacks_vs_perf_sched_g $(ratio "$a_sss" "$a_sched") ratio"
echo "bench: stacks_record_stacks_vs_perf_switch_g $(ratio "$a_sss" "$a_switch") ratio"

# Bytes per switch (files of the last round, same workload).
switches() { $SS report --json "$1" | grep -oE '"switch":[0-9]+' | head -1 | cut -d: -f2; }
perf_switches() { perf script -i "$1" -F event 2>/dev/null | grep -c 'sched:sched_switch'; }
sw_ss=$(switches "$d/ss.trace")
sw_sss=$(switches "$d/sss.trace")
sw_sched=$(perf_switches "$d/sched.data")
sw_switch=$(perf_switches "$d/switch.data")
b_ss=$(ratio "$(stat -c %s "$d/ss.trace")" "$sw_ss")
b_sss=$(ratio "$(stat -c %s "$d/sss.trace")" "$sw_sss")
b_sched=$(ratio "$(stat -c %s "$d/sched.data")" "$sw_sched")
b_switch=$(ratio "$(stat -c %s "$d/switch.data")" "$sw_switch")
echo "bench: stacks_bytes_per_switch_record $b_ss bytes"
echo "bench: stacks_bytes_per_switch_record_stacks $b_sss bytes"
echo "bench: stacks_bytes_per_switch_perf_sched_record_g $b_sched bytes"
echo "bench: stacks_bytes_per_switch_perf_record_switch_g $b_switch bytes"
echo "bench: stacks_bytes_record_stacks_vs_perf_switch_g $(ratio "$b_sss" "$b_switch") ratio"
echo "bench: stacks_bytes_record_stacks_vs_perf_sched_g $(ratio "$b_sss" "$b_sched") ratio"
# How many distinct stacks the deduplication kept, and losses.
echo "bench: stacks_distinct_stacks $($SS report --json "$d/sss.trace" | grep -oE '"stack":[0-9]+' | head -1 | cut -d: -f2) count"
lost=$(grep -oE '[0-9]+ lost' "$d/sss.err" | grep -oE '[0-9]+')
echo "bench: stacks_lost_records ${lost:-unknown} count"
