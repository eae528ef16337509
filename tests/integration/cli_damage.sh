#!/bin/bash
# The CLI, built with ASan and UBSan, on a real trace damaged in every way
# the reader knows: each gives its documented exit code and message, never
# a crash or a sanitizer report.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
SS=build/bin/switchscope
ASAN=build/asan/bin/switchscope
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

if ! $SS record -q -o "$d/good.trace" -- build/bin/ss-pingpong --switches 20000 >/dev/null; then
	fail record "could not record the trace to damage"
	summary
	exit
fi
size=$(stat -c %s "$d/good.trace")

# run NAME WANT-CODE WANT-STDERR-TEXT FILE
run() {
	local name=$1 want=$2 text=$3 file=$4 rc
	for cmd in report timehist; do
		"$ASAN" $cmd "$file" >"$d/out" 2>"$d/err"
		rc=$?
		if grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$d/err"; then
			fail "$name/$cmd" "sanitizer: $(grep -m1 -E 'Sanitizer|runtime error' "$d/err")"
		elif [ "$rc" != "$want" ]; then
			fail "$name/$cmd" "exit $rc, want $want: $(head -c 300 "$d/err")"
		elif ! grep -q "$text" "$d/err"; then
			fail "$name/$cmd" "stderr lacks '$text': $(head -c 300 "$d/err")"
		else
			pass "$name/$cmd"
		fi
	done
}

cp "$d/good.trace" "$d/t"
"$ASAN" report "$d/t" >/dev/null 2>"$d/err"
expect_eq intact_trace_reads_clean "$?" 0

cp "$d/good.trace" "$d/t"; truncate -s $((size / 2)) "$d/t"
run truncated_half 7 "file cut short" "$d/t"

cp "$d/good.trace" "$d/t"; truncate -s 100 "$d/t"
run truncated_in_metadata 6 "header is missing or corrupt" "$d/t"

cp "$d/good.trace" "$d/t"; truncate -s 7 "$d/t"
run truncated_in_file_header 6 "too short" "$d/t"

cp "$d/good.trace" "$d/t"; printf 'XXXXXXXX' | dd of="$d/t" conv=notrunc status=none
run bad_magic 6 "not a switchscope trace" "$d/t"

cp "$d/good.trace" "$d/t"; printf '\x09\x00' | dd of="$d/t" bs=1 seek=8 conv=notrunc status=none
run newer_major 6 "newer switchscope" "$d/t"

cp "$d/good.trace" "$d/t"
printf 'garbage!garbage!' | dd of="$d/t" bs=1 seek=$((size / 2)) conv=notrunc status=none
run corrupt_middle 7 "damaged from offset" "$d/t"

head -c $((size / 3)) /dev/urandom > "$d/rand"
run random_bytes 6 "not a switchscope trace" "$d/rand"

run missing_file 2 "cannot open" "$d/nonexistent"
summary
