#!/bin/bash
# switchscope view: the server (loopback only, the token, malformed
# requests, SIGINT/SIGTERM), its request parser under libFuzzer, export's
# size limit, and the viewer in Debian's chromium against `view` of a
# generated trace of SS_VIEW_RECORDS records (default 20 million).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
B=build
SS=$B/bin/switchscope
T=$(mktemp -d -t ss-view.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
RECORDS=${SS_VIEW_RECORDS:-20000000}

# start_view NAME TRACE [ARGS]: a server in the background; sets VPID, URL,
# BASE (http://127.0.0.1:PORT) and TOK. Fails NAME if no URL comes.
start_view() {
	local name=$1 trace=$2
	shift 2
	$SS view --no-open "$trace" "$@" > "$T/$name.out" 2> "$T/$name.err" &
	VPID=$!
	PIDS+=("$VPID")
	for _ in $(seq 600); do
		URL=$(grep -m1 '^http://' "$T/$name.out")
		[ -n "$URL" ] && break
		kill -0 "$VPID" 2>/dev/null || break
		sleep 0.1
	done
	BASE=${URL%%/\?*}
	TOK=${URL##*token=}
	[ -n "$URL" ] || fail "$name: view prints its URL" "$(tail -3 "$T/$name.err")"
}
# code PATH?QUERY: the HTTP status of a GET
code() { curl -s -o "$T/body" -w '%{http_code}' "$BASE$1"; }

# -- a small trace for the server's tests ----------------------------------
$B/tests/export_gen -o "$T/small.trace" -n 200000 -c 4 > "$T/small.json"
jget() { node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync('$1','utf8'))['$2']))"; }

# Binds: loopback only.
for a in 0.0.0.0 192.168.1.10 :: example.com; do
	out=$($SS view --no-open --bind "$a" "$T/small.trace" 2>&1)
	rc=$?
	expect_eq "refuses --bind $a (exit 2, says why)" "$rc:$(grep -c 'only 127.0.0.1' <<< "$out")" "2:1"
done
expect_eq "view without a trace: usage (2)" "$($SS view --no-open > /dev/null 2>&1; echo $?)" 2
echo "not a trace" > "$T/bad.trace"
expect_eq "view of a file that is not a trace: exit 6" \
	"$($SS view --no-open "$T/bad.trace" > /dev/null 2>&1; echo $?)" 6
expect_eq "view --port 70000: usage (2)" "$($SS view --no-open --port 70000 "$T/small.trace" > /dev/null 2>&1; echo $?)" 2

start_view small "$T/small.trace" --bind 127.0.0.1
port=${BASE##*:}
listen=$(ss -Hltn "sport = :$port" | awk '{print $4}')
expect_eq "listens on 127.0.0.1:$port only" "$listen" "127.0.0.1:$port"
other=$(ip -4 -o addr show scope global 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4; exit}')
if [ -n "$other" ]; then
	expect_eq "not reachable on $other:$port" \
		"$(curl -s -o /dev/null -m 3 -w '%{http_code}' "http://$other:$port/?token=$TOK")" 000
fi
expect_eq "prints its index build time and memory bound" \
	"$(grep -c 'built in .* s ]' "$T/small.err"):$(grep -c 'server memory' "$T/small.err")" "1:1"
expect_eq "the page with the token: 200" "$(code "/?token=$TOK")" 200
grep -q 'switchscope view' "$T/body" && grep -q 'SS.openRemote' "$T/body"
expect_eq "  ... is the viewer with its remote data source" $? 0
expect_eq "no token: 403" "$(code /)" 403
expect_eq "no token on the API: 403" "$(code /api/meta)" 403
wrong=$(printf '%s' "$TOK" | tr '0-9a-f' '1-9a-f0')
expect_eq "a wrong token: 403" "$(code "/api/meta?token=$wrong")" 403
expect_eq "a token too short: 403" "$(code "/api/meta?token=${TOK:0:31}")" 403
expect_eq "a wrong token with a bad query: 403, not 400" "$(code "/api/window?token=$wrong&t0=x")" 403
expect_eq "a foreign Host header (DNS rebinding): 403" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example:80' "$BASE/?token=$TOK")" 403
expect_eq "POST: 405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/api/meta?token=$TOK")" 405
expect_eq "an unknown path: 404" "$(code "/etc/passwd?token=$TOK")" 404

