#!/bin/bash
# Recorder overhead and file size, side by side in one run: two threads
# ping-ponging through a futex on one CPU, untraced and under each tracer.
# Runs alternate between configurations and the fastest of each is kept,
# because the machine is shared. Prints "bench: <name> <value> <unit>" lines.
cd "$(dirname "$0")/../.." || exit 1
SS=build/bin/switchscope
PP="build/bin/ss-pingpong --mode thread --via futex --cpu 0 --switches ${BENCH_SWITCHES:-400000}"
ROUNDS=${BENCH_ROUNDS:-9}
# The workload pins itself to CPU 0; each tracer's user-space side runs on
# CPU 1, so what is measured is the cost of the probes on the switching CPU.
T="taskset -c 1"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

nsps() { grep -oE 'ns_per_switch=[0-9.]+' | cut -d= -f2; }

run_untraced() { $PP | nsps; }
run_ss() { $T $SS record -q -o "$d/ss.trace" -- $PP 2>"$d/ss.err" | nsps; }
run_ss_all() { $T $SS record -q -a -o "$d/ssa.trace" -- $PP 2>/dev/null | nsps; }
run_perf_switch() { $T perf record -q -e sched:sched_switch -a -o "$d/perf.data" -- $PP 2>/dev/null | nsps; }
run_perf_sched() { $T perf sched record -q -o "$d/sched.data" -- $PP 2>/dev/null | nsps; }
run_bpftrace() { $T bpftrace -q -e 'tracepoint:sched:sched_switch { @n = count(); }' -c "$PP" 2>/dev/null | nsps; }

configs="untraced ss ss_all perf_switch perf_sched"
command -v bpftrace >/dev/null && configs="$configs bpftrace"
. tests/bench/rounds.sh
# shellcheck disable=SC2086 # configs: one word each
bench_rounds "$d" "$ROUNDS" $configs
for c in $configs; do
	echo "bench: pingpong_futex_1cpu_${c}_ns_per_switch $(eval echo \$m_$c) ns"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
over_ss=$(awk -v a="$m_ss" -v b="$m_untraced" 'BEGIN { print a - b }')
over_sched=$(awk -v a="$m_perf_sched" -v b="$m_untraced" 'BEGIN { print a - b }')
echo "bench: overhead_switchscope_ns_per_switch $over_ss ns"
echo "bench: overhead_perf_sched_ns_per_switch $over_sched ns"
echo "bench: overhead_switchscope_vs_perf_sched $(ratio "$over_ss" "$over_sched") ratio"
for c in ss ss_all perf_switch perf_sched bpftrace; do
	[ -f "$d/$c.vals" ] || continue
	echo "bench: slowdown_${c} $(ratio "$(eval echo \$m_$c)" "$m_untraced") ratio"
done

# Lost events at this switch rate (the last switchscope run's summary).
lost=$(grep -oE '[0-9]+ lost' "$d/ss.err" | grep -oE '[0-9]+')
[ -z "$lost" ] && lost=$($SS report --json "$d/ss.trace" | grep -oE '"lost":\{"total":[0-9]+' | grep -oE '[0-9]+$')
echo "bench: switchscope_lost_events ${lost:-unknown} count"

# Bytes per event: our file vs perf.data, for the same workload.
ss_bytes=$(stat -c %s "$d/ss.trace")
ss_recs=$($SS report --json "$d/ss.trace" | grep -oE '"records":[0-9]+' | head -1 | cut -d: -f2)
ss_sw=$($SS report --json "$d/ss.trace" | grep -oE '"switch":[0-9]+' | head -1 | cut -d: -f2)
perf_bytes=$(stat -c %s "$d/perf.data")
perf_samples=$(perf script -i "$d/perf.data" 2>/dev/null | wc -l)
sched_bytes=$(stat -c %s "$d/sched.data")
sched_samples=$(perf script -i "$d/sched.data" 2>/dev/null | wc -l)
bpe_ss=$(ratio "$ss_bytes" "$ss_recs")
bpe_perf=$(ratio "$perf_bytes" "$perf_samples")
bpe_sched=$(ratio "$sched_bytes" "$sched_samples")
echo "bench: bytes_per_event_switchscope $bpe_ss bytes"
echo "bench: bytes_per_switch_switchscope $(ratio "$ss_bytes" "$ss_sw") bytes"
echo "bench: bytes_per_event_perf_sched_switch $bpe_perf bytes"
echo "bench: bytes_per_event_perf_sched_record $bpe_sched bytes"
echo "bench: bytes_per_event_switchscope_vs_perf $(ratio "$bpe_ss" "$bpe_perf") ratio"
