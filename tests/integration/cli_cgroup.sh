#!/bin/bash
# record --cgroup on the running kernel (root, BPF): two cgroups v2 made
# here with a futex ping-pong in each (a third for a task moved in
# mid-recording); only the chosen cgroup's tasks are in the trace, report
# groups per cgroup by name, a moved task appears from its move on, bad
# paths fail with exit code 2. Everything made here is removed at the end.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
SS=build/bin/switchscope
PP=build/bin/ss-pingpong
DUMP=build/tests/cg-dump
CLONE=build/tests/clone-into
d=$(mktemp -d -t ss-cgroup.XXXXXX)
pids=()
mounted=

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	# what the workloads left (a sleep of a/sub's loop) goes too
	for i in $(seq 30); do
		[ -n "$base" ] && [ -d "$base" ] || break
		for c in "$base/a/sub" "$base/a" "$base/b" "$base/c" "$base/e/new" "$base/e"; do
			[ -d "$c" ] && xargs -r kill -9 < "$c/cgroup.procs" 2>/dev/null
		done
		rmdir "$base/a/sub" "$base/a" "$base/b" "$base/c" "$base/e/new" "$base/e" "$base" 2>/dev/null
		sleep 0.1
	done
	[ -n "$base" ] && [ -d "$base" ] && echo "cannot remove $base" >&2
	[ -n "$mounted" ] && umount "$mounted"
	rm -rf "$d"
}
trap cleanup EXIT

mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -z "$mnt" ]; then
	mkdir "$d/cg2" && mount -t cgroup2 none "$d/cg2" && mnt=$d/cg2 && mounted=$d/cg2
fi
if [ -z "$mnt" ]; then
	fail cgroup2_mount "no cgroup2 hierarchy and none could be mounted"
	summary
	exit
