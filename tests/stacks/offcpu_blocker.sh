#!/bin/bash
# End to end on the running kernel (root, BPF): the blocker workload
# (tests/stacks/blocker.c: three functions of its own that block in a pipe
# read, a nanosleep and a futex wait, and print how long each blocked)
# recorded with --stacks. `report --offcpu` must attribute to stacks that
# name each function the off-CPU time the program measured in it, within
# 10%; the pipe read's waker stack must name the function that wrote the
# pipe; the folded output must be read by a parser of the format
# flamegraph.pl reads (Debian packages no flamegraph.pl) and give the same
# times; without frame pointers the report must say how many user stacks
# were one frame and what to rebuild with.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
ss=build/bin/switchscope
dir=build/tests/stacks-blocker
rm -rf "$dir"
mkdir -p "$dir"
MS=${SS_BLOCKER_MS:-80}
ROUNDS=${SS_BLOCKER_ROUNDS:-3}

if ! $ss record --stacks -q -o "$dir/b.trace" -- build/bin/ss-blocker "$MS" "$ROUNDS" >"$dir/b.out" 2>"$dir/b.err"; then
	fail record_blocker "$(head -3 "$dir/b.err")"
	summary
	exit
fi
pass record_blocker_with_stacks
tid=$(sed -n 's/^tid=\([0-9]*\) .*/\1/p' "$dir/b.out")
wtid=$(sed -n 's/.*writer_tid=\([0-9]*\).*/\1/p' "$dir/b.out")
measured() { sed -n "s/.*$1_ns=\([0-9]*\).*/\1/p" "$dir/b.out"; }

# ---- --json: time under stacks naming each function ----
$ss report --offcpu --json "$dir/b.trace" >"$dir/b.json" 2>"$dir/b.json.err"
expect_eq offcpu_json_exit $? 0
# sleep + wait of the thread's stacks whose user frames name fn: the
# program's clock around the system call covers both
offcpu_of() {
	node -e '
const [file, tid, fn] = process.argv.slice(1);
const j = JSON.parse(require("fs").readFileSync(file, "utf8"));
const t = j.threads.find((x) => x.tid === Number(tid));
let ns = 0;
for (const s of t ? t.stacks : []) {
  if (s.kind !== "park" && s.user && s.user.frames.some((f) => f.func === fn)) ns += s.ns;
}
console.log(ns);' "$dir/b.json" "$tid" "$1"
}
within() {	# NAME GOT WANT: |GOT - WANT| <= 10% of WANT
	if [ -n "$2" ] && [ -n "$3" ] && [ "$3" -gt 0 ] &&
	   [ $(( ($2 > $3 ? $2 - $3 : $3 - $2) * 10 )) -le "$3" ]; then
		pass "$1 ($2 ns, program measured $3 ns)"
	else
		fail "$1" "report $2 ns, program measured $3 ns (more than 10% apart)"
	fi
}
for fn in blocker_pipe_read blocker_nanosleep blocker_futex_wait; do
	within "offcpu_time_under_$fn" "$(offcpu_of "$fn")" "$(measured "$fn")"
