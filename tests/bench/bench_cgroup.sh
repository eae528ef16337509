#!/bin/bash
# The cost of record --cgroup's in-kernel filter on the futex ping-pong
# (two threads of one process on CPU 0), next to no tracing and to the
# process filter (-p), in one run: the workload always lives in a cgroup
# of its own and starts 1 s after being spawned, so that every recorder
# is attached before it runs. Configurations:
#   untraced      no recorder
#   pid           record -p PID           (tgid map lookup per event)
#   cgroup        record --cgroup ITS     (cgroup check per event, traced)
#   cgroup_other  record --cgroup ANOTHER (cgroup check per event, every
#                 switch of the machine rejected: the cost a scoped
#                 recorder puts on the tasks it does not trace)
#   all           record -a               (no filter at all)
# Two measures per run: the wall time per switch that the ping-pong prints,
# and the CPU time its cgroup used per switch (cpu.stat usage_usec: the
# probes run in the switching threads' context, and CPU time does not grow
# while other tasks of a shared machine hold the CPU, wall time does).
# Rounds alternate; the fastest of each is kept. Prints "bench: <name>
# <value> <unit>" lines and the ratios.
cd "$(dirname "$0")/../.." || exit 1
SS=build/bin/switchscope
PP="build/bin/ss-pingpong --mode thread --via futex --cpu 0 --switches ${BENCH_SWITCHES:-400000}"
ROUNDS=${BENCH_ROUNDS:-5}
T="taskset -c 1"
mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
d=$(mktemp -d)
cg=$mnt/ss-bench.$$
trap 'rmdir "$cg/w" "$cg/other" "$cg" 2>/dev/null; rm -rf "$d"' EXIT
if [ -z "$mnt" ] || ! mkdir -p "$cg/w" "$cg/other"; then
	echo "bench_cgroup: needs a cgroup2 mount and root" >&2
	exit 1
fi
rel=/${cg#"$mnt"/}

nsps() { grep -oE 'ns_per_switch=[0-9.]+' "$1" | cut -d= -f2; }
usage() { awk '$1 == "usage_usec" { print $2 }' "$cg/w/cpu.stat"; }
switches() { grep -oE ' switches=[0-9]+' "$1" | cut -d= -f2; }
best() { sort -n | head -n 1; }
# spawn: the workload in cgroup w, 1 s from now; $! its pid
spawn() { (echo $BASHPID > "$cg/w/cgroup.procs" && sleep 1 && exec $PP > "$d/pp.out") & }

# run ARGS...: the workload under `record ARGS` (none: untraced); prints
# "WALL_NS CPU_NS" per switch
run() {
	local w r u0 u1
	u0=$(usage)
	spawn
	w=$!
	if [ "$1" = -p ]; then
		$T $SS record -q -p "$w" -o "$d/t.trace" 2>/dev/null &
	elif [ $# -gt 0 ]; then
		$T $SS record -q "$@" -o "$d/t.trace" 2>/dev/null &
	fi
	r=$!
	wait "$w"
	u1=$(usage)
	[ $# -gt 0 ] && { kill -INT "$r" 2>/dev/null; wait "$r"; }
	awk -v w="$(nsps "$d/pp.out")" -v u="$((u1 - u0))" -v n="$(switches "$d/pp.out")" \
		'BEGIN { if (w != "" && n > 0) printf "%s %.1f\n", w, u * 1000 / n }'
}
run_untraced() { run; }
run_pid() { run -p; }
run_cgroup() { run --cgroup "$rel/w"; }
run_cgroup_other() { run --cgroup "$rel/other"; }
run_all() { run -a; }

configs="untraced pid cgroup cgroup_other all"
for i in $(seq "$ROUNDS"); do
	for c in $configs; do
		v=$("run_$c")
		[ -n "$v" ] || continue
		echo "${v% *}" >> "$d/$c.wall"
		echo "${v#* }" >> "$d/$c.cpu"
	done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
for c in $configs; do
	w=$(best < "$d/$c.wall")
	u=$(best < "$d/$c.cpu")
	eval "w_$c=$w u_$c=$u"
	echo "bench: cgroup_pingpong_futex_1cpu_${c}_wall_ns_per_switch $w ns"
	echo "bench: cgroup_pingpong_futex_1cpu_${c}_cpu_ns_per_switch $u ns"
done
for c in pid cgroup cgroup_other all; do
	echo "bench: cgroup_slowdown_${c}_wall $(ratio "$(eval echo \$w_$c)" "$w_untraced") ratio"
	echo "bench: cgroup_slowdown_${c}_cpu $(ratio "$(eval echo \$u_$c)" "$u_untraced") ratio"
done
echo "bench: cgroup_filter_vs_pid_filter_cpu $(ratio "$u_cgroup" "$u_pid") ratio"
echo "bench: cgroup_filter_vs_pid_filter_wall $(ratio "$w_cgroup" "$w_pid") ratio"