# Malformed queries: a 400 that says what is wrong, and the server lives on.
bad=(
	"/api/window?token=$TOK"
	"/api/window?token=$TOK&t0=abc&t1=10&px=100"
	"/api/window?token=$TOK&t0=10&t1=5&px=100"
	"/api/window?token=$TOK&t0=0&t1=5&px=0"
	"/api/window?token=$TOK&t0=0&t1=5&px=99999"
	"/api/window?token=$TOK&t0=-5&t1=5&px=10"
	"/api/window?token=$TOK&t0=1e9&t1=5e9&px=10"
	"/api/window?token=$TOK&t0=0&t0=1&t1=5&px=10"
	"/api/window?token=$TOK&t0=0&t1=5&px=10&lanes=5-2"
	"/api/window?token=$TOK&t0=0&t1=5&px=10&lanes=999999"
	"/api/window?token=$TOK&t0=0&t1=5&px=10&lanes=0-4294967294"
	"/api/window?token=$TOK&t0=0&t1=5&px=10&lanes=1,,2"
	"/api/window?token=$TOK&t0=%zz&t1=5&px=10"
	"/api/window?token=$TOK&t0=0%00&t1=5&px=10"
	"/api/window?token=$TOK&t0=0&t1=99999999999999999999999&px=10"
	"/api/window?token=$TOK&t0&t1=5&px=10"
	"/api/summary?token=$TOK&t0=5"
	"/api/search?token=$TOK"
	"/api/search?token=$TOK&q=$(printf 'x%.0s' $(seq 300))"
	"/api/meta?token=$TOK&evil=1"
)
n400=0
for q in "${bad[@]}"; do
	c=$(code "$q")
	if [ "$c" = 400 ] && [ -s "$T/body" ]; then
		n400=$((n400 + 1))
	else
		echo "  $q: $c $(head -c 200 "$T/body")"
	fi
done
expect_eq "${#bad[@]} malformed queries: each a 400 with a message" "$n400" "${#bad[@]}"
expect_eq "  ... e.g. '$(code "/api/window?token=$TOK&t0=abc&t1=1&px=1"; head -c 60 "$T/body")'" \
	"$(grep -c "bad t0" "$T/body")" 1
expect_eq "the server lives on after them" "$(code "/api/meta?token=$TOK")" 200
kill -0 "$VPID" 2>/dev/null
expect_eq "  ... (its process too)" $? 0

# Answers.
code "/api/lanes?token=$TOK" > /dev/null
cp "$T/body" "$T/lanes.json"
nl=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).lanes.length)' "$T/body")
end=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).end)' "$T/body")
expect_eq "window of the whole trace: 200" "$(code "/api/window?token=$TOK&t0=0&t1=$end&px=1000")" 200
# the compact records (user/view/vapi.c) walked: each lane's take the
# bytes its header says; slices' times in order, none ending before it
# starts
node -e '
	const fs = require("fs"), b = fs.readFileSync(process.argv[1]);
	const types = JSON.parse(fs.readFileSync(process.argv[3])).lanes.map((l) => l[0]);
	const nl = b.readUInt32LE(0);
	let n = 0, bytes = 0, p = 8, walk = "";
	for (let k = 0; k < nl && !walk && p + 12 <= b.length; k++) {
		const id = b.readUInt32LE(p), cnt = b.readUInt32LE(p + 4);
		const len = b.readUInt32LE(p + 8), p0 = p += 12;
		let t0 = 0, t1 = 0;
		for (let i = 0; i < cnt && p < b.length; i++) {
			const m = b[p++], last = t1;
			p += 4 * ((m & 1) + (m >> 1 & 1) + (m >> 2 & 1) + (m >> 3 & 1));
			switch (m & 0x30) {
			case 0x10: t0 = t1; break;
			case 0x30: t0 = t1 + b.readUInt16LE(p) * 0.5; p += 2; break;
			case 0: t0 = t1 + b.readUInt32LE(p) * 0.5; p += 4; break;
			default: t0 = b.readDoubleLE(p); p += 8;
			}
			switch (m & 0xc0) {
			case 0x80: t1 = t0 + b.readUInt16LE(p) * 0.5; p += 2; break;
			case 0: t1 = t0 + b.readUInt32LE(p) * 0.5; p += 4; break;
			default: t1 = b.readDoubleLE(p); p += 8;
			}
			if (types[id] !== 3 && (t1 < t0 || t0 < last))
				walk = "lane " + id + " record " + i + ": " + t0 + "-" + t1 + " after " + last;
		}
		if (!walk && p - p0 !== len)
			walk = "lane " + id + ": " + (p - p0) + " bytes, its header says " + len;
		n += cnt;
		bytes += len;
	}
	/* compact records: 3 to 33 bytes each */
	const ok = !walk && nl === Number(process.argv[2]) && b.length === 8 + 12 * nl + bytes &&
		bytes >= 3 * n && bytes <= 33 * n && n <= 5 * 1000 * nl + 16 * nl;
	console.log(ok ? "ok " + n + " records, " + bytes + " bytes" : "bad: " + (walk ||
		nl + " lanes, " + n + " records, " + bytes + " of " + b.length + " bytes"));' \
	"$T/body" "$nl" "$T/lanes.json" > "$T/win.check"
