#!/bin/bash
# switchscope export: the three formats on a synthetic trace with
# coroutines (tests/export/gen_trace.c) and on a real recorded trace,
# checked by protoc --decode against proto/, by a JSON parser, and in
# Debian's chromium (tests/browser). Also the CLI's errors and the lint of
# the viewer's JavaScript. Needs root (BPF) for the recorded trace.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
B=build
SS=$B/bin/switchscope
T=$(mktemp -d -t ss-export.XXXXXX)
trap 'rm -rf "$T"' EXIT
ESLINT=tests/browser/node_modules/.bin/eslint

count() { grep -c "$1" "$2"; }
pfdecode() {	# PFTRACE TXT: protoc --decode with proto/
	protoc --decode=perfetto.protos.Trace -Iproto proto/perfetto_trace.proto < "$1" > "$2" 2> "$2.err"
}
# pfcheck TXT [--dump OUT]: tests/export/pf_check.mjs's JSON into TXT.check;
# pfget TXT KEY
pfcheck() { node tests/export/pf_check.mjs "$@" > "$1.check" 2> "$1.check.err"; }
pfget() { node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync('$1.check','utf8'))['$2']))"; }
# pf_rules NAME TXT SWITCHES: trace_processor's import rules on a decoded
# export of a trace with SWITCHES recorded switches (-: not counted)
pf_rules() {
	if ! pfcheck "$2"; then
		fail "$1: pf_check reads the export" "$(head -3 "$2.check.err")"
		return
	fi
	expect_eq "$1: every switch's prev_pid is the CPU's previous next_pid ($(pfget "$2" gap_switches) gaps closed)" \
		"$(pfget "$2" mismatched)" 0
	expect_eq "$1: no task on two CPUs at once (CPU slices of a task do not overlap)" \
		"$(pfget "$2" overlaps)" 0
	[ "$3" = - ] || expect_eq "$1: one sched_switch per recorded switch, plus one per gap" \
		$(( $(pfget "$2" switches) - $(pfget "$2" gap_switches) )) "$3"
	expect_eq "$1: no coroutine slice ends after its thread's exit" "$(pfget "$2" coro_after_exit)" 0
	expect_eq "$1: every task in a sched or task event has a descriptor ($(pfget "$2" tasks) tasks)" \
		"$(pfget "$2" undescribed_list)" ""
	expect_eq "$1: compact_sched columns line up, comm indexes in the intern table" \
		"$(pfget "$2" compact_errors)" 0
	expect_eq "$1: no compact switch or waking before the CPU's first switch (dropped)" \
		"$(pfget "$2" compact_skipped)" 0
}
# pf_same NAME TRACE PFTRACE [EXPORT ARGS]: PFTRACE (compact_sched) and the
# export of TRACE in full events (SS_PERFETTO_FULL=1) give trace_processor
# the same switches and wakings, in the same order (pf_check.mjs --dump)
pf_same() {
	local name=$1 trace=$2 pf=$3
	shift 3
	if ! SS_PERFETTO_FULL=1 $SS export -q "$trace" -f perfetto "$@" -o "$pf.full" ||
		! pfdecode "$pf.full" "$pf.full.txt" || ! pfdecode "$pf" "$pf.txt" ||
		! pfcheck "$pf.full.txt" --dump "$pf.full.dump" || ! pfcheck "$pf.txt" --dump "$pf.dump"; then
		fail "$name: full and compact encodings read the same" "export, decode or check failed"
	elif [ "$(pfget "$pf.full.txt" compact_switches)" != 0 ]; then
		fail "$name: full and compact encodings read the same" "SS_PERFETTO_FULL=1 wrote compact_sched"
	elif ! cmp -s "$pf.full.dump" "$pf.dump"; then
		fail "$name: full and compact encodings read the same" \
			"$(diff "$pf.full.dump" "$pf.dump" | head -4 | tr '\n' ' ')"
	else
		pass "$name: compact_sched ($(pfget "$pf.txt" compact_switches) switches, $(pfget "$pf.txt" compact_wakings) wakings) reads as the full events do ($(wc -l < "$pf.dump") events, $(awk -v a="$(stat -c %s "$pf.full")" -v b="$(stat -c %s "$pf")" 'BEGIN { printf "%.1f", a / b }')x smaller)"
	fi
}

