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
if out=$($ESLINT -c tests/browser/eslint.config.js web/ tests/browser/ tests/bench/ 2>&1); then
	pass "eslint: web/*.js, tests/browser and tests/bench are clean"
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
expect_eq "perfetto: one sched_switch per switch" "$(count 'sched_switch {' "$T/gen.txt")" "$sw"
expect_eq "perfetto: one sched_waking per wakeup" "$(count 'sched_waking {' "$T/gen.txt")" "$wk"
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
	if ASAN_OPTIONS=abort_on_error=0:exitcode=99 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$ASAN_SS export -q "$1" -f perfetto -o "$2.asan" 2> "$2.asan.err" && cmp -s "$2" "$2.asan"; then
		pass "asan: perfetto export of $(basename "$1") is clean and the same"
	else
		fail "asan: perfetto export of $(basename "$1")" "$(grep -m3 -E 'ERROR|runtime error|SUMMARY|differ' "$2.asan.err")"
	fi
}
if [ -x $ASAN_SS ]; then
	asan_export "$T/gen.trace" "$T/gen.pftrace"
else
	fail "asan: perfetto export" "$ASAN_SS missing: make $ASAN_SS"
fi

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
	protoc --decode=perfetto.protos.Trace -Iproto proto/perfetto_trace.proto \
		< "$T/real.pftrace" > "$T/real.txt" 2> /dev/null
	expect_eq "real: perfetto sched_switch count" "$(count 'sched_switch {' "$T/real.txt")" "$sw"
	expect_eq "real: perfetto sched_waking count" "$(count 'sched_waking {' "$T/real.txt")" "$wk"
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
summary