cp "$T/body" "$T/win.body"
expect_eq "  ... every lane, records as its header says and in order, at most 5 per pixel ($(cat "$T/win.check"))" \
	"$(cut -c1-2 "$T/win.check")" ok
# Clients that go away in the middle of an answer (made lane by lane, a
# helper thread each): the server lives on, answers the same bytes, and
# its threads are back to what they were (each helper joined).
nthr=$(ls /proc/$VPID/task | wc -l)
for i in $(seq 20); do
	curl -s -N "$BASE/api/window?token=$TOK&t0=0&t1=$end&px=8192" 2>/dev/null | head -c 3000 > /dev/null
done
code "/api/window?token=$TOK&t0=0&t1=$end&px=1000" > /dev/null
cmp -s "$T/body" "$T/win.body"
expect_eq "20 clients gone mid-answer: the next answer is the same bytes" $? 0
sleep 0.5
expect_eq "  ... and the server's threads are as many as before ($nthr)" "$(ls /proc/$VPID/task | wc -l)" "$nthr"
code "/api/summary?token=$TOK&t0=0&t1=$end" > /dev/null
expect_eq "summary of the whole trace: the generator's switches" \
	"$(jget "$T/body" switches)" "$(jget "$T/small.json" switches)"
expect_eq "summary of the whole trace: the generator's wakeups" \
	"$(jget "$T/body" wakeups)" "$(jget "$T/small.json" wakeups)"
# a scan of two halves (split at half a ns: no record is there) adds up to
# the whole trace's summary, which was added up while the index was built
mid=$(( end / 2 )).5
code "/api/summary?token=$TOK&t0=0&t1=$mid" > /dev/null
cp "$T/body" "$T/half1.json"
code "/api/summary?token=$TOK&t0=$mid&t1=$end" > /dev/null
expect_eq "summary: the scans of two halves add up to the whole's (switches, wakeups, coroutine switches)" \
	"$(( $(jget "$T/half1.json" switches) + $(jget "$T/body" switches) )):$(( $(jget "$T/half1.json" wakeups) + $(jget "$T/body" wakeups) )):$(( $(jget "$T/half1.json" coroSwitches) + $(jget "$T/body" coroSwitches) ))" \
	"$(jget "$T/small.json" switches):$(jget "$T/small.json" wakeups):$(jget "$T/small.json" coro_switches)"
code "/api/search?token=$TOK&q=coro+3" > /dev/null
cp "$T/body" "$T/search.json"
code "/api/meta?token=$TOK" > /dev/null
expect_eq "search 'coro 3': the lane of the coroutine thread (3000)" "$(node -e '
	const fs = require("fs");
	const s = JSON.parse(fs.readFileSync(process.argv[1])), m = JSON.parse(fs.readFileSync(process.argv[2]));
	console.log(s.coro + ":" + s.threads.map((i) => m.threads[i][0]).join(","));' "$T/search.json" "$T/body")" 3:3000

# Fuzzed requests (user/view/vquery.c).
secs=${SS_FUZZ_SECONDS:-20}
mkdir -p "$T/corpus" "$T/art"
for q in "${bad[@]}" "/api/window?token=$TOK&t0=0&t1=$end&px=1000&lanes=0-3,7" \
	"/api/search?token=$TOK&q=coro+%233" "/?token=$TOK" "/api/stack?token=$TOK&lane=4&t=1000000.5"; do
	printf '%s' "$q" > "$T/corpus/$(printf '%s' "$q" | md5sum | cut -c1-12)"