# What the viewer must show: the counts of `switchscope report --json`,
# with the CPUs and traced threads listed by tests/export/counts.c.
expected() {
	$SS report --json "$1" > "$2.report" 2> /dev/null
	$B/tests/export_counts "$1" > "$2.counts"
	node -e '
		const fs = require("fs");
		const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
		const c = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
		const out = {
			switches: r.switches.total, preempted: r.switches.preempt_flag,
			wakeups: r.records_by_type.waking,
			coro_switches: r.records_by_type.coro_switch, lost: r.lost.total,
			cpus: c.cpus, threads: c.threads,
		};
		fs.writeFileSync(process.argv[3], JSON.stringify(out));' "$2.report" "$2.counts" "$2"
}

# -- lint of the viewer --------------------------------------------------
if out=$($ESLINT -c tests/browser/eslint.config.js web/ tests/browser/ tests/bench/ tests/export/pf_check.mjs tests/export/pf_stacks.mjs tests/stacks/*.mjs 2>&1); then
	pass "eslint: web/*.js, tests/browser, tests/bench and tests/export/pf_check.mjs are clean"
else
	fail "eslint: web/*.js and tests/browser are clean" "$out"
fi

# -- synthetic trace: every record kind, coroutines, lost records --------
$B/tests/export_gen -o "$T/gen.trace" -n 30000 > "$T/gen.expect"
expected "$T/gen.trace" "$T/gen.want"
jget() { node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync('$1','utf8'))['$2']))"; }
sw=$(jget "$T/gen.expect" switches)
wk=$(jget "$T/gen.expect" wakeups)
co=$(jget "$T/gen.expect" coro_switches)

check "perfetto export of a synthetic trace" $SS export -q "$T/gen.trace" -f perfetto -o "$T/gen.pftrace"
if protoc --decode=perfetto.protos.Trace -Iproto proto/perfetto_trace.proto \
	< "$T/gen.pftrace" > "$T/gen.txt" 2> "$T/err"; then
	pass "perfetto: protoc --decode reads the output with proto/perfetto_trace.proto"
else
	fail "perfetto: protoc --decode reads the output" "$(head -3 "$T/err")"
fi
if pfcheck "$T/gen.txt"; then
	expect_eq "perfetto: one sched_switch per switch (full or compact)" "$(pfget "$T/gen.txt" switches)" "$sw"
	expect_eq "perfetto: one sched_waking per wakeup (full or compact)" "$(pfget "$T/gen.txt" wakings)" "$wk"
	if [ "$(pfget "$T/gen.txt" compact_switches)" -gt 0 ] && [ "$(pfget "$T/gen.txt" compact_wakings)" -gt 0 ]; then
		pass "perfetto: switches and wakings in compact_sched"
	else
		fail "perfetto: switches and wakings in compact_sched" "$(head -c 300 "$T/gen.txt.check")"
	fi
else
	fail "perfetto: pf_check reads the synthetic export" "$(head -3 "$T/gen.txt.check.err")"
fi
pf_same "perfetto (synthetic)" "$T/gen.trace" "$T/gen.pftrace"
expect_eq "perfetto: task_newtask for each new task" "$(count 'task_newtask {' "$T/gen.txt")" 4
expect_eq "perfetto: a coroutine slice per coroutine switch" \
	"$(count 'type: TYPE_SLICE_BEGIN' "$T/gen.txt")" "$co"
expect_eq "perfetto: slices closed" "$(count 'type: TYPE_SLICE_END' "$T/gen.txt")" "$co"
expect_eq "perfetto: clock snapshot says MONOTONIC" \
	"$(count 'primary_trace_clock: BUILTIN_CLOCK_MONOTONIC' "$T/gen.txt")" 1
expect_eq "perfetto: utsname release for prev_state decoding" \
	"$(count 'release: "6.18.0-synthetic"' "$T/gen.txt")" 1
bad=$(grep -o 'prev_state: [0-9]*' "$T/gen.txt" | sort -u | awk '{print $2}' |
	grep -v -x -E '0|1|2|256' | tr '\n' ' ')
expect_eq "perfetto: prev_state in the tracepoint's encoding (R, S, D, R+)" "$bad" ""
expect_eq "perfetto: thread vs process clone flags" \
	"$(grep -c 'clone_flags: 65536' "$T/gen.txt")" 3
expect_eq "perfetto: coroutine track nested under its thread" \
	"$(grep -c 'parent_uuid:' "$T/gen.txt")" 1
expect_eq "perfetto: lost records shown" "$(grep -c 'name: "lost 17 records' "$T/gen.txt")" 1

# The perfetto export under ASan and UBSan (build/asan/bin/switchscope, built
# by `make build/asan/bin/switchscope`): the same bytes, no report.
ASAN_SS=$B/asan/bin/switchscope
asan_export() {	# TRACE OUT: export under the sanitizers, same bytes as $2
	if ! ASAN_OPTIONS=abort_on_error=0:exitcode=99 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$ASAN_SS export -q "$1" -f perfetto -o "$2.asan" 2> "$2.asan.err"; then
		fail "asan: perfetto export of $(basename "$1")" "$(grep -m3 -E 'ERROR|runtime error|SUMMARY' "$2.asan.err")"
	elif ! cmp -s "$2" "$2.asan"; then
		fail "asan: perfetto export of $(basename "$1") is the same" \
			"$ASAN_SS wrote other bytes than $SS (built from older sources?)"
	else
		pass "asan: perfetto export of $(basename "$1") is clean and the same"
	fi
}
if [ -x $ASAN_SS ]; then
	asan_export "$T/gen.trace" "$T/gen.pftrace"
else
	fail "asan: perfetto export" "$ASAN_SS missing: make $ASAN_SS"
fi

# -- perfetto: trace_processor's import rules (tests/export/pf_check.mjs) --
# The checker finds each violation in a hand-made trace: a CPU chain with a
# gap (so 5 stays on CPU 0 while it runs on CPU 1 too), a coroutine slice
# ending 1 ms after its thread's exit, a tid (7) without a descriptor.
cat > "$T/bad.txt" <<'EOF'
packet { process_tree { threads { tid: 5 tgid: 5 } threads { tid: 6 tgid: 5 } } }
packet { track_descriptor { uuid: 1 thread { pid: 5 tid: 5 } } }
packet { track_descriptor { uuid: 2 parent_uuid: 1 } }
packet { timestamp: 100 track_event { type: TYPE_SLICE_BEGIN track_uuid: 2 name: "coro 1" } }
packet { timestamp: 1000300 track_event { type: TYPE_SLICE_END track_uuid: 2 } }
packet { ftrace_events { cpu: 0
  event { timestamp: 100 pid: 0 sched_switch { prev_pid: 0 next_pid: 5 } }
  event { timestamp: 200 pid: 5 sched_process_exit { pid: 5 tgid: 5 } }
  event { timestamp: 300 pid: 6 sched_switch { prev_pid: 6 next_pid: 7 } } } }
packet { ftrace_events { cpu: 1
  event { timestamp: 150 pid: 0 sched_switch { prev_pid: 0 next_pid: 5 } } } }
EOF
if pfcheck "$T/bad.txt"; then
	expect_eq "pf_check finds a gap in a CPU chain" "$(pfget "$T/bad.txt" mismatched)" 1
	expect_eq "pf_check finds a task on two CPUs at once" "$(pfget "$T/bad.txt" overlaps)" 1
	expect_eq "pf_check finds a coroutine slice ending after its thread's exit" \
		"$(pfget "$T/bad.txt" coro_after_exit)" 1
	expect_eq "pf_check finds a task without a descriptor" "$(pfget "$T/bad.txt" undescribed_list)" 7
else
	fail "pf_check reads a hand-made trace" "$(head -3 "$T/bad.txt.check.err")"
fi
# The same in compact_sched, read as trace_processor reads it: CPU 0's
# chain comes from a full switch (0 -> 5), its compact switch at 300 takes
# 5 off again (prev_pid inferred) for 6 while 5 runs on CPU 1 since 150 (a
# task on two CPUs); CPU 1's first switch (to 7, a tid without a
# descriptor) is compact, which trace_processor drops, and so is a waking
# before it (no waker); then 7 -> 5 at 130 + 20. CPU 2's columns do not
# line up, and its comm index is past the intern table.
cat > "$T/badc.txt" <<'EOF'
packet { process_tree { threads { tid: 5 tgid: 5 } threads { tid: 6 tgid: 5 } } }
packet { ftrace_events { cpu: 0
  compact_sched { intern_table: "six" switch_timestamp: 300 switch_prev_state: 1
    switch_next_pid: 6 switch_next_prio: 120 switch_next_comm_index: 0 }
  event { timestamp: 100 pid: 0 sched_switch { prev_pid: 0 next_pid: 5 } } } }
packet { ftrace_events { cpu: 1
  compact_sched { intern_table: "x" intern_table: "five"
    switch_timestamp: 130 switch_timestamp: 20 switch_prev_state: 0 switch_prev_state: 1
    switch_next_pid: 7 switch_next_pid: 5 switch_next_prio: 120 switch_next_prio: 120
    switch_next_comm_index: 0 switch_next_comm_index: 1
    waking_timestamp: 120 waking_pid: 6 waking_target_cpu: 1 waking_prio: 120 waking_comm_index: 0 } } }
packet { ftrace_events { cpu: 2
  compact_sched { intern_table: "six" switch_timestamp: 100 switch_timestamp: 200
    switch_prev_state: 0 switch_next_pid: 6 switch_next_prio: 120 switch_next_comm_index: 1 } } }
EOF
if pfcheck "$T/badc.txt" --dump "$T/badc.dump"; then
	expect_eq "pf_check (compact): a compact switch's prev_pid is the CPU's previous next_pid" \
		"$(grep '^S 0 300 ' "$T/badc.dump")" "S 0 300 5  1 6 120 six"
	expect_eq "pf_check (compact): timestamps are deltas" "$(grep '^S 1 ' "$T/badc.dump" | cut -d' ' -f3)" 150
	expect_eq "pf_check (compact): finds a task on two CPUs at once" "$(pfget "$T/badc.txt" overlaps)" 1
	expect_eq "pf_check (compact): finds the switch and the waking trace_processor drops" \
		"$(pfget "$T/badc.txt" compact_skipped)" 2
	expect_eq "pf_check (compact): finds columns that do not line up and a comm index past the table" \
		"$(pfget "$T/badc.txt" compact_errors)" 2
	expect_eq "pf_check (compact): finds a task without a descriptor" "$(pfget "$T/badc.txt" undescribed_list)" 7
else
	fail "pf_check reads a hand-made compact trace" "$(head -3 "$T/badc.txt.check.err")"
fi
# trace_processor's order at equal timestamps: the queue made first. CPU 0's
# full-event queue comes first (the switch at 100), so at 200 the full
# sched_waking is read before the compact switch, which its bundle lists
# first.
cat > "$T/order.txt" <<'EOF'
packet { ftrace_events { cpu: 0
  event { timestamp: 100 pid: 0 sched_switch { prev_pid: 0 next_pid: 5 next_prio: 120 } } } }
packet { ftrace_events { cpu: 0
  compact_sched { intern_table: "six" switch_timestamp: 200 switch_prev_state: 1
    switch_next_pid: 6 switch_next_prio: 120 switch_next_comm_index: 0 }
  event { timestamp: 200 pid: 5 sched_waking { pid: 6 target_cpu: 0 prio: 120 } } } }
EOF
if pfcheck "$T/order.txt" --dump "$T/order.dump"; then
	expect_eq "pf_check: equal timestamps are read from the queue made first (full waking, then compact switch)" \
		"$(grep ' 200 ' "$T/order.dump" | cut -c1 | tr -d '\n')" WS
else
	fail "pf_check reads a hand-made trace of equal timestamps" "$(head -3 "$T/order.txt.check.err")"
fi

# A synthetic process-tree recording (gen_trace -g): gaps in the CPU
# chains (some where the task a CPU's chain still has runs on another CPU
# before the chain resumes), untraced tasks only in switches, the coroutine thread exiting
# with a coroutine on it a quarter of the trace before the end.
$B/tests/export_gen -g -o "$T/gap.trace" -n 20000 -s 7 > "$T/gap.expect"
check "perfetto export of a synthetic trace with gaps" $SS export -q "$T/gap.trace" -f perfetto -o "$T/gap.pftrace"
if pfdecode "$T/gap.pftrace" "$T/gap.txt"; then
	pf_rules "gaps (synthetic)" "$T/gap.txt" "$(jget "$T/gap.expect" switches)"
	expect_eq "gaps (synthetic): one added switch per gap" \
		"$(pfget "$T/gap.txt" gap_switches)" "$(jget "$T/gap.expect" gaps)"
	expect_eq "gaps (synthetic): the open coroutine slice ends at its thread's exit" \
		"$(pfget "$T/gap.txt" coro_at_exit)" 1
	expect_eq "gaps (synthetic): a rename outlives the snapshot's ProcessTree name" \
		"$(node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync('$T/gap.txt.check','utf8')).names['1001']))")" server-io
else
	fail "gaps (synthetic): protoc --decode" "$(head -3 "$T/gap.txt.err")"
fi
pf_same "gaps (synthetic)" "$T/gap.trace" "$T/gap.pftrace"
[ -x $ASAN_SS ] && asan_export "$T/gap.trace" "$T/gap.pftrace"
# --pid leaves out more switches: more gaps, of both kinds.
check "perfetto export --pid of a synthetic trace with gaps" \
	$SS export -q "$T/gap.trace" -f perfetto --pid 3000 -o "$T/gap-pid.pftrace"
pfdecode "$T/gap-pid.pftrace" "$T/gap-pid.txt" && pf_rules "gaps, --pid 3000" "$T/gap-pid.txt" -
pf_same "gaps, --pid 3000" "$T/gap.trace" "$T/gap-pid.pftrace" --pid 3000
# Equal timestamps (gen_trace -t): a CPU's compact switches, compact
# wakings and full events at one time are read from three queues in an
# order the file does not set; the export keeps them in one.
$B/tests/export_gen -g -t -c 3 -o "$T/tie.trace" -n 20000 -s 3 > /dev/null
check "perfetto export of a synthetic trace with equal timestamps" \
	$SS export -q "$T/tie.trace" -f perfetto -o "$T/tie.pftrace"
pf_same "equal timestamps (synthetic)" "$T/tie.trace" "$T/tie.pftrace"
if [ -s "$T/tie.pftrace.txt.check" ]; then
	expect_eq "equal timestamps: every switch's prev_pid is the CPU's previous next_pid" \
		"$(pfget "$T/tie.pftrace.txt" mismatched)" 0
	expect_eq "equal timestamps: no compact event dropped, no column error" \
		"$(pfget "$T/tie.pftrace.txt" compact_skipped) $(pfget "$T/tie.pftrace.txt" compact_errors)" "0 0"
fi
[ -x $ASAN_SS ] && asan_export "$T/tie.trace" "$T/tie.pftrace"

check "json export of a synthetic trace" $SS export -q "$T/gen.trace" -f json -o "$T/gen.json"
if node -e '
	const fs = require("fs");
	const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
	const ev = d.traceEvents, by = {};
	for (const e of ev) by[e.ph] = (by[e.ph] || 0) + 1;
	const flows = ev.filter((e) => e.ph === "s").length === ev.filter((e) => e.ph === "f").length;
	const names = ev.filter((e) => e.ph === "M" && e.name === "thread_name").length;
	const coro = ev.filter((e) => e.ph === "X" && e.cat === "coro").length;
	const lost = ev.filter((e) => e.ph === "i" && e.cat === "lost").length;
	if (!(by.X > 0 && by.i > 0 && by.s > 0 && flows && names >= 6 && coro === Number(process.argv[2]) && lost === 1)) {
		console.error(JSON.stringify({ by, flows, names, coro, lost }));
		process.exit(1);
	}' "$T/gen.json" "$co" 2> "$T/err"; then
	pass "json: valid; X slices, i instants, s/f wakeup flows paired, M names, coroutine slices, lost"
else
	fail "json: valid and complete" "$(head -c 300 "$T/err")"
fi

check "html export of a synthetic trace" $SS export -q "$T/gen.trace" -o "$T/gen.html"
if grep -q -i -E '<(script|link|img)[^>]*(src|href)=' "$T/gen.html"; then
	fail "html: self-contained" "references an external resource"
else
	pass "html: self-contained (no src= or href=)"
fi

# --from/--to and --pid
check "export --from/--to" $SS export -q "$T/gen.trace" -f json --from 2ms --to 5ms -o "$T/win.json"
expect_eq "window: every event inside [2 ms, 5 ms]" "$(node -e '
	const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const out = d.traceEvents.filter((e) => e.ph !== "M" &&
		(e.ts < 2000 || e.ts + (e.dur || 0) > 5000.001));
	process.stdout.write(String(out.length));' "$T/win.json")" 0
check "export --pid" $SS export -q "$T/gen.trace" -f json --pid 3000 -o "$T/pid.json"
expect_eq "pid filter: only that process's threads" "$(node -e '
	const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const p = new Set(d.traceEvents.filter((e) => e.cat === "sched").map((e) => e.pid));
	process.stdout.write([...p].join(","));' "$T/pid.json")" 3000

# -- errors ----------------------------------------------------------------
$SS export "$T/missing.trace" 2> /dev/null
expect_eq "missing trace: exit 2" $? 2
echo "not a trace" > "$T/bad.trace"
$SS export "$T/bad.trace" 2> /dev/null
expect_eq "not a trace: exit 6" $? 6
$SS export "$T/gen.trace" -f svg 2> /dev/null
expect_eq "unknown format: exit 2" $? 2
$SS export "$T/gen.trace" -o /nonexistent/dir/out.html 2> /dev/null
expect_eq "unwritable output: exit 5" $? 5
head -c $(( $(stat -c %s "$T/gen.trace") * 2 / 3 )) "$T/gen.trace" > "$T/cut.trace"
$SS export -q "$T/cut.trace" -f json -o "$T/cut.json" 2> /dev/null
expect_eq "truncated trace: exit 7 (damaged)" $? 7
check "truncated trace: the intact part is exported as valid JSON" \
	node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$T/cut.json"

# -- browser: synthetic trace with coroutine lanes ------------------------
mkdir -p $B/tests
node tests/browser/viewer.test.mjs "$T/gen.html" "$T/gen.want" $B/tests/export-viewer-synthetic.png --coro > "$T/browser.out" 2>&1
while read -r line; do
	case $line in
	PASS*) pass "browser: ${line#PASS }" ;;
	FAIL*) r=${line#FAIL }; fail "browser: ${r%%: *}" "${r#*: }" ;;
	esac
done < "$T/browser.out"
grep -q "passed, 0 failed" "$T/browser.out" || grep -q '^FAIL' "$T/browser.out" ||
	fail "browser: synthetic trace" "$(tail -5 "$T/browser.out")"

# -- a real recorded trace --------------------------------------------------
if $SS record -q -o "$T/real.trace" -- sh -c \
	'for i in 1 2 3 4 5; do ls / > /dev/null; sleep 0.005; done' > "$T/rec.out" 2>&1; then
	pass "record a real trace"
	expected "$T/real.trace" "$T/real.want"
	sw=$(jget "$T/real.want" switches)
	wk=$(jget "$T/real.want" wakeups)
	check "real: perfetto export" $SS export -q "$T/real.trace" -f perfetto -o "$T/real.pftrace"
	pfdecode "$T/real.pftrace" "$T/real.txt"
	pf_rules "real" "$T/real.txt" "$sw"
	expect_eq "real: perfetto sched_waking count (full or compact)" "$(pfget "$T/real.txt" wakings)" "$wk"
	pf_same "real" "$T/real.trace" "$T/real.pftrace"
	[ -x $ASAN_SS ] && asan_export "$T/real.trace" "$T/real.pftrace"
	check "real: json export" $SS export -q "$T/real.trace" -f json -o "$T/real.json"
	check "real: json is valid" node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$T/real.json"
	check "real: html export" $SS export -q "$T/real.trace" -o "$T/real.html"
	node tests/browser/viewer.test.mjs "$T/real.html" "$T/real.want" $B/tests/export-viewer-real.png > "$T/browser.out" 2>&1
	while read -r line; do
		case $line in
		PASS*) pass "browser (real): ${line#PASS }" ;;
		FAIL*) r=${line#FAIL }; fail "browser (real): ${r%%: *}" "${r#*: }" ;;
		esac
	done < "$T/browser.out"
	grep -q "passed, 0 failed" "$T/browser.out" || grep -q '^FAIL' "$T/browser.out" ||
		fail "browser: real trace" "$(tail -5 "$T/browser.out")"
else
	fail "record a real trace" "$(tail -3 "$T/rec.out")"
fi
# -- real recordings against trace_processor's rules ------------------------
# A parent that forks children: the recording follows the process tree, so
# switches between tasks it does not trace leave gaps in the CPU chains.
# Then coroutine threads that exit while a coroutine slice is open.
pf_real() {	# NAME TRACE: export, decode, check the rules
	local sw
	sw=$($SS report --json "$2" 2> /dev/null | node -e \
		'process.stdout.write(String(JSON.parse(require("fs").readFileSync(0, "utf8")).switches.total))')
	check "$1: perfetto export" $SS export -q "$2" -f perfetto -o "$2.pftrace"
	if pfdecode "$2.pftrace" "$2.txt"; then
		pf_rules "$1" "$2.txt" "$sw"
		pf_same "$1" "$2" "$2.pftrace"
	else
		fail "$1: protoc --decode" "$(head -3 "$2.txt.err")"
	fi
	[ -x $ASAN_SS ] && asan_export "$2" "$2.pftrace"
}
if $SS record -q -o "$T/tree.trace" -- sh -c \
	'for i in 1 2 3 4 5 6; do (ls / > /dev/null; sleep 0.002) & sleep 0.001; done; wait' > "$T/rec.out" 2>&1; then
	pf_real "real process tree" "$T/tree.trace"
else
	fail "record a process tree" "$(tail -3 "$T/rec.out")"
fi
if $SS record -q -o "$T/coro.trace" -- $B/bin/coro-pingpong --threads 2 --switches 2000 > "$T/rec.out" 2>&1; then
	pf_real "real coroutines" "$T/coro.trace"
	if [ "$(pfget "$T/coro.trace.txt" coro_at_exit)" -gt 0 ] 2> /dev/null; then
		pass "real coroutines: slices open at a thread's exit end there ($(pfget "$T/coro.trace.txt" coro_at_exit))"
	else
		fail "real coroutines: slices open at a thread's exit end there" "none ended at an exit"
	fi
else
	fail "record coroutine threads" "$(tail -3 "$T/rec.out")"
fi
summary
