#!/bin/sh
# `switchscope kmod` and `switchscope record --backend kmod` from the
# command line. Where the module cannot be loaded (this build machine) only
# the "not loaded" half runs; in the guest (SS_VM=1) all of it.
. tests/lib.sh
ss=build/bin/switchscope
ko=build/kmod/switchscope.ko
tmp=${TMPDIR:-/tmp}/ss-kmod-cli.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

[ -e /sys/module/switchscope ] && rmmod switchscope

out=$($ss kmod status 2>&1)
expect_eq status_without_module_exits_4 $? 4
case $out in
*"insmod $ko"*) pass status_without_module_says_insmod ;;
*) fail status_without_module_says_insmod "got: $out" ;;
esac
$ss record --backend kmod -o "$tmp/t.trace" -- true 2>"$tmp/err"
expect_eq record_without_module_exits_4 $? 4
if grep -q "insmod $ko" "$tmp/err"; then
	pass record_without_module_says_insmod
else
	fail record_without_module_says_insmod "got: $(cat "$tmp/err")"
fi
check record_without_module_leaves_no_file test ! -e "$tmp/t.trace"

if [ -z "${SS_VM:-}" ]; then
	summary
	exit
fi

check insmod insmod "$ko"
out=$($ss kmod status)
expect_eq status_exits_0 $? 0
case $out in
*"session    none"*) pass status_shows_no_session ;;
*) fail status_shows_no_session "got: $out" ;;
esac
out=$($ss kmod floor -n 20000 -c 0)
expect_eq floor_exits_0 $? 0
echo "$out"
case $out in
"in-kernel switch floor: "*" ns per switch"*) pass floor_prints_ns_per_switch ;;
*) fail floor_prints_ns_per_switch "got: $out" ;;
esac
# The user-space hand-overs next to it, each with a positive figure and
# its multiple of the floor.
for kind in threads processes; do
	row=$(echo "$out" | awk -v k=$kind '$1 == k && $2 + 0 > 0 && $3 + 0 > 0')
	if [ -n "$row" ]; then
		pass "floor_shows_user_space_${kind}"
	else
		fail "floor_shows_user_space_${kind}" "got: $out"
	fi
done
out=$($ss kmod floor -n 2000 --json)
expect_eq floor_json_exits_0 $? 0
case $out in
'{"cpu": 0, "switches": 4000, "floor_ns": '*'"threads_ns": '*'"processes_ns": '*'}')
	pass floor_json_has_every_figure ;;
*) fail floor_json_has_every_figure "got: $out" ;;
esac
$ss record --backend kmod -o "$tmp/k.trace" -- build/bin/ss-pingpong --via pipe --switches 2000 \
	2>"$tmp/err"
expect_eq record_exits_0 $? 0
if grep -q " 0 lost" "$tmp/err" && grep -q "switch [0-9]" "$tmp/err"; then
	pass record_summary_has_switches_and_no_loss
else
	fail record_summary_has_switches_and_no_loss "got: $(cat "$tmp/err")"
fi
out=$($ss kmod counters)
expect_eq counters_exits_0 $? 0
thread=$(echo "$out" | awk '$1 == "thread" { print $2 }')
if [ "${thread:-0}" -ge 1000 ]; then
	pass counters_show_thread_switches
else
	fail counters_show_thread_switches "thread switches '$thread' in: $out"
fi
# Downstream tools read a module trace as they read a BPF one.
$ss report "$tmp/k.trace" >"$tmp/report" 2>&1
expect_eq report_of_module_trace_exits_0 $? 0
if grep -q "thread" "$tmp/report"; then
	pass report_of_module_trace_shows_thread_switches
else
	fail report_of_module_trace_shows_thread_switches "got: $(head -20 "$tmp/report")"
fi
$ss timehist "$tmp/k.trace" >/dev/null 2>&1
expect_eq timehist_of_module_trace_exits_0 $? 0
$ss export "$tmp/k.trace" --format perfetto -o "$tmp/k.pftrace" >/dev/null 2>&1
expect_eq export_of_module_trace_exits_0 $? 0
check export_of_module_trace_is_not_empty test -s "$tmp/k.pftrace"
# Coroutines from the uprobes, kernel entries from the module: verify's
# kernel half runs on the module's records.
$ss record -b kmod --syscalls -q -o "$tmp/c.trace" -- build/bin/coro-pingpong \
	--switches 20000 >/dev/null 2>"$tmp/err"
expect_eq record_coroutines_with_module_exits_0 $? 0
out=$($ss verify --trace "$tmp/c.trace" --min-switches 20000 2>&1)
expect_eq verify_of_module_trace_passes $? 0
case $out in
*"VERDICT: PASS"*) pass verify_of_module_trace_says_pass ;;
*) fail verify_of_module_trace_says_pass "got: $out $(cat "$tmp/err")" ;;
esac
# The flight recorder through the module: the window, SIGUSR1 and the dump
# are the recorder's own; runqlat/offcpu, BPF programs elsewhere, are
# evaluated by the recorder on the module's records.
$ss record -b kmod --flight 1s -o "$tmp/f.trace" -- sleep 3 2>"$tmp/ferr" &
fp=$!
sleep 1
kill -USR1 $fp
wait $fp
expect_eq flight_with_module_exits_0 $? 0
check flight_with_module_writes_a_signal_dump test -s "$tmp/f.1.signal.trace"
$ss report "$tmp/f.1.signal.trace" >"$tmp/freport" 2>&1
expect_eq report_of_module_dump_exits_0 $? 0
if grep -q "signal: signal 10" "$tmp/freport"; then
	pass report_of_module_dump_shows_its_trigger
else
	fail report_of_module_dump_shows_its_trigger "got: $(head -12 "$tmp/freport") $(cat "$tmp/ferr")"
fi
$ss record -b kmod --flight 1s --trigger 'offcpu>200ms' -o "$tmp/g.trace" -- sleep 1 \
	2>"$tmp/err"
expect_eq flight_offcpu_with_module_exits_0 $? 0
check flight_offcpu_with_module_writes_its_dump test -s "$tmp/g.1.offcpu.trace"
if $ss report "$tmp/g.1.offcpu.trace" 2>&1 | grep -q "offcpu>200 ms: tid [0-9]* (pid [0-9]*) blocked"; then
	pass report_of_module_offcpu_dump_names_the_task
else
	fail report_of_module_offcpu_dump_names_the_task "got: $(cat "$tmp/err")"
fi
$ss kmod floor -n 5000000 >/dev/null 2>&1
expect_eq floor_rejects_too_many_round_trips $? 2
check rmmod rmmod switchscope
summary