done
$B/tests/fuzz_view_query -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
	-print_final_stats=1 -artifact_prefix="$T/art/" "$T/corpus" > "$T/fuzz.log" 2>&1
rc=$?
runs=$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$T/fuzz.log" | grep -oE '[0-9]+$')
if [ "$rc" = 0 ] && [ -z "$(ls -A "$T/art")" ]; then
	pass "fuzz_view_query_${secs}s (${runs:-?} requests, no crash or sanitizer report)"
else
	cp "$T/fuzz.log" $B/tests/fuzz_view_query.log
	fail fuzz_view_query "exit $rc: $(grep -m3 -E 'ERROR|SUMMARY' "$T/fuzz.log")"
fi

# Shutdown: SIGINT and SIGTERM, exit 0, the port closed.
kill -INT "$VPID"
for _ in $(seq 50); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done
wait "$VPID"
rc=$?
expect_eq "SIGINT: the server stops, exit 0" "$rc" 0
expect_eq "  ... says so" "$(grep -c stopped "$T/small.err")" 1
expect_eq "  ... and its port is closed" "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$BASE/?token=$TOK")" 000
start_view term "$T/small.trace" --port 0
kill -TERM "$VPID"
wait "$VPID"
expect_eq "SIGTERM: the server stops, exit 0" $? 0

