# shellcheck shell=bash
# Sourced by the benchmarks that compare configurations side by side.
# bench_rounds DIR ROUNDS CONFIG...: runs each run_CONFIG function in turn,
# ROUNDS times over (alternating, so that a busy moment of the shared
# machine hits every configuration alike), and sets m_CONFIG to the fastest
# value each printed (noise only ever adds time). Values land in
# DIR/CONFIG.vals.
bench_rounds() {
	local dir=$1 rounds=$2 i c v
	shift 2
	for i in $(seq "$rounds"); do
		for c in "$@"; do
			v=$("run_$c")
			[ -n "$v" ] && echo "$v" >> "$dir/$c.vals"
		done
	done
	for c in "$@"; do
		eval "m_$c=$(sort -n < "$dir/$c.vals" | head -n 1)"
	done
}
