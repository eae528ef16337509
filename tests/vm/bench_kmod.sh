#!/bin/sh
# Guest side of the module benchmark (tests/bench/bench_kmod.sh boots it):
# two threads ping-pong through a futex on CPU 0, untraced, recorded by the
# module and recorded by BPF, the recorders' user-space side on CPU 1.
# Rounds alternate between the three and the fastest of each is kept.
# Under TCG every figure is many times the native one: the ratios are what
# carries over. Prints "bench: ..." lines, then a test summary for run.sh.
. tests/lib.sh
ss=build/bin/switchscope
pp="build/bin/ss-pingpong --mode thread --via futex --cpu 0 --switches ${BENCH_SWITCHES:-100000}"
rounds=${BENCH_ROUNDS:-5}
d=/tmp/bench-kmod
mkdir -p $d
rm -f $d/*.vals

insmod build/kmod/switchscope.ko || { fail insmod "insmod failed"; summary; exit; }
nsps() { sed -n 's/.*ns_per_switch=\([0-9.]*\).*/\1/p'; }
run_untraced() { $pp | nsps; }
run_kmod() { taskset -c 1 $ss record -b kmod -o $d/k.trace -- $pp 2>$d/kmod.err | nsps; }
run_bpf() { taskset -c 1 $ss record -b bpf -o $d/b.trace -- $pp 2>$d/bpf.err | nsps; }

i=0
while [ $i -lt "$rounds" ]; do
	for c in untraced kmod bpf; do
		v=$(run_$c)
		[ -n "$v" ] && echo "$v" >>$d/$c.vals
	done
	i=$((i + 1))
done
for c in untraced kmod bpf; do
	if [ -s $d/$c.vals ]; then
		pass "ran_$c"
	else
		fail "ran_$c" "no figure: $(head -n 3 $d/$c.err 2>/dev/null)"
	fi
	eval "m_$c=$(sort -n $d/$c.vals 2>/dev/null | head -n 1)"
done
calc() { awk "BEGIN { printf \"%.$1f\", $2 }"; }
if [ -n "$m_untraced" ] && [ -n "$m_kmod" ] && [ -n "$m_bpf" ]; then
	ok=$(calc 0 "$m_kmod - $m_untraced")
	ob=$(calc 0 "$m_bpf - $m_untraced")
	echo "bench: vm_tcg_pingpong_untraced_ns_per_switch $m_untraced ns"
	echo "bench: vm_tcg_overhead_kmod_ns_per_switch $ok ns"
	echo "bench: vm_tcg_overhead_bpf_ns_per_switch $ob ns"
	echo "bench: vm_tcg_overhead_kmod_vs_bpf $(calc 2 "($ob > 0 ? $ok / $ob : 0)") ratio"
	echo "bench: vm_tcg_slowdown_kmod $(calc 2 "$m_kmod / $m_untraced") ratio"
	echo "bench: vm_tcg_slowdown_bpf $(calc 2 "$m_bpf / $m_untraced") ratio"
fi
# Lost events in the last recording of each backend.
for c in kmod bpf; do
	lost=$(grep -o '[0-9]* lost' $d/$c.err 2>/dev/null | head -n 1)
	[ -n "$lost" ] && echo "bench: vm_tcg_${c}_lost_events ${lost% lost} count"
done
rmmod switchscope
summary
