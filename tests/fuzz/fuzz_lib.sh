# Sourced by the tests/fuzz/run-fuzz*.sh scripts (after tests/lib.sh).
# fuzz_run NAME BINARY DIR SECS MAX_LEN TIMEOUT NOTE: run a libFuzzer
# target over DIR/corpus for SECS seconds; a crash, a leak, a sanitizer
# report or an artifact fails NAME (NOTE: what the PASS line adds).
fuzz_run() {
	local name=$1 bin=$2 dir=$3 secs=$4 max_len=$5 timeout=$6 note=$7 rc runs
	"$bin" -max_total_time="$secs" -max_len="$max_len" -timeout="$timeout" \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
		"$dir/corpus" >"$dir/fuzz.log" 2>&1
	rc=$?
	runs=$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$dir/fuzz.log" | grep -oE '[0-9]+$')
	if [ "$rc" = 0 ] && [ -z "$(ls -A "$dir/artifacts")" ]; then
		pass "${name}_${secs}s (${runs:-?} inputs${note:+, $note})"
	else
		fail "$name" "exit $rc; see $dir/fuzz.log and $dir/artifacts: $(grep -m3 -E 'ERROR|SUMMARY|runtime error' "$dir/fuzz.log")"
	fi
}
