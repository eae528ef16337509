#!/bin/sh
# record --cgroup on the guest's kernel (6.1: another struct cgroup than
# the host's, read through CO-RE): two cgroups, a ping-pong in each; the
# trace of one holds only its process, report names both.
. tests/lib.sh
ss=build/bin/switchscope
pp=build/bin/ss-pingpong
tmp=${TMPDIR:-/tmp}/ss-cg.$$
mnt=$tmp/cg2
mkdir -p "$mnt"
trap 'kill $pa $pb 2>/dev/null; wait; rmdir "$mnt/ss/a" "$mnt/ss/b" "$mnt/ss"; umount "$mnt"; rm -rf "$tmp"' EXIT
if ! mount -t cgroup2 none "$mnt" || ! mkdir -p "$mnt/ss/a" "$mnt/ss/b"; then
	fail cgroup2_mount "cannot mount cgroup2 or make cgroups"
	summary
	exit
fi
sh -c "echo \$\$ > $mnt/ss/a/cgroup.procs && exec $pp --switches 100000000 --no-pin >/dev/null" &
pa=$!
sh -c "echo \$\$ > $mnt/ss/b/cgroup.procs && exec $pp --switches 100000000 --no-pin >/dev/null" &
pb=$!
sleep 1

$ss record -q --cgroup ss/a -d 2 -o "$tmp/a.trace"
expect_eq record_one_cgroup_exits_0 $? 0
$ss report -n 0 "$tmp/a.trace" > "$tmp/a.txt"
procs() { sed -n '/^PER PROCESS/,/^$/p' "$1" | awk '$1 ~ /^[0-9]+$/ { print $1 }' | tr '\n' ' '; }
expect_eq one_cgroup_only_its_process "$(procs "$tmp/a.txt")" "$pa "

$ss record -q --cgroup ss/a --cgroup "$mnt/ss/b" -d 2 -o "$tmp/ab.trace"
expect_eq record_two_cgroups_exits_0 $? 0
$ss report "$tmp/ab.trace" > "$tmp/ab.txt"
sw() { awk -v p="$1" '$1 == p { print $3 }' "$tmp/ab.txt"; }
check two_cgroups_a_switches test "$(sw /ss/a)" -gt 100
check two_cgroups_b_switches test "$(sw /ss/b)" -gt 100
summary
