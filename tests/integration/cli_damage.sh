#!/bin/bash
# The CLI, built with ASan and UBSan, on real recorded traces, intact and
# damaged in every way the reader knows: every reading command and every
# export format gives its documented exit code and message, never a crash,
# a sanitizer report or a silent loss. Chunk damage is done to a compressed
# trace (the default) and to an uncompressed one; a compressed chunk is
# damaged inside too.
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
$SS record -q --syscalls --compress=none -o "$d/plain.trace" -- \
	build/bin/coro-pingpong --threads 2 --switches 20000 >/dev/null
# --compress: what each value writes, and what is refused (exit 2).
types() { chunks "$1" | awk '$2 == 3 || $2 == 6 { print $2 }' | sort -u | tr '\n' ' '; }
expect_eq record_compresses_by_default "$(types "$d/good.trace")" "6 "
expect_eq record_compress_none_writes_plain_chunks "$(types "$d/plain.trace")" "3 "
$SS record -q --compress=zstd:19 -o "$d/z19.trace" -- build/bin/ss-pingpong --switches 2000
expect_eq record_compress_zstd_19 "$(types "$d/z19.trace")" "6 "
for bad in lz4 zstd:0 zstd:20 zstd: ZSTD; do
	$SS record -q --compress=$bad -o "$d/bad.trace" -- true 2>/dev/null
	expect_eq "record_refuses_compress_$bad" $? 2
done

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

# A trace of format 1.0 still reads, clean: a real recording rewritten
# with the 1.0 chunk headers (tests/data/README.md).
v1=$d/v1.trace
$SS record -q --compress=none -o "$d/v2.trace" -- build/bin/ss-pingpong --switches 50
to_v1 "$d/v2.trace" "$v1"
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

# damage_chunks TAG TRACE: chunk damage to TRACE, names prefixed by TAG.
# Sets ev/evlen (an event chunk in the middle) and meta.
damage_chunks() {
	local tag=$1 good=$2 size
	size=$(stat -c %s "$good")
	chunks "$good" >"$d/chunks"
	read -r ev evlen < <(awk '$2 == 3 || $2 == 6 { e[n++] = $1 " " $3 } END { print e[int(n / 2)] }' "$d/chunks")
	meta=$(awk '$2 == 1 { print $1; exit }' "$d/chunks")

	cp "$good" "$d/t"; truncate -s $((size / 2)) "$d/t"
	run "$tag"truncated_half 7 "file cut short" "$d/t"

	cp "$good" "$d/t"; truncate -s 100 "$d/t"
	run "$tag"truncated_in_metadata 6 "cut short at byte 100" "$d/t"

	cp "$good" "$d/t"; truncate -s 7 "$d/t"
	run "$tag"truncated_in_file_header 6 "too short" "$d/t"

	cp "$good" "$d/t"; printf 'XXXXXXXX' | dd of="$d/t" conv=notrunc status=none
	run "$tag"bad_magic 6 "not a switchscope trace" "$d/t"

	cp "$good" "$d/t"; printf '\x09\x00' | dd of="$d/t" bs=1 seek=8 conv=notrunc status=none
	run "$tag"newer_major 6 "newer switchscope" "$d/t"

	cp "$good" "$d/t"
	printf 'garbage!garbage!' | dd of="$d/t" bs=1 seek=$((size / 2)) conv=notrunc status=none
	run "$tag"corrupt_middle 7 "damaged from offset" "$d/t"

	cut_bytes "$good" "$ev" "$evlen" >"$d/t"
	run "$tag"chunk_removed 7 "1 chunks missing" "$d/t"

	dup_bytes "$good" "$ev" "$evlen" >"$d/t"
	run "$tag"chunk_duplicated 7 "1 duplicate chunks" "$d/t"

	cp "$good" "$d/t"; poke "$d/t" $((ev + 4)) 7	# type 3 -> 7
	run "$tag"chunk_type_bit_flipped 7 "1 bad chunks" "$d/t"

	# Size pushed past the end by one bit: the rest, trailer included, reads.
	cp "$good" "$d/t"; poke "$d/t" $((ev + 11)) $(($(peek "$d/t" $((ev + 11))) | 2))
	run "$tag"chunk_size_past_end 7 "1 bad chunks, 0 bad records)" "$d/t"
	"$ASAN" report "$d/t" >/dev/null 2>"$d/err"
	if grep -q "no trailer" "$d/err"; then
		fail "$tag"size_past_end_keeps_the_trailer "$(cat "$d/err")"
	else
		pass "$tag"size_past_end_keeps_the_trailer
	fi

}

