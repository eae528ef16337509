#!/bin/bash
# Park stacks of the project's runtime (libcoro is built with frame
# pointers): coro-pingpong in channel mode recorded with --stacks (USDT
# parks, --coro-ring=off); every park's user stack must run from coro_park
# through the program's channel code to the coroutine's first frame
# (coro_ctx_start), not stop at coro_park.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
ss=build/bin/switchscope
dir=build/tests/stacks-park
rm -rf "$dir"
mkdir -p "$dir"

if ! $ss record --stacks --coro-ring=off -q -o "$dir/p.trace" -- \
	build/bin/coro-pingpong --mode chan --switches 2000 >"$dir/p.out" 2>"$dir/p.err"; then
	fail record_coro_pingpong "$(head -3 "$dir/p.err")"
	summary
	exit
fi
pass record_coro_pingpong_with_stacks
$ss report --offcpu --json "$dir/p.trace" >"$dir/p.json" 2>"$dir/p.json.err"
expect_eq "report --offcpu --json: exit 0" $? 0
got=$(node -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
let parks = 0, full = 0, chan = 0;
for (const t of j.threads) for (const s of t.stacks) {
  if (s.kind !== "park") continue;
  parks += s.count;
  const fr = s.user ? s.user.frames.map((f) => f.func || "") : [];
  if (fr[0] === "coro_park" && fr[fr.length - 1] === "coro_ctx_start") full += s.count;
  if (fr.includes("chan_side")) chan += s.count;
}
console.log(parks + " " + full + " " + chan);' "$dir/p.json")
read -r parks full chan <<< "$got"
if [ "${parks:-0}" -ge 2000 ]; then
	pass "parks recorded: $parks"
else
	fail parks_recorded "$parks parks, 2000 or more expected"
fi
expect_eq "every park's stack from coro_park to coro_ctx_start ($full of $parks)" "$full" "$parks"
if [ "${chan:-0}" -ge 2000 ]; then
	pass "the channel's parks name the program's chan_side: $chan"
else
	fail parks_name_chan_side "$chan of $parks"
fi
summary