# -- stacks and triggers (tests/stacks/gen_stacks.c -T) -----------------------
$B/tests/gen_stacks -T -o "$T/stk.trace" || fail gen_stacks "gen_stacks -T failed"
start_view stk "$T/stk.trace"
code "/api/meta?token=$TOK" > /dev/null
cp "$T/body" "$T/stk.meta"
# thread index of a tid, its lanes: 2 + ncpu + 3 * index (+2: its marks)
lane_of() { node -e '
	const m = JSON.parse(require("fs").readFileSync(process.argv[1]));
	const i = m.threads.findIndex((t) => t[0] === Number(process.argv[2]));
	console.log(i < 0 ? -1 : 2 + m.ncpu + 3 * i + Number(process.argv[3]));' "$T/stk.meta" "$1" "$2"; }
$SS timehist -g "$T/stk.trace" > "$T/stk.th"
want=$(awk '/TRIGGER/ { k = $5; sub(/[>:].*/, "", k); printf "%s%d %s", n++ ? "," : "", $1 * 1e9 + 0.5, k }' "$T/stk.th")
got=$(node -e '
	const m = JSON.parse(require("fs").readFileSync(process.argv[1]));
	const name = ["", "signal", "dump", "runqlat", "offcpu", "coro-kernel"];
	console.log(m.triggers.map((g) => g[0] + " " + name[g[1]]).join(","));' "$T/stk.meta")
expect_eq "meta: the triggers at timehist's times, of its kinds ($want)" "$got" "$want"
expect_eq "  ... their tasks: blocker's index, none for the signal" "$(node -e '
	const m = JSON.parse(require("fs").readFileSync(process.argv[1]));
	console.log(m.triggers.map((g) => (g[2] < 0 ? "none" : m.threads[g[2]][0]) + ":" + g[3]).join(","));' "$T/stk.meta")" \
	"500:1000000,none:0"
lb=$(lane_of 500 0)
# the frames of a stack answer: each stack's f joined (kernel, then user)
frames() { node -e '
	const a = JSON.parse(require("fs").readFileSync(process.argv[1]));
	if (!a.ref) { console.log("none"); process.exit(0); }
	const part = (i) => (i < 0 ? [] : a.stacks[i].missing ? ["missing"] : a.stacks[i].f);
	const [k, u, wk, wu, w] = a.ref;
	console.log(part(k).concat(part(u)).join(" ") + " | " + part(wk).concat(part(wu)).join(" ") + " | " + w);' "$T/body"; }
th_frames() { awk -v at="$1" '$1 == at { on = 1; next } on && NF == 0 { exit } on { printf "%s%s", n++ ? " " : "", $1 }' "$T/stk.th"; }
expect_eq "/api/stack of blocker's sleep (from 1 ms), at its start: 200" "$(code "/api/stack?token=$TOK&lane=$lb&t=1000000")" 200
expect_eq "  ... its stacks are timehist -g's, the waker's stacks, the waker (writer, index 1)" "$(frames)" \
	"$(th_frames 0.001000) | try_to_wake_up+0x8 pipe_write+0x10 write_pipe_fn+0x10 main+0x20 | 2"
code "/api/stack?token=$TOK&lane=$lb&t=3500000.5" > /dev/null
expect_eq "  ... the same inside the interval (3.5 ms)" "$(frames | cut -d' ' -f1-3)" "schedule+0x5a pipe_read+0x10 ksys_read+0x20"
code "/api/stack?token=$TOK&lane=$lb&t=9000000" > /dev/null
expect_eq "the sleep from 9 ms: timehist's stacks, no waker" "$(frames)" "$(th_frames 0.009000) |  | 0"
code "/api/stack?token=$TOK&lane=$(lane_of 501 0)&t=7000000" > /dev/null
expect_eq "writer's runnable interval (7 ms): where it was preempted" "$(frames)" "preempt_schedule+0x4 spin_fn+0x10 |  | 0"
code "/api/stack?token=$TOK&lane=$(lane_of 501 0)&t=15000000" > /dev/null
expect_eq "writer's sleep from 10 ms: the kernel stack the trace lacks is said missing" "$(frames)" \
	"missing write_pipe_fn+0x10 main+0x20 |  | 0"
code "/api/stack?token=$TOK&lane=$lb&t=8000000" > /dev/null
expect_eq "blocker running (8 ms): no stacks" "$(frames)" none
code "/api/stack?token=$TOK&lane=$(lane_of 500 2)&t=500000" > /dev/null
expect_eq "the coroutine park (0.5 ms) on blocker's marks lane: its stack" "$(frames)" "chan_recv_fn+0x10 main+0x40 |  | 0"
code "/api/stack?token=$TOK&lane=$(lane_of 500 2)&t=600000" > /dev/null
expect_eq "  ... not 0.1 ms later" "$(frames)" none
n400=0
for q in "lane=2&t=0" "lane=0&t=0" "lane=$(lane_of 500 1)&t=0" "lane=99999&t=0" "lane=$lb" "t=5" \
	"lane=$lb&t=-1" "lane=$lb&t=1e6" "lane=x&t=1" "lane=$lb&lane=$lb&t=1" "lane=4294967295&t=1"; do
	c=$(code "/api/stack?token=$TOK&$q")
	if [ "$c" = 400 ] && [ -s "$T/body" ]; then n400=$((n400 + 1)); else echo "  $q: $c $(head -c 200 "$T/body")"; fi
done
expect_eq "/api/stack: 11 bad lanes (a CPU's, lost records', a coroutine lane, none) and times: each a 400" "$n400" 11
# /api/offcpu: by thread and kind the off-CPU time report --offcpu gives
# (its parks left out: the flame graph has intervals only).
# offcpu_vs_report TRACE META T1: both, in $T/offcpu and $T/folded
offcpu_vs_report() {
	$SS report --offcpu --folded "$1" | grep -v '^park' |
		awk '{ n = split($1, f, ";"); print f[1] ";" f[2] ";" f[n - 0] " " $2 }' | sort > "$T/folded"
	code "/api/offcpu?token=$TOK&t0=0&t1=$3" > /dev/null
	node -e '
		const fs = require("fs"), a = JSON.parse(fs.readFileSync(process.argv[1])), m = JSON.parse(fs.readFileSync(process.argv[2]));
		const kind = { 2: "wait", 3: "sleep" };
		for (const i of a.items) {
			const th = m.threads[i.th], k = i.ks && !i.ks.missing ? i.ks.g[0] + "_[k]" : "[kernel_stack_missing]";
			console.log(kind[i.kind] + ";" + th[2] + "-" + th[0] + ";" + k + " " + i.ns);
		}' "$T/body" "$2" | sort > "$T/offcpu"
}
offcpu_vs_report "$T/stk.trace" "$T/stk.meta" 20000000
expect_eq "/api/offcpu of the whole trace: report --offcpu's time by kind, thread and stack ($(wc -l < "$T/folded") stacks)" \
	"$(cat "$T/offcpu")" "$(cat "$T/folded")"
code "/api/offcpu?token=$TOK&t0=2000000&t1=4000000" > /dev/null
expect_eq "  ... of [2 ms, 4 ms]: 2 ms of the pipe read's sleep" "$(node -e '
	const a = JSON.parse(require("fs").readFileSync(process.argv[1]));
	console.log(a.items.map((i) => i.kind + ":" + i.th + ":" + i.ns + ":" + i.us.g[0]).join(","));' "$T/body")" "3:0:2000000:read_pipe_fn"
expect_eq "  ... without t1: 400" "$(code "/api/offcpu?token=$TOK&t0=5")" 400
node tests/browser/view_stacks.test.mjs "$URL" $B/tests/view-stacks.png > "$T/browser-stk.out" 2>&1
while IFS= read -r l; do
	case $l in
	PASS*) pass "browser: ${l#PASS view stacks: }" ;;
	FAIL*) r=${l#FAIL view stacks: }; fail "browser: ${r%%: *}" "${r#*: }" ;;
	esac
done < "$T/browser-stk.out"
grep -q "passed, 0 failed" "$T/browser-stk.out" || grep -q '^FAIL' "$T/browser-stk.out" ||
	fail "browser: view of the stacks trace" "$(tail -5 "$T/browser-stk.out")"
kill -INT "$VPID"
wait "$VPID"
# more intervals in the range than /api/offcpu holds at once (2^20): the
# same sums, merged by key on the way
$B/tests/gen_stacks -B 600000 -o "$T/bulk.trace"
start_view bulk "$T/bulk.trace"
code "/api/meta?token=$TOK" > /dev/null
cp "$T/body" "$T/bulk.meta"
offcpu_vs_report "$T/bulk.trace" "$T/bulk.meta" 1820000000
expect_eq "/api/offcpu over 1.2 million intervals: report --offcpu's sums ($(wc -l < "$T/folded") stacks)" \
	"$(cat "$T/offcpu")" "$(cat "$T/folded")"
kill -INT "$VPID"
wait "$VPID"
rm -f "$T/bulk.trace"
# without stacks: no stack table, every lane's answer empty
$B/tests/gen_stacks -n -o "$T/nostk.trace"
start_view nostk "$T/nostk.trace"
code "/api/meta?token=$TOK" > /dev/null
expect_eq "a trace without stacks: meta says none" "$(jget "$T/body" view_stacks)" 0
code "/api/stack?token=$TOK&lane=4&t=1000000" > /dev/null
expect_eq "  ... /api/stack answers none" "$(frames)" none
code "/api/offcpu?token=$TOK&t0=0&t1=20000000" > /dev/null
expect_eq "  ... /api/offcpu an empty list" "$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).items.length)' "$T/body")" 0
kill -INT "$VPID"
wait "$VPID"

# -- a damaged trace: served, said so in the page and at the exit ------------
# browser_lines NAME OUT: a browser script's PASS/FAIL lines as ours
browser_lines() {
	local l r
	while IFS= read -r l; do
		case $l in
		PASS*) pass "$1: ${l#PASS damaged: }" ;;
		FAIL*) r=${l#FAIL damaged: }; fail "$1: ${r%%: *}" "${r#*: }" ;;
		esac
	done < "$2"
	grep -q "passed, 0 failed" "$2" || grep -q '^FAIL' "$2" || fail "$1" "$(tail -5 "$2")"
}
sz=$(stat -c %s "$T/small.trace")
head -c $((sz / 2 + 333)) "$T/small.trace" > "$T/cut.trace"
start_view cut "$T/cut.trace"
expect_eq "a cut trace: served, the damage said on stderr" "$(grep -c 'is damaged from offset' "$T/cut.err")" 1
code "/api/meta?token=$TOK" > /dev/null
expect_eq "  ... and in /api/meta (cut short, bytes dropped, no trailer)" "$(node -e '
	const d = JSON.parse(require("fs").readFileSync(process.argv[1])).damage || {};
	console.log(d.cut_short, d.bytes_dropped > 0, d.no_trailer, d.offset > 0 && d.offset < Number(process.argv[2]));' \
	"$T/body" "$sz")" "true true true true"
node tests/browser/damaged.test.mjs "$URL" "file cut short" "no trailer" > "$T/browser-cut.out" 2>&1
browser_lines "browser: view of a cut trace" "$T/browser-cut.out"
kill -INT "$VPID"
wait "$VPID"
expect_eq "  ... Ctrl-C: exit 7 (damaged)" $? 7
$SS export -q -o "$T/cut.html" "$T/cut.trace" 2>/dev/null
expect_eq "export html of the cut trace: exit 7" $? 7
node tests/browser/damaged.test.mjs "$T/cut.html" "file cut short" "no trailer" > "$T/browser-cuth.out" 2>&1
browser_lines "browser: HTML of a cut trace" "$T/browser-cuth.out"
$SS export -q -o "$T/whole.html" "$T/small.trace"
expect_eq "  ... a whole trace's HTML has no damage notice" "$(grep -c '"damage":{' "$T/whole.html")" 0
rm -f "$T/whole.html"

# -- export: the size limit --------------------------------------------------
out=$($SS export "$T/small.trace" -o "$T/small.html" --max-size 1M 2>&1)
rc=$?
expect_eq "export html over --max-size: exit 2, nothing written" "$rc:$([ -e "$T/small.html" ]; echo $?)" "2:1"
expect_eq "  ... says how big and suggests view or a window" \
	"$(grep -cE 'about [0-9]+ MiB.*switchscope view.*--from/--to' <<< "$out")" 1
$SS export -q "$T/small.trace" -o "$T/small.html"
est=$(grep -oE 'about [0-9]+' <<< "$out" | grep -oE '[0-9]+')
act=$(( $(stat -c %s "$T/small.html") >> 20 ))
expect_eq "  ... the estimate is the size written (${est} vs ${act} MiB)" "$(( est - act <= 1 && act - est <= 1 ))" 1
expect_eq "  ... --max-size 0: no limit" "$($SS export -q "$T/small.trace" -o "$T/small2.html" --max-size 0; echo $?)" 0

# -- the browser, on a big trace ----------------------------------------------
t0=$(date +%s.%N)
$B/tests/export_gen -o "$T/big.trace" -n "$RECORDS" -c 4 > "$T/big.json"
t1=$(date +%s.%N)
echo "  generated $RECORDS records in $(echo "$t1 - $t0" | bc) s"
start_view big "$T/big.trace"
grep -h 'switchscope view: index' "$T/big.err" | sed 's/^/  /'
curl -s "$BASE/api/lanes?token=$TOK" > "$T/big.lanes"
end=$(jget "$T/big.lanes" end)
# a switch 80% into the trace, from timehist (of one thread: fewer lines)
line=$($SS timehist --kernel --tid 1002 "$T/big.trace" |
	awk -v at="$(echo "$end * 0.8 / 1000000000" | bc -l)" \
		'NR > 3 && $1 > at && $4 !~ /idle/ && $6 !~ /idle/ { print; exit }')
t2=$(date +%s.%N)
echo "  timehist: $line ($(echo "$t2 - $t1" | bc) s with the index)"
read -r ts cpu _ from _ to _ <<< "$line"
node -e '
	const [json, ts, cpu, from, to] = process.argv.slice(1);
	const g = JSON.parse(require("fs").readFileSync(json, "utf8"));
	const tid = (s) => Number(/\[(\d+)\]/.exec(s)[1]);
	g.cpus = [0, 1, 2, 3];
	g.threads = [1000, 1001, 1002, 2000, 3000, 3001];
	g.switch = { t_ns: Math.round(Number(ts) * 1e9), cpu: Number(cpu), from: tid(from), to: tid(to) };
	console.log(JSON.stringify(g));' "$T/big.json" "$ts" "$cpu" "$from" "$to" > "$T/big.want"
node tests/browser/view.test.mjs "$URL" "$T/big.want" $B/tests/view-big.png > "$T/browser.out" 2>&1
while IFS= read -r l; do
	case $l in
	PASS*) pass "browser: ${l#PASS view: }" ;;
	FAIL*) r=${l#FAIL view: }; fail "browser: ${r%%: *}" "${r#*: }" ;;
	view:*) echo "  $l" ;;
	esac
done < "$T/browser.out"
grep -q "passed, 0 failed" "$T/browser.out" || grep -q '^FAIL' "$T/browser.out" ||
	fail "browser: view of the big trace" "$(tail -5 "$T/browser.out")"
summary