damage_chunks "" "$d/good.trace"
expect_eq compressed_chunk_damaged "$(awk -v o="$ev" '$1 == o { print $2 }' "$d/chunks")" 6
# Inside a compressed chunk (ev, of type 6): struct ss_zchunk is its
# payload's first 16 bytes (usize, csize, codec, pad), the frame follows.
usize=$(u32 "$d/good.trace" $((ev + 32)))
cp "$d/good.trace" "$d/t"; at=$((ev + 48 + (evlen - 48) / 2))
poke "$d/t" $at $(($(peek "$d/t" $at) ^ 16))
run zstd_payload_bit_flipped 7 "1 bad chunks, 0 bad records)" "$d/t"
# The same bit with both CRCs made to match: the frame's checksum stands.
cp "$d/good.trace" "$d/t"; off=$(((evlen - 48) / 2 & ~3))
set_u32 "$d/t" "$ev" $((16 + off)) $(($(u32 "$d/t" $((ev + 48 + off))) ^ 16))
run zstd_payload_bit_flipped_crc_fixed 7 "1 bad chunks, 0 bad records)" "$d/t"
cp "$d/good.trace" "$d/t"; set_u32 "$d/t" "$ev" 0 $((usize + 8))
run zstd_usize_lies 7 "1 bad chunks, 0 bad records)" "$d/t"
cp "$d/good.trace" "$d/t"; set_u32 "$d/t" "$ev" 0 $((1 << 30))
run zstd_bomb_1_gib 7 "1 bad chunks, 0 bad records)" "$d/t"
cp "$d/good.trace" "$d/t"; set_u32 "$d/t" "$ev" 4 $(($(u32 "$d/t" $((ev + 36))) - 1))
run zstd_csize_lies 7 "1 bad chunks, 0 bad records)" "$d/t"

damage_chunks plain_ "$d/plain.trace"

# A META with a valid CRC claiming 65,537 CPUs (offset 4 of the payload).
cp "$d/good.trace" "$d/t"; set_u32 "$d/t" "$meta" 4 65537
run implausible_ncpu 6 "ncpu 65537" "$d/t"

# A recorder SIGKILLed in the middle of a busy recording: its compressed
# chunks read up to the last whole one (no trailer: exit 7).
$SS record -q -o "$d/k.trace" -- build/bin/ss-pingpong --switches 100000000 --cpu 0 \
	>/dev/null 2>&1 &
rec=$!
sleep 2
wl=$(pgrep -P $rec)	# the workload outlives its recorder: ended by its pid
kill -KILL $rec
wait $rec 2>/dev/null
[ -n "$wl" ] && kill -KILL $wl
nz=$(chunks "$d/k.trace" | awk '$2 == 6' | wc -l)
"$ASAN" report "$d/k.trace" >"$d/out" 2>"$d/err"
rc=$?
sw=$(awk '$1 == "total" { print $2; exit }' "$d/out")
if [ "$rc" = 7 ] && [ "$nz" -gt 0 ] && [ "${sw:-0}" -gt 1000 ] && grep -q "no trailer" "$d/err"; then
	pass "sigkilled_recorder_left_a_readable_compressed_trace ($nz compressed chunks, $sw switches)"
else
	fail sigkilled_recorder_left_a_readable_compressed_trace "exit $rc, $nz compressed chunks, ${sw:-no} switches: $(head -c 300 "$d/err")"
fi

head -c $(($(stat -c %s "$d/good.trace") / 3)) /dev/urandom > "$d/rand"
run random_bytes 6 "not a switchscope trace" "$d/rand"

run missing_file 2 "cannot open" "$d/nonexistent"
run directory 2 "a directory, not a trace file" "$d"
mkfifo "$d/fifo"
run fifo_without_writer 2 "a FIFO, not a trace file" "$d/fifo"
summary
