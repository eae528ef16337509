#!/bin/bash
# The coro USDT probes as any consumer finds them: readelf -n must list
# every probe of the ABI (docs/PROBES.md) with its semaphore and argument
# count, in the shared library and in a statically linked program; every
# probe site must be sys/sdt.h's 1-byte nop 90 (the 5-byte nop 0f 1f 44 00
# 00 in the benchmark's nop5 build: a fork child dies on Linux 6.18, see
# user/coro/probes.h); and the semaphores must live in the .probes section.
. "$(dirname "$0")/../lib.sh"
B=${B:-build}

# probe name and number of arguments
declare -A want=([create]=3 [switch]=4 [park]=2 [ready]=2 [exit]=1 [stats]=3 [ring]=2)

# check_notes NAME FILE NOP_HEX
check_notes() {
	local name=$1 file=$2 nop=$3 notes p loc sem nargs bytes bad=0 seen
	if [ ! -r "$file" ]; then
		fail "$name" "$file missing"
		return
	fi
	notes=$(readelf -n "$file" | awk '
		/Provider:/ { prov = $2 }
		/Name:/ { name = $2 }
		/Location:/ { loc = $2; sub(",", "", loc); sem = $6 }
		/Arguments:/ { n = NF - 1; if (prov == "coro") print name, loc, sem, n }')
	for p in "${!want[@]}"; do
		seen=$(awk -v p="$p" '$1 == p' <<<"$notes" | wc -l)
		if [ "$seen" = 0 ]; then
			fail "$name: coro:$p" "no stapsdt note in $file"
			bad=1
		fi
	done
	while read -r p loc sem nargs; do
		[ -z "$p" ] && continue
		if [ -z "${want[$p]}" ]; then
			fail "$name: coro:$p" "probe not in the ABI"
			bad=1
		elif [ "$nargs" != "${want[$p]}" ]; then
			fail "$name: coro:$p" "$nargs arguments, ABI says ${want[$p]}"
			bad=1
		fi
		if [ "$((sem))" = 0 ]; then
			fail "$name: coro:$p" "no semaphore"
			bad=1
		fi
		bytes=$(objdump -d --start-address="$loc" --stop-address=$((loc + ${#nop} / 2)) "$file" |
			awk -F'\t' '/^ *[0-9a-f]+:/ { gsub(/ /, "", $2); printf "%s", $2 }')
		if [ "$bytes" != "$nop" ]; then
			fail "$name: coro:$p at $loc" "site is '$bytes', expected '$nop'"
			bad=1
		fi
	done <<<"$notes"
	[ "$bad" = 0 ] && pass "$name: $(wc -l <<<"$notes") probe sites, semaphores set, nops $nop"
}

check_semaphore_section() {
	local name=$1 file=$2 s sec bad=0
	for s in create switch park ready exit stats ring; do
		sec=$(objdump -t "$file" | awk -v s="coro_${s}_semaphore" '$NF == s {
			for (i = 2; i < NF; i++) if ($i ~ /^\./ && $i != ".hidden") { print $i; exit } }')
		if [ "$sec" != ".probes" ]; then
			fail "$name: coro_${s}_semaphore" "in section '$sec', expected .probes"
			bad=1
		fi
	done
	[ "$bad" = 0 ] && pass "$name: semaphores in .probes"
}

check_notes "libcoro.so" "$B/lib/libcoro.so" 90
check_notes "coro-pingpong" "$B/bin/coro-pingpong" 90
check_notes "coro-pingpong-nop5" "$B/tests/coro/coro-pingpong-nop5" 0f1f440000
check_semaphore_section "libcoro.so" "$B/lib/libcoro.so"
check_semaphore_section "coro-pingpong" "$B/bin/coro-pingpong"
summary
