#!/bin/bash
# Export speed per format on a recorded trace of about 1,000,000 records,
# next to `perf script` on a perf.data of the same workload (perf bench
# sched pipe: two tasks ping-ponging through pipes). Events per second;
# the ratio is switchscope's rate over perf script's.
cd "$(dirname "$0")/../.." || exit 1
SS=build/bin/switchscope
T=$(mktemp -d -t ss-bench-export.XXXXXX)
trap 'rm -rf "$T"' EXIT
LOOPS=${SS_BENCH_LOOPS:-200000}
work=(perf bench sched pipe -l "$LOOPS")

$SS record -q -o "$T/w.trace" -- "${work[@]}" > /dev/null 2>&1 || { echo "bench: record failed" >&2; exit 1; }
perf record -q -o "$T/w.data" -e sched:sched_switch,sched:sched_waking,sched:sched_wakeup \
	-e sched:sched_wakeup_new,task:task_newtask,sched:sched_process_exec \
	-e sched:sched_process_exit,task:task_rename -- "${work[@]}" > /dev/null 2>&1 ||
	{ echo "bench: perf record failed" >&2; exit 1; }

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }

records=$($SS export "$T/w.trace" -f json -o /dev/null 2>&1 |
	sed -n 's/.*export: \([0-9]*\) records.*/\1/p')
echo "bench: export_trace_records $records records"
a=$(now); perf script -i "$T/w.data" > "$T/perf.txt" 2> /dev/null; b=$(now)
pev=$(wc -l < "$T/perf.txt")
prate=$(rate "$pev" "$a" "$b")
echo "bench: export_perf_script_events $pev events"
echo "bench: export_perf_script_rate $prate events/s"
for f in json perfetto html; do
	best=
	for i in 1 2 3; do
		a=$(now); $SS export -q "$T/w.trace" -f $f -o "$T/out.$f"; b=$(now)
		r=$(rate "$records" "$a" "$b")
		[ -z "$best" ] || [ "$r" -gt "$best" ] && best=$r
	done
	echo "bench: export_${f}_rate $best events/s"
	echo "bench: export_${f}_vs_perf_script $(awk -v x="$best" -v y="$prate" 'BEGIN { printf "%.1f", x / y }') x"
	echo "bench: export_${f}_size $(( $(stat -c %s "$T/out.$f") / 1024 )) KiB"
done
