#!/bin/bash
# What the CLI does to the files it writes: an output that is not a regular
# file (a device node, a FIFO, a symbolic link) keeps its kind and is
# written in place, never replaced or removed; and whenever a recorder is
# killed, the file it leaves is a readable trace. Device nodes are made
# here with mknod (root): the real /dev is never touched.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
SS=build/bin/switchscope
d=$(mktemp -d -t ss-files.XXXXXX)
trap 'rm -rf "$d"' EXIT

# still_char NAME: $d/null is still the character device 1:3
still_char() {
	if [ -c "$d/null" ] && [ "$(stat -c %t:%T "$d/null")" = 1:3 ]; then
		pass "$1"
	else
		fail "$1" "$d/null is now: $(stat -c %F "$d/null" 2>&1)"
		rm -f "$d/null"
		mknod "$d/null" c 1 3
	fi
}

if ! $SS record -q -o "$d/t.trace" -- build/bin/ss-pingpong --switches 200 >/dev/null; then
	fail record "could not record a trace"
	summary
	exit
fi
if ! mknod "$d/null" c 1 3; then
	fail mknod "cannot make a device node (this test needs root)"
	summary
	exit
fi

for fmt in html perfetto json; do
	$SS export -q -f $fmt -o "$d/null" "$d/t.trace"
	expect_eq "export_${fmt}_to_device_exits_0" "$?" 0
	still_char "export_${fmt}_leaves_the_device_a_device"
done

$SS record -q -o "$d/null" -- /bin/true >/dev/null
expect_eq record_to_device_exits_0 "$?" 0
still_char record_leaves_the_device_a_device

# The backend fails to open (no module loaded): the recorder removes what
# it created, but not a device.
$SS record -q --backend kmod -o "$d/null" -- /bin/true >/dev/null 2>&1
still_char failed_record_leaves_the_device_a_device

$SS verify -o "$d/null" -- /bin/true >/dev/null 2>"$d/err"
expect_eq verify_to_device_is_a_usage_error "$?" 2
check verify_says_why grep -q "not a regular file" "$d/err"
still_char verify_leaves_the_device_a_device

$SS lab --quick -q -o "$d/null" >/dev/null 2>&1
still_char lab_leaves_the_device_a_device

# A FIFO is written in place: the reader at the other end gets the export.
mkfifo "$d/fifo"
cat "$d/fifo" >"$d/from_fifo" &
reader=$!
timeout 60 $SS export -q -f json -o "$d/fifo" "$d/t.trace"
expect_eq export_to_fifo_exits_0 "$?" 0
wait $reader
check export_to_fifo_keeps_the_fifo test -p "$d/fifo"
$SS export -q -f json -o "$d/t.json" "$d/t.trace"
check export_through_fifo_is_the_whole_export cmp -s "$d/from_fifo" "$d/t.json"

# A symbolic link (as /dev/stdout is) stays a link; its target gets the data.
ln -s "$d/target.json" "$d/link"
$SS export -q -f json -o "$d/link" "$d/t.trace"
check export_to_symlink_keeps_the_link test -L "$d/link"
check export_to_symlink_writes_its_target cmp -s "$d/target.json" "$d/t.json"

# A regular output is still replaced whole (written beside, renamed).
echo old >"$d/out.json"
$SS export -q -f json -o "$d/out.json" "$d/t.trace"
check export_replaces_a_regular_file cmp -s "$d/out.json" "$d/t.json"
check export_leaves_no_temporary test -z "$(find "$d" -name '*.tmp*')"

# A recorder killed at any moment (the probes loading included) leaves a
# trace that reads: exit 0 or 7 (no trailer), never 6 (not a trace).
for delay in 0.005 0.01 0.02 0.04 0.06 0.08 0.12 0.2; do
	rm -f "$d/k.trace"
	$SS record -q -o "$d/k.trace" -- sleep 1 >/dev/null 2>&1 &
	rec=$!
	sleep $delay
	kill -KILL $rec
	wait $rec 2>/dev/null
	if [ ! -e "$d/k.trace" ]; then
		pass "killed_after_${delay}s_left_no_file"
		continue
	fi
	$SS report "$d/k.trace" >/dev/null 2>"$d/err"
	rc=$?
	if [ $rc = 0 ] || [ $rc = 7 ]; then
		pass "killed_after_${delay}s_left_a_readable_trace ($(stat -c %s "$d/k.trace") bytes, exit $rc)"
	else
		fail "killed_after_${delay}s_left_a_readable_trace" "exit $rc: $(head -c 200 "$d/err")"
	fi
done
summary
