#!/bin/bash
# Size of the Perfetto export per recorded switch, full ftrace events
# (SS_PERFETTO_FULL=1, what the export wrote before compact_sched) against
# compact_sched, on a recorded thread ping-pong: two threads waking each
# other through a futex on CPU 0. Bytes of the whole file (wakings, process
# tree and all) over the switches `report --json` counts. Target: compact at
# most 1/3 of full; exits 1 if not. Also how long each export takes.
cd "$(dirname "$0")/../.." || exit 1
SS=build/bin/switchscope
SWITCHES=${BENCH_SWITCHES:-200000}
T=$(mktemp -d -t ss-bench-pfsize.XXXXXX)
trap 'rm -rf "$T"' EXIT

$SS record -q -o "$T/pp.trace" -- build/bin/ss-pingpong --mode thread --switches "$SWITCHES" --cpu 0 \
	> /dev/null 2>&1 || { echo "bench: record failed" >&2; exit 1; }
sw=$($SS report --json "$T/pp.trace" 2> /dev/null | node -e \
	'process.stdout.write(String(JSON.parse(require("fs").readFileSync(0, "utf8")).switches.total))')
[ "$sw" -gt 0 ] 2> /dev/null || { echo "bench: no switches recorded" >&2; exit 1; }
echo "bench: export_perfetto_switches $sw switches"
now() { date +%s.%N; }
for enc in full compact; do
	a=$(now)
	if [ $enc = full ]; then
		SS_PERFETTO_FULL=1 $SS export "$T/pp.trace" -f perfetto -o "$T/$enc.pftrace"
	else
		$SS export "$T/pp.trace" -f perfetto -o "$T/$enc.pftrace"
	fi 2> "$T/$enc.err" || { echo "bench: $enc export failed: $(head -2 "$T/$enc.err")" >&2; exit 1; }
	b=$(now)
	size=$(stat -c %s "$T/$enc.pftrace")
	eval "size_$enc=$size"
	echo "bench: export_perfetto_${enc}_size $size bytes"
	echo "bench: export_perfetto_${enc}_bytes_per_switch $(awk -v s="$size" -v n="$sw" 'BEGIN { printf "%.2f", s / n }') bytes"
	records=$(sed -n 's/.*export: \([0-9]*\) records.*/\1/p' "$T/$enc.err")
	echo "bench: export_perfetto_${enc}_bytes_per_record $(awk -v s="$size" -v n="$records" 'BEGIN { printf "%.2f", s / n }') bytes"
	echo "bench: export_perfetto_${enc}_time $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }') s"
done
echo "bench: export_perfetto_compact_vs_full $(awk -v c="$size_compact" -v f="$size_full" 'BEGIN { printf "%.3f", c / f }') x"
if [ $(( size_compact * 3 )) -gt "$size_full" ]; then
	echo "bench: export_perfetto_compact misses its target (at most 1/3 of full)" >&2
	exit 1
fi