fi
base=$mnt/ss-test.$$
rel=/${base#"$mnt"/}
if ! mkdir -p "$base/a/sub" "$base/b" "$base/c" "$base/e"; then
	fail cgroup_mkdir "cannot make cgroups under $mnt (this test needs root)"
	base=
	summary
	exit
fi

# last_prog: the newest BPF program's id now (ids only grow)
last_prog() { bpftool prog show 2>/dev/null | awk -F: '/^[0-9]+:/ { id = $1 } END { print id + 0 }'; }
# wait_attached NAME AFTER: until a BPF program NAME loaded after program
# AFTER is attached, not only loaded (a loaded program's link comes later;
# bpftool cuts names to 15 characters). A recorder that just ended may
# still be listed with its links for a while: its programs are older.
wait_attached() {
	local id end=$((SECONDS + 20))
	while [ "$SECONDS" -lt "$end" ]; do
		id=$(bpftool prog show 2>/dev/null |
			awk -v n="$1" -v after="$2" '$0 ~ " name " n && $1 + 0 > after { sub(":", "", $1); print $1; exit }')
		[ -n "$id" ] && bpftool link show 2>/dev/null | grep -q " prog $id\b" && return
		sleep 0.05
	done
	fail "${1}_attached" "no program $1 newer than $2 attached within 20 s: $(bpftool prog show 2>/dev/null | grep -c ' name ') programs loaded"
	return 1
}

# start CGROUP ARGS...: a ping-pong that joins CGROUP first; $! its pid
start() {
	local cg=$1
	shift
	(echo $BASHPID > "$cg/cgroup.procs" && exec "$PP" --switches 100000000 "$@" >/dev/null) &
	pids+=($!)
}

start "$base/a" --cpu 0
pa=$!
start "$base/b" --cpu 1
pb=$!
# a/sub: a shell forking a sleep now and then (children born in a subcgroup)
(echo $BASHPID > "$base/a/sub/cgroup.procs" && while :; do sleep 0.05; done) &
pids+=($!)
psub=$!
sleep 0.3
threads() { tr '\n' ' ' < "$1/cgroup.threads"; }
ta=$(threads "$base/a")
tb=$(threads "$base/b")
expect_eq workloads_in_their_cgroups "$(wc -w <<<"$ta $tb")" 6

# ---- one cgroup: only its tasks
$SS record -q --cgroup "$rel/a" -d 1 -o "$d/a.trace"
expect_eq record_one_cgroup_exits_0 "$?" 0
$DUMP "$d/a.trace" > "$d/a.txt"
# every switch has a task of a (or a/sub) on one side; every wakeup is of one
ina=" $ta $(threads "$base/a/sub") "
awk -v set="$ina" -v tb=" $tb " '
	function in_a(t) { return index(set, " " t " ") > 0 || sub_t[t] }
	$2 == "cgroup" && $4 != 0 { sub_t[$4] = 1; next }
	$2 == "switch" { n++; if (!in_a($3) && !in_a($4)) bad++ }
	$2 == "wake" { w++; if (!in_a($3)) badw++ }
	$2 == "wake" || $2 == "task" { if (index(tb, " " $3 " ")) inb++ }
	END { printf "%d %d %d %d %d\n", (n > 1000), bad, (w > 100), badw, inb }' \
	"$d/a.txt" > "$d/a.sum"
read -r many bad wakes badw inb < "$d/a.sum"
expect_eq one_cgroup_switches_recorded "$many" 1
expect_eq one_cgroup_no_switch_without_its_task "$bad" 0
expect_eq one_cgroup_wakeups_recorded "$wakes" 1
expect_eq one_cgroup_no_wakeup_of_another_task "$badw" 0
expect_eq one_cgroup_other_cgroup_absent "$inb" 0
# descendants: a/sub's sleep children were born there and are traced
nfork=$(awk '$2 == "cgroup" && $4 != 0 && int($6 / 4) % 2 { n++ } END { print n + 0 }' "$d/a.txt")
check subcgroup_children_recorded test "$nfork" -ge 2
check name_record_of_chosen grep -q "cgroup [0-9]* 0 0 33 $rel/a\$" "$d/a.txt"

# ---- both: report per cgroup, by name
$SS record -q --cgroup "$base/a" --cgroup "$rel/b" -d 1 -o "$d/ab.trace"
expect_eq record_two_cgroups_exits_0 "$?" 0
$SS report --json "$d/ab.trace" > "$d/ab.json"
sw() { jq --arg p "$1" '[.cgroups[] | select(.path == $p)][0].switches // 0' "$d/ab.json"; }
waits() { jq --arg p "$1" '[.cgroups[] | select(.path == $p)][0].runqueue_latency.count // 0' "$d/ab.json"; }
check report_json_cgroup_a_switches test "$(sw "$rel/a")" -gt 1000
check report_json_cgroup_b_switches test "$(sw "$rel/b")" -gt 1000
check report_json_cgroup_a_waits test "$(waits "$rel/a")" -gt 100
check report_json_cgroup_b_waits test "$(waits "$rel/b")" -gt 100
check report_json_sub_cgroup test "$(sw "$rel/a/sub")" -ge 1
expect_eq report_json_only_chosen "$(jq '[.cgroups[].path | select(startswith("'"$rel"'/") | not)] | length' "$d/ab.json")" 0
$SS report "$d/ab.trace" > "$d/ab.txt"
check report_text_per_cgroup grep -q "^PER CGROUP" "$d/ab.txt"
check report_text_names_a grep -q "^$rel/a  " "$d/ab.txt"
check report_text_names_b grep -q "^$rel/b  " "$d/ab.txt"

# ---- a task moved into the chosen cgroup mid-recording
start "$base/c" --cpu 1
pc=$!
sleep 0.2
tc=$(threads "$base/c")
newest=$(last_prog)
$SS record -q --cgroup "$rel/a" -d 2 -o "$d/mv.trace" &
rec=$!
wait_attached on_cgroup_attac "$newest"
sleep 0.2
echo "$pc" > "$base/a/cgroup.procs"
wait $rec
expect_eq record_with_move_exits_0 "$?" 0
$DUMP "$d/mv.trace" > "$d/mv.txt"
awk -v set=" $tc " -v pc="$pc" '
	function in_c(t) { return index(set, " " t " ") > 0 }
	$2 == "cgroup" && $4 == pc && int($6 / 8) % 2 && !mv { mv = $1; next }
	# a switch between its two threads, or a wakeup of one: c traced
	($2 == "switch" && in_c($3) && in_c($4)) || ($2 == "wake" && in_c($3)) {
		if (!mv) early[++ne] = $1; else after++ }
	# the kernel reports the move once done: the moved threads may run in
	# the cgroup a few us before the record (1 ms allowed)
	END { for (i = 1; i <= ne; i++) if (!mv || early[i] < mv - 1000000) before++ }
	END { printf "%d %d %d\n", (mv > 0), before, (after > 100) }' "$d/mv.txt" > "$d/mv.sum"
read -r moved before after < "$d/mv.sum"
expect_eq moved_task_move_recorded "$moved" 1
expect_eq moved_task_absent_before_move "$before" 0
expect_eq moved_task_present_after_move "$after" 1

# ---- tasks of a few ms born and gone while the recorder starts: each
# switch traced has a task the trace names in the cgroup (the probes
# attached one by one once let such a task's switches in unnamed: 6
# switches in 20 recordings). The ping-pongs end first: they would slow
# each start here to seconds.
kill "$pa" "$pb" "$pc" "$psub" 2>/dev/null
(echo $BASHPID > "$base/e/cgroup.procs" &&
	while :; do /bin/sleep 0.002 & /bin/sleep 0.003 & wait; done) &
pids+=($!)
sleep 0.2
unnamed=0 brief=0
for i in $(seq 20); do
	$SS record -q --cgroup "$rel/e" -d 0.1 -o "$d/e.trace" || break
	$DUMP "$d/e.trace" > "$d/e.txt"
	read -r u n < <(awk '$2 == "cgroup" && $4 != 0 { in_e[$4] = 1 }
		$2 == "switch" { if (!in_e[$3] && !in_e[$4]) u++; else n++ }
		END { print u + 0, n + 0 }' "$d/e.txt")
	unnamed=$((unnamed + u)) brief=$((brief + n))
done
expect_eq brief_tasks_recorded_in_every_run "$i $(( brief > 200 ))" "20 1"
expect_eq brief_tasks_switches_all_named "$unnamed" 0

# ---- a cgroup made during the recording, entered by clone3's
# CLONE_INTO_CGROUP (no path from the kernel): the trace names it
newest=$(last_prog)
$SS record -q --cgroup "$rel/e" -d 2 -o "$d/new.trace" &
rec=$!
wait_attached on_cgroup_attac "$newest"
sleep 0.3
mkdir "$base/e/new"
child=$($CLONE "$base/e/new")
expect_eq clone_into_cgroup_runs "$?" 0
wait $rec
$SS report --json "$d/new.trace" > "$d/new.json"
new=$(jq -c --arg p "$rel/e/new" '[.cgroups[] | select(.path == $p)][0] // {}' "$d/new.json")
check new_cgroup_named_with_its_switches test "$(jq '.switches // 0' <<<"$new")" -ge 1
expect_eq new_cgroup_task_named "$($DUMP "$d/new.trace" | awk -v c="$child" '$2 == "cgroup" && $4 == c && int($6 / 4) % 2 { n++ } END { print n + 0 }')" 1

# ---- bad paths, documented exit codes
$SS record -q --cgroup "$rel/none" -d 1 -o "$d/x.trace" 2>"$d/err"
expect_eq no_such_cgroup_exit_2 "$?" 2
check no_such_cgroup_says_so grep -q "no such cgroup" "$d/err"
$SS record -q --cgroup "$d" -d 1 -o "$d/x.trace" 2>"$d/err"
expect_eq not_a_cgroup_exit_2 "$?" 2
check not_a_cgroup_says_so grep -q "not a cgroup v2" "$d/err"
v1=$(awk '$3 == "cgroup" { print $2; exit }' /proc/mounts)
if [ -n "$v1" ]; then
	$SS record -q --cgroup "$v1" -d 1 -o "$d/x.trace" 2>"$d/err"
	expect_eq cgroup_v1_exit_2 "$?" 2
	check cgroup_v1_says_so grep -q "cgroup v1" "$d/err"
fi
$SS record -q -b kmod --cgroup "$rel/a" -d 1 -o "$d/x.trace" 2>"$d/err"
expect_eq kmod_cgroup_exit_2 "$?" 2
args=()
for i in $(seq 17); do args+=(--cgroup "$rel/a"); done
$SS record -q "${args[@]}" -d 1 -o "$d/x.trace" 2>"$d/err"
expect_eq seventeen_cgroups_exit_2 "$?" 2
check no_file_after_bad_path test ! -s "$d/x.trace"

summary
