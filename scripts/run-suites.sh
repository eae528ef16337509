#!/bin/bash
# Run test suites and add up their results. Each suite is an executable that
# ends its output with a line "N passed, N failed"; a suite that exits
# without that line, or with a non-zero status and no failure counted,
# counts as one failure; so does one that runs longer than SS_SUITE_TIMEOUT
# seconds (default 1200): a hang fails the check instead of stalling it.
# Prints each suite's time, the slowest ones, and the grand total in the
# same form.
set -u
limit=${SS_SUITE_TIMEOUT:-1200}
total_pass=0
total_fail=0
failed_suites=()
times=()
for suite in "$@"; do
	name=${suite#build/}
	echo "=== $name"
	out=$(mktemp)
	t0=$SECONDS
	timeout --kill-after=10 "$limit" "$suite" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	echo "--- $name: $((SECONDS - t0)) s"
	times+=("$((SECONDS - t0)) $name")
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "FAIL $name: still running after ${limit}s: killed"
		total_fail=$((total_fail + 1))
		failed_suites+=("$name")
		rm -f "$out"
		continue
	fi
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	rm -f "$out"
	if [ -z "$line" ]; then
		echo "FAIL $name: exited with status $rc and no summary line"
		total_fail=$((total_fail + 1))
		failed_suites+=("$name")
		continue
	fi
	p=${line%% passed*}
	f=${line#*passed, }; f=${f%% failed*}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL $name: exited with status $rc"
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$f" != 0 ] && failed_suites+=("$name")
done
echo
echo "slowest suites (s):" $(printf '%s\n' "${times[@]}" | sort -rn | head -n 6 | tr '\n' ' ')
if [ "${#failed_suites[@]}" != 0 ]; then
	echo "suites with failures: ${failed_suites[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
