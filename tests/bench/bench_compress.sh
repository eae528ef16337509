#!/bin/bash
# Trace size and recorder CPU time, event chunks compressed (zstd, the
# default) vs not, in one run: the futex ping-pong (bytes per kernel
# switch, its wakeups included) and the coroutine ping-pong (bytes per
# coroutine switch). The recorder is started on a stopped workload with -p,
# so that its CPU time (perf stat's task-clock, in ns) is its own, the
# workload's not in it.
# Prints "bench: <name> <value> <unit>" lines; compare ratios, the machine
# is shared.
cd "$(dirname "$0")/../.." || exit 1
SS=build/bin/switchscope
SW=${BENCH_SWITCHES:-200000}
ROUNDS=${BENCH_ROUNDS:-3}
Z=${BENCH_COMPRESS:-zstd}	# the compressed side: zstd (level 3) or zstd:LEVEL
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

ratio() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { printf f, (b > 0 ? a / b : 0) }'; }
# json FILE KEY: the first number after "KEY": in the report's JSON
json() { grep -oE "\"$2\":[0-9]+" "$1" | head -1 | cut -d: -f2; }

# rec NAME COMPRESS CMD...: one recording of CMD, the recorder on CPU 1;
# leaves NAME.trace, NAME.json and NAME.cpu (recorder CPU seconds).
rec() {
	local name=$1 comp=$2 wl
	shift 2
	# The workload stops itself before exec; it goes on once attached to.
	bash -c 'kill -STOP $$; exec "$@"' wl "$@" >/dev/null &
	wl=$!
	while [ "$(awk '{ print $3 }' /proc/$wl/stat 2>/dev/null)" != T ]; do sleep 0.01; done
	taskset -c 1 perf stat -x, -e task-clock -o "$d/$name.time" -- \
		$SS record -q --compress="$comp" -o "$d/$name.trace" -p $wl 2>"$d/$name.err" &
	local r=$!
	sleep 1.5	# probes attached
	kill -CONT $wl
	wait $r
	wait $wl 2>/dev/null
	awk -F, '$3 == "task-clock" { print $1 / 1000 }' "$d/$name.time" > "$d/$name.cpu"
	$SS report --json "$d/$name.trace" > "$d/$name.json" 2>/dev/null
}

# one WORKLOAD EVENT-KEY CMD...: compressed and not, ROUNDS times
# alternating; the smallest CPU time of each is kept (noise only adds).
one() {
	local w=$1 key=$2 c bytes n recs lost cpu best
	shift 2
	for i in $(seq "$ROUNDS"); do
		for c in zstd none; do
			rec "$w-$c-$i" "$([ $c = zstd ] && echo "$Z" || echo none)" "$@"
		done
	done
	for c in zstd none; do
		best=$(for i in $(seq "$ROUNDS"); do echo "$(cat "$d/$w-$c-$i.cpu") $i"; done |
		       sort -n | head -1 | cut -d' ' -f2)
		f=$d/$w-$c-$best
		bytes=$(stat -c %s "$f.trace")
		n=$(json "$f.json" "$key")
		recs=$(json "$f.json" records)
		lost=$(grep -oE '"lost":\{"total":[0-9]+' "$f.json" | grep -oE '[0-9]+$')
		cpu=$(cat "$f.cpu")
		eval "b_$c=$(ratio "$bytes" "$n") cpu_$c=$(ratio "$cpu" "$recs" %.9f)"
		echo "bench: ${w}_${c}_bytes_per_${key} $(ratio "$bytes" "$n") bytes"
		echo "bench: ${w}_${c}_recorder_cpu_ns_per_event $(ratio "$(ratio "$cpu" "$recs" %.9f)" 1e-9 %.0f) ns"
		echo "bench: ${w}_${c}_events ${recs:-0} count"
		echo "bench: ${w}_${c}_lost_events ${lost:-unknown} count"
		# The reader: time and peak memory of a report (one chunk held).
		/usr/bin/time -f '%e %M' -o "$d/rd" $SS report "$f.trace" >/dev/null 2>&1
		read -r rsec rkb < "$d/rd"
		echo "bench: ${w}_${c}_report_seconds $rsec s"
		echo "bench: ${w}_${c}_report_max_rss $rkb KiB"
	done
	echo "bench: ${w}_compression_ratio $(ratio "$b_none" "$b_zstd") ratio"
	echo "bench: ${w}_recorder_cpu_zstd_vs_none $(ratio "$cpu_zstd" "$cpu_none") ratio"
}

one pingpong switch build/bin/ss-pingpong --mode thread --switches "$SW" --cpu 0
one coro coro_switch build/bin/coro-pingpong --switches "$SW"
