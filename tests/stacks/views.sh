#!/bin/bash
# The views of stacks on a trace whose off-CPU times are known to the
# nanosecond (tests/stacks/gen_stacks.c says what happens when): report
# --offcpu as text, folded stacks (checked by a parser of the format) and
# JSON, timehist -g, the HTML viewer in chromium, the Perfetto export; and
# a trace without stacks, which every stacks view refuses with a clear
# message and exit 2.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
ss=build/bin/switchscope
dir=build/tests/stacks-views
rm -rf "$dir"
mkdir -p "$dir"
build/tests/gen_stacks -o "$dir/s.trace" || fail gen "gen_stacks failed"
build/tests/gen_stacks -n -o "$dir/none.trace" || fail gen "gen_stacks -n failed"

# ---- report --offcpu (text) ----
$ss report --offcpu -n 0 "$dir/s.trace" >"$dir/text" 2>"$dir/text.err"
expect_eq offcpu_text_exit $? 0
has() { grep -qF -- "$2" "$dir/$1"; }
check offcpu_totals_traced_only has text "all threads: sleeping 26.0 ms in 3, waiting 3.00 ms in 2, parked 300 us in 1"
check offcpu_thread_section has text "thread blocker[500] (process 500): sleeping 16.0 ms, waiting 1.00 ms, parked 300 us"
check offcpu_untraced_left_out bash -c "! grep -q spinner $dir/text"
# the pipe sleep: its stacks, then its waker's
awk '/^thread blocker/ { on = 1 } on && /sleeping 5.00 ms in 1/ { p = 1 } p' "$dir/text" | head -14 >"$dir/pipe"
check offcpu_pipe_sleep_stack grep -q "read_pipe_fn+0x10 (blocker)" "$dir/pipe"
check offcpu_pipe_sleep_kernel grep -q "^      pipe_read+0x10" "$dir/pipe"
check offcpu_waker_named grep -q "woken by writer\[501\]: 5.00 ms in 1" "$dir/pipe"
check offcpu_waker_stack grep -q "^        write_pipe_fn+0x10 (blocker)" "$dir/pipe"
check offcpu_map_names_unsymbolized has text "blocker+0x1900"
check offcpu_not_woken has text "not woken by a waking seen in the trace: 11.0 ms in 1"
check offcpu_one_frame_note has text "1 of 6 user stacks have one frame only"
check offcpu_fp_advice has text "-fno-omit-frame-pointer"
check offcpu_one_frame_marked has text "[one frame: no frame pointers?]"
check offcpu_missing_said has text "[kernel stack 0x5 not in trace]"
check offcpu_dropped_said has text "2 stack records were dropped (1 with counts that do not fit, 1 a second, different stack"
check offcpu_conflict_kept_first bash -c "! grep -q 'blocker+0x1999' $dir/text"
check offcpu_park has text "chan_recv_fn+0x10 (blocker)"

# ---- --folded: a parser of the format flamegraph.pl reads ----
$ss report --offcpu --folded "$dir/s.trace" >"$dir/folded"
expect_eq folded_exit $? 0
# every line: frames joined by ';' (none empty), one blank, an integer
bad=$(awk '{ if (!match($0, /^[^ ]+ [0-9]+$/)) { print "line " NR ": " $0; next }
	     split($1, f, ";"); for (i in f) if (f[i] == "") print "empty frame, line " NR }' "$dir/folded")
expect_eq folded_parses "$bad" ""
total=$(awk '{ s += $NF } END { print s }' "$dir/folded")
expect_eq folded_total_is_offcpu_ns "$total" 29300000
check folded_pipe_line grep -qx "sleep;blocker-500;blocker+0x1900;main;read_pipe_fn;ksys_read_\[k\];pipe_read_\[k\];schedule_\[k\] 5000000" "$dir/folded"
check folded_one_frame_marked grep -qx "wait;writer-501;\[one_frame\];spin_fn;preempt_schedule_\[k\] 2000000" "$dir/folded"
check folded_missing_marked grep -q ";\[kernel_stack_missing\] 10000000$" "$dir/folded"
check folded_park grep -qx "park;blocker-500;main;chan_recv_fn 300000" "$dir/folded"

