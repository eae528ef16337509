#!/bin/bash
# The CLI, built with ASan and UBSan, on real recorded traces, intact and
# damaged in every way the reader knows: every reading command and every
# export format gives its documented exit code and message, never a crash,
# a sanitizer report or a silent loss.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/integration/damage_lib.sh
SS=build/bin/switchscope
ASAN=build/asan/bin/switchscope
d=$(mktemp -d -t ss-damage.XXXXXX)
trap 'rm -rf "$d"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

# A coroutine workload with syscalls recorded: verify has something to judge.
if ! $SS record -q --syscalls -o "$d/good.trace" -- \
	build/bin/coro-pingpong --threads 2 --switches 20000 >/dev/null; then
	fail record "could not record the trace to damage"
	summary
	exit
fi
size=$(stat -c %s "$d/good.trace")

# Every reader of a trace. verify judges a damaged trace inconclusive (9).
cmds=("report" "report --json" "timehist" "verify --trace"
      "export -q -f html -o $d/out.html" "export -q -f perfetto -o $d/out.pftrace"
      "export -q -f json -o $d/out.json")

# run NAME WANT-CODE WANT-STDERR-TEXT FILE
run() {
	local name=$1 want=$2 text=$3 file=$4 rc cmd w
	for cmd in "${cmds[@]}"; do
		w=$want
		[ "${cmd%% *}" = verify ] && [ "$want" = 7 ] && w=9
		# shellcheck disable=SC2086
		timeout 60 "$ASAN" $cmd "$file" >"$d/out" 2>"$d/err"
		rc=$?
		if grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$d/err"; then
			fail "$name/${cmd%% -o*}" "sanitizer: $(grep -m1 -E 'Sanitizer|runtime error' "$d/err")"
		elif [ "$rc" != "$w" ]; then
			fail "$name/${cmd%% -o*}" "exit $rc, want $w: $(head -c 300 "$d/err")"
		elif [ -z "$text" ] && [ -s "$d/err" ]; then
			fail "$name/${cmd%% -o*}" "intact, yet stderr says: $(head -c 300 "$d/err")"
		elif [ -n "$text" ] && ! grep -q -- "$text" "$d/err"; then
			fail "$name/${cmd%% -o*}" "stderr lacks '$text': $(head -c 300 "$d/err")"
		else
			pass "$name/${cmd%% -o*}"
		fi
	done
}

run intact_trace 0 "" "$d/good.trace"
expect_eq intact_verify_passes "$(grep -c 'VERDICT: PASS' <("$ASAN" verify --trace "$d/good.trace" 2>&1))" 1

# A real trace of format 1.0 (recorded before 2.0) still reads, clean.
v1=tests/data/v1-pingpong.trace
for cmd in "${cmds[@]}"; do
	[ "${cmd%% *}" = verify ] && continue
	# shellcheck disable=SC2086
	"$ASAN" $cmd "$v1" >/dev/null 2>"$d/err"
	rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$d/err" ]; then
		pass "format_1_0_trace/${cmd%% -o*}"
	else
		fail "format_1_0_trace/${cmd%% -o*}" "exit $rc: $(head -c 300 "$d/err")"
	fi
done

# The chunks of the intact trace: an event chunk in the middle to damage.
chunks "$d/good.trace" >"$d/chunks"
read -r ev evlen < <(awk '$2 == 3 { e[n++] = $1 " " $3 } END { print e[int(n / 2)] }' "$d/chunks")
meta=$(awk '$2 == 1 { print $1; exit }' "$d/chunks")

cp "$d/good.trace" "$d/t"; truncate -s $((size / 2)) "$d/t"
run truncated_half 7 "file cut short" "$d/t"

cp "$d/good.trace" "$d/t"; truncate -s 100 "$d/t"
run truncated_in_metadata 6 "cut short at byte 100" "$d/t"

cp "$d/good.trace" "$d/t"; truncate -s 7 "$d/t"
run truncated_in_file_header 6 "too short" "$d/t"

cp "$d/good.trace" "$d/t"; printf 'XXXXXXXX' | dd of="$d/t" conv=notrunc status=none
run bad_magic 6 "not a switchscope trace" "$d/t"

cp "$d/good.trace" "$d/t"; printf '\x09\x00' | dd of="$d/t" bs=1 seek=8 conv=notrunc status=none
run newer_major 6 "newer switchscope" "$d/t"

cp "$d/good.trace" "$d/t"
printf 'garbage!garbage!' | dd of="$d/t" bs=1 seek=$((size / 2)) conv=notrunc status=none
run corrupt_middle 7 "damaged from offset" "$d/t"

cut_bytes "$d/good.trace" "$ev" "$evlen" >"$d/t"
run chunk_removed 7 "1 chunks missing" "$d/t"

dup_bytes "$d/good.trace" "$ev" "$evlen" >"$d/t"
run chunk_duplicated 7 "1 duplicate chunks" "$d/t"

cp "$d/good.trace" "$d/t"; poke "$d/t" $((ev + 4)) 7	# type 3 -> 7
run chunk_type_bit_flipped 7 "1 bad chunks" "$d/t"

# Size pushed past the end by one bit: the rest, trailer included, reads.
cp "$d/good.trace" "$d/t"; poke "$d/t" $((ev + 11)) $(($(peek "$d/t" $((ev + 11))) | 2))
run chunk_size_past_end 7 "1 bad chunks, 0 bad records)" "$d/t"
"$ASAN" report "$d/t" >/dev/null 2>"$d/err"
if grep -q "no trailer" "$d/err"; then
	fail size_past_end_keeps_the_trailer "$(cat "$d/err")"
else
	pass size_past_end_keeps_the_trailer
fi

# A META with a valid CRC claiming 65,537 CPUs (offset 4 of the payload).
cp "$d/good.trace" "$d/t"; set_u32 "$d/t" "$meta" 4 65537
run implausible_ncpu 6 "ncpu 65537" "$d/t"

head -c $((size / 3)) /dev/urandom > "$d/rand"
run random_bytes 6 "not a switchscope trace" "$d/rand"

run missing_file 2 "cannot open" "$d/nonexistent"
run directory 2 "a directory, not a trace file" "$d"
mkfifo "$d/fifo"
run fifo_without_writer 2 "a FIFO, not a trace file" "$d/fifo"
summary
