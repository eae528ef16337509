#!/bin/bash
# C++ names in stacks (user/stacks/demangle.c), end to end on the running
# kernel: a C++ program that sleeps in napper::Pool::nap(int), called by
# napper::Pool::run(int), recorded with --stacks; report --offcpu --json,
# --folded and timehist -g must name the frames as the source does, and
# libc's frame under main (a library the loader mapped after the first
# stacks) must be named too.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
ss=build/bin/switchscope
dir=build/tests/stacks-cxx
rm -rf "$dir"
mkdir -p "$dir"

if ! $ss record --stacks -q -o "$dir/c.trace" -- build/bin/ss-cxx-napper >"$dir/c.out" 2>"$dir/c.err"; then
	fail record_cxx_napper "$(head -3 "$dir/c.err")"
	summary
	exit
fi
pass record_cxx_napper_with_stacks
$ss report --offcpu --json "$dir/c.trace" >"$dir/c.json" 2>"$dir/c.json.err"
expect_eq "report --offcpu --json: exit 0" $? 0
# the sleeping time under a stack whose frames name nap and run, in order
got=$(node -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
let ns = 0, mangled = 0;
for (const t of j.threads) for (const s of t.stacks) {
  const fr = s.user ? s.user.frames.map((f) => f.func || "") : [];
  if (fr.some((f) => f.startsWith("_Z"))) mangled++;
  const a = fr.indexOf("napper::Pool::nap(int)"), b = fr.indexOf("napper::Pool::run(int)");
  if (a >= 0 && b > a) ns += s.ns;
}
console.log(ns + " " + mangled);' "$dir/c.json")
ns=${got% *}
expect_eq "no user frame left mangled" "${got#* }" 0
# the frame under main is libc's, mapped after the program's first stacks
# (taken in the dynamic loader): the maps were read again for it
libc=$(node -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
let named = 0, all = 0;
for (const t of j.threads) for (const s of t.stacks) {
  const fr = s.user ? s.user.frames : [], k = fr.findIndex((f) => f.func === "main");
  if (k < 0 || k + 1 >= fr.length) continue;
  all++;
  if (fr[k + 1].func && /libc/.test(fr[k + 1].obj || "")) named++;
}
console.log(named + "/" + all);' "$dir/c.json")
expect_eq "the libc frame under main is named in every stack that has one ($libc)" \
	"$(awk -F/ '{print ($2 > 0 && $1 == $2)}' <<< "$libc")" 1
# five naps of 20 ms
if [ "${ns:-0}" -ge 90000000 ] && [ "${ns:-0}" -le 200000000 ]; then
	pass "off-CPU time under napper::Pool::nap(int) <- napper::Pool::run(int): $ns ns (5 x 20 ms)"
else
	fail cxx_offcpu_time "$ns ns under napper::Pool::nap(int) <- run(int), 100 ms expected"
fi
$ss report --offcpu --folded "$dir/c.trace" >"$dir/c.folded" 2>/dev/null
expect_eq "--folded: run(int);nap(int) in its stacks" \
	"$(grep -q '^sleep;.*;napper::Pool::run(int);napper::Pool::nap(int);' "$dir/c.folded"; echo $?)" 0
$ss timehist -g "$dir/c.trace" >"$dir/c.timehist" 2>/dev/null
expect_eq "timehist -g: names nap(int)" "$(grep -q 'napper::Pool::nap(int)' "$dir/c.timehist"; echo $?)" 0
summary