# ---- --json ----
$ss report --offcpu --json "$dir/s.trace" >"$dir/json"
expect_eq json_exit $? 0
got=$(node -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const b = j.threads.find((t) => t.tid === 500);
const pipe = b.stacks.find((s) => s.kind === "sleep" && s.user && s.user.frames[0].func === "read_pipe_fn");
const w = pipe.wakers[0];
console.log([j.format, j.sleep_ns, j.wait_ns, j.park_ns, j.user_stacks_one_frame, j.missing_stacks,
  pipe.ns, pipe.kernel.frames.map((f) => f.func).join(">"), w.comm, w.user.frames[0].func,
  j.threads.length].join(" "));' "$dir/json" 2>&1)
expect_eq json_content "$got" "switchscope-offcpu 26000000 3000000 300000 1 1 5000000 schedule>pipe_read>ksys_read writer write_pipe_fn 2"

# the same sleep and wait per thread as report --json
$ss report --json "$dir/s.trace" >"$dir/rep.json"
expect_eq offcpu_totals_equal_report_sleep_and_wait "$(node tests/stacks/same_totals.mjs "$dir/rep.json" "$dir/json" 2>&1)" ok

# ---- timehist -g ----
$ss timehist -g "$dir/s.trace" >"$dir/th"
expect_eq timehist_g_exit $? 0
got=$(awk '/blocked   blocker\[500\]     -> writer\[501\]  *1.00 ms/ { p = 1; next } p && NF == 0 { exit } p { print $1 }' "$dir/th" | tr '\n' ' ')
expect_eq timehist_g_callchain "$got" "schedule+0x5a pipe_read+0x10 ksys_read+0x20 read_pipe_fn+0x10 main+0x10 blocker+0x1900 "
$ss timehist "$dir/s.trace" >"$dir/th0"
check timehist_without_g_no_stacks bash -c "! grep -q read_pipe_fn $dir/th0"

# ---- a trace without stacks ----
for v in "report --offcpu" "report --offcpu --folded" "timehist -g"; do
	# shellcheck disable=SC2086
	$ss $v "$dir/none.trace" >"$dir/none.out" 2>"$dir/none.err"
	rc=$?
	n=nostacks_${v// /_}
	expect_eq "${n}_exit" "$rc" 2
	check "${n}_says_record_with_stacks" grep -q "has no stacks: record it with \`switchscope record --stacks\`" "$dir/none.err"
done
$ss report --folded "$dir/s.trace" >/dev/null 2>&1
expect_eq folded_needs_offcpu "$?" 2

# ---- HTML viewer in chromium ----
if $ss export -o "$dir/s.html" "$dir/s.trace" >/dev/null 2>&1; then
	pass html_export
	if [ -x "${SS_CHROMIUM:-/usr/bin/chromium}" ] && [ -d tests/browser/node_modules ]; then
		out=$(cd tests/browser && node stacks.test.mjs "../../$dir/s.html" read_pipe_fn write_pipe_fn 2>&1)
		echo "$out" | grep -E '^(PASS|FAIL)'
		if echo "$out" | grep -q '^[1-9][0-9]* passed, 0 failed$'; then pass html_stacks_browser
		else fail html_stacks_browser "$(echo "$out" | grep FAIL | head -3)"; fi
	else
		fail html_stacks_browser "no chromium or tests/browser/node_modules (make deps)"
	fi
else
	fail html_export "export failed"
fi

# ---- no ss_sym: names through the resolver, by the trace's ss_map ----
# (a recorder killed before the end writes no symbols) thread 502 sleeps
# in blocker_pipe_read called by main of build/bin/ss-blocker, mapped as
# a PIE at 0x555555554000
B=build/bin/ss-blocker
bid=$(readelf -nW "$B" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
rd=$(nm "$B" | awk '$3 == "blocker_pipe_read" { print $1 }')
mn=$(nm "$B" | awk '$3 == "main" { print $1 }')
read -r off vaddr < <(readelf -lW "$B" | awk '$1 == "LOAD" && / R E / { print $2, $3 }')
if [ -n "$bid" ] && [ -n "$rd" ] && [ -n "$mn" ] && [ -n "$vaddr" ]; then
	base=0x555555554000
	spec() {	# PATH
		printf '%s %x %x %x %s %x %x' "$1" $((base + vaddr)) $((base + vaddr + 0x1000)) $((off)) \
			"$bid" $((base + 0x$rd + 0x20)) $((base + 0x$mn + 0x30))
	}
	build/tests/gen_stacks -o "$dir/res.trace" -U "$(spec "$(realpath "$B")")"
	$ss report --offcpu --folded "$dir/res.trace" >"$dir/res.folded"
	check resolver_names_addresses_without_sym grep -qx "sleep;resolved-502;main;blocker_pipe_read 3000000" "$dir/res.folded"
	$ss report --offcpu "$dir/res.trace" >"$dir/res.txt"
	check resolver_offset_from_the_function grep -q "^      blocker_pipe_read+0x20 (ss-blocker)" "$dir/res.txt"
	# the file is not on this machine: file+offset, never a wrong name
	build/tests/gen_stacks -o "$dir/nores.trace" -U "$(spec /nonexistent/ss-blocker)"
	$ss report --offcpu --folded "$dir/nores.trace" >"$dir/nores.folded"
	expect_eq unresolved_shown_as_file_offset "$(grep resolved-502 "$dir/nores.folded")" \
		"$(printf 'sleep;resolved-502;ss-blocker+0x%x;ss-blocker+0x%x 3000000' $((0x$mn + 0x30)) $((0x$rd + 0x20)))"
else
	fail resolver_setup "no build-id, symbols or text segment in $B (readelf, nm)"
fi

# ---- the stacks views under ASan/UBSan, on intact and damaged traces ----
# (a real --stacks recording too when this machine can record)
ASAN=build/asan/bin/switchscope
if [ -x "$ASAN" ]; then
	. tests/integration/damage_lib.sh
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
	src=("$dir/s.trace")
	if $ss record --stacks -q --compress=none -o "$dir/real.trace" -- build/bin/ss-pingpong --switches 300 >/dev/null 2>&1; then
		src+=("$dir/real.trace")
	fi
	views=("report --offcpu" "report --offcpu --folded" "report --offcpu --json" "timehist -g"
	       "export -q -f html -o $dir/d.html" "export -q -f perfetto -o $dir/d.pftrace")
	for t in "${src[@]}"; do
		size=$(stat -c %s "$t")
		cp "$t" "$dir/cut.trace"; truncate -s $((size * 2 / 3)) "$dir/cut.trace"
		cp "$t" "$dir/bad.trace"
		# garbage over a third of the records, past the metadata
		dd if=/dev/urandom of="$dir/bad.trace" bs=1 seek=$((size / 3)) count=$((size / 3)) \
			conv=notrunc status=none
		for v in "${views[@]}"; do
			for x in "$t:0" "$dir/cut.trace:7" "$dir/bad.trace:7"; do
				f=${x%:*} want=${x##*:}
				# shellcheck disable=SC2086
				timeout 60 "$ASAN" $v "$f" >"$dir/a.out" 2>"$dir/a.err"
				rc=$?
				n="asan_$(basename "$t" .trace)_$(basename "$f" .trace)/${v%% -o*}"
				if grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$dir/a.err"; then
					fail "$n" "sanitizer: $(grep -m1 -E 'Sanitizer|runtime error' "$dir/a.err")"
				elif [ "$rc" != "$want" ]; then
					fail "$n" "exit $rc, want $want: $(head -c 300 "$dir/a.err")"
				else
					pass "$n"
				fi
			done
		done
	done
else
	fail asan_views "no $ASAN (make build/asan/bin/switchscope)"
fi

# ---- Perfetto: interned callstacks on the off-CPU slices ----
if $ss export --format perfetto -o "$dir/s.pftrace" "$dir/s.trace" >/dev/null 2>&1 &&
   protoc --decode=perfetto.protos.Trace -Iproto proto/perfetto_trace.proto <"$dir/s.pftrace" >"$dir/s.pf.txt" 2>"$dir/s.pf.err"; then
	pass perfetto_export_decodes
	node tests/export/pf_stacks.mjs "$dir/s.pf.txt" >"$dir/s.pf.json" 2>"$dir/s.pf.json.err"
	got=$(node -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const s = j.slices.find((x) => x[0] === "sleeping" && x[1] === "off-CPU stacks (blocker 500)" && x[2] === 5000000);
const w = j.instants.find((x) => x[0] === "woken by writer 501");
const p = j.instants.find((x) => /^park coro 7/.test(x[0]));
console.log([j.events, j.unresolved, j.flag_errors, j.weighted, j.weight_mismatch, s ? s[3].join(">") : "-",
  w ? w[1].join(">") : "-", p ? p[1].join(">") : "-"].join(" "));' "$dir/s.pf.json" 2>&1)
	expect_eq perfetto_callstacks "$got" "8 0 0 6 0 blocker+0x1900>main>read_pipe_fn>ksys_read [k]>pipe_read [k]>schedule [k] main>write_pipe_fn>pipe_write [k]>try_to_wake_up [k] main>chan_recv_fn"
	# the sched import is as without stacks
	node tests/export/pf_check.mjs "$dir/s.pf.txt" >"$dir/s.pf.check" 2>&1
	got=$(node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(j.switches, j.mismatched, j.overlaps, j.undescribed);' "$dir/s.pf.check" 2>&1)
	expect_eq perfetto_sched_import_clean "$got" "7 0 0 0"
else
	fail perfetto_export_decodes "$(head -3 "$dir/s.pf.err")"
fi

summary