done
# the pipe read's sleeps were ended by the writer thread, in blocker_pipe_write
got=$(node -e '
const [file, tid, wtid] = process.argv.slice(1);
const j = JSON.parse(require("fs").readFileSync(file, "utf8"));
const t = j.threads.find((x) => x.tid === Number(tid));
let all = 0, named = 0;
for (const s of t ? t.stacks : []) {
  if (s.kind !== "sleep" || !s.user || !s.user.frames.some((f) => f.func === "blocker_pipe_read")) continue;
  for (const w of s.wakers) {
    all += w.ns;
    if (w.tid === Number(wtid) && w.user && w.user.frames.some((f) => f.func === "blocker_pipe_write")) named += w.ns;
  }
}
console.log(all > 0 && named >= 0.9 * all ? "yes" : `no: ${named} of ${all} ns`);' "$dir/b.json" "$tid" "$wtid")
expect_eq offcpu_pipe_waker_is_blocker_pipe_write "$got" yes

# ---- text: the functions and the waker shown ----
$ss report --offcpu -n 0 "$dir/b.trace" >"$dir/b.txt"
check offcpu_text_names_pipe_read grep -q "blocker_pipe_read+0x" "$dir/b.txt"
check offcpu_text_shows_waker grep -q "woken by ss-blocker\[$wtid\]" "$dir/b.txt"

# ---- folded: a parser of the format, then the same sums ----
$ss report --offcpu --folded "$dir/b.trace" >"$dir/b.folded"
expect_eq folded_exit $? 0
# flamegraph.pl's reading: the last blank splits the frames from the
# count; frames are ';'-joined, none empty
bad=$(awk '{ if (!match($0, /^[^ ]+ [0-9]+$/)) { print "line " NR; next }
	     n = split($1, f, ";"); if (n < 2) print "line " NR ": no frames";
	     for (i = 1; i <= n; i++) if (f[i] == "") print "line " NR ": empty frame" }' "$dir/b.folded")
expect_eq folded_parses "$bad" ""
for fn in blocker_pipe_read blocker_nanosleep blocker_futex_wait; do
	got=$(awk -v fn="$fn" -v t="-$tid" '{ n = split($1, f, ";"); if (f[1] == "park" || substr(f[2], length(f[2]) - length(t) + 1) != t) next;
		for (i = 3; i <= n; i++) if (f[i] == fn) { s += $2; break } } END { printf "%d", s }' "$dir/b.folded")
	within "folded_time_under_$fn" "$got" "$(measured "$fn")"
done

# the same sleep and wait per thread as report --json
$ss report --json "$dir/b.trace" >"$dir/rep.json"
expect_eq offcpu_totals_equal_report_sleep_and_wait "$(node tests/stacks/same_totals.mjs "$dir/rep.json" "$dir/b.json" 2>&1)" ok

# ---- timehist -g: the callchain under the thread's switch-outs ----
$ss timehist -g --tid "$tid" "$dir/b.trace" >"$dir/b.th"
check timehist_g_names_futex_wait grep -q "^ *blocker_futex_wait+0x" "$dir/b.th"

# ---- the HTML viewer: hovering a pipe-read sleep shows both stacks ----
if $ss export -o "$dir/b.html" "$dir/b.trace" >/dev/null 2>&1 &&
   [ -x "${SS_CHROMIUM:-/usr/bin/chromium}" ] && [ -d tests/browser/node_modules ]; then
	out=$(cd tests/browser && node stacks.test.mjs "../../$dir/b.html" blocker_pipe_read blocker_pipe_write 2>&1)
	echo "$out" | grep -E '^(PASS|FAIL)'
	if echo "$out" | grep -q '^[1-9][0-9]* passed, 0 failed$'; then pass html_blocker_stacks_browser
	else fail html_blocker_stacks_browser "$(echo "$out" | grep FAIL | head -3)"; fi
else
	fail html_blocker_stacks_browser "export failed, or no chromium or tests/browser/node_modules (make deps)"
fi

# ---- self-contained: the binary deleted before the report ----
cp build/bin/ss-blocker "$dir/gone-blocker"
if $ss record --stacks -q -o "$dir/gone.trace" -- "$dir/gone-blocker" 20 1 >/dev/null 2>"$dir/gone.err"; then
	rm -f "$dir/gone-blocker"
	$ss report --offcpu --folded "$dir/gone.trace" >"$dir/gone.folded"
	for fn in blocker_pipe_read blocker_nanosleep blocker_futex_wait; do
		check "deleted_binary_still_names_$fn" grep -q ";$fn;" "$dir/gone.folded"
	done
else
	fail record_gone "$(head -3 "$dir/gone.err")"
fi

# ---- without frame pointers: said, with what to do ----
if $ss record --stacks -q -o "$dir/nofp.trace" -- build/bin/ss-blocker-nofp 20 1 >/dev/null 2>"$dir/nofp.err"; then
	$ss report --offcpu "$dir/nofp.trace" >"$dir/nofp.txt"
	check nofp_one_frame_counted grep -qE "^note: [1-9][0-9]* of [0-9]+ user stacks have one frame only" "$dir/nofp.txt"
	check nofp_says_rebuild grep -q -- "-fno-omit-frame-pointer" "$dir/nofp.txt"
	check nofp_stacks_marked grep -q "\[one frame: no frame pointers?\]" "$dir/nofp.txt"
else
	fail record_nofp "$(head -3 "$dir/nofp.err")"
fi

summary
