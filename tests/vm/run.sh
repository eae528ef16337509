#!/bin/bash
# run.sh KERNEL INITRD OUTDIR TIMEOUT: boot KERNEL with INITRD in QEMU (TCG,
# 2 CPUs, 1 GiB), wait at most TIMEOUT seconds, and turn the guest's
# results into one test summary: each guest test's PASS/FAIL lines,
# prefixed with its name, then "N passed, N failed". A guest test that
# ends without a summary, a guest that does not finish (hung, crashed:
# killed at the timeout) and a kernel log with a BUG, oops or warning fail.
# The console goes to OUTDIR/console.log, the results to OUTDIR/results.log.
set -u
kernel=$1 initrd=$2 outdir=$3 limit=$4
qemu=${QEMU:-qemu-system-x86_64}
console=$outdir/console.log results=$outdir/results.log
pass=0 fail=0

ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }

for f in "$kernel" "$initrd"; do
	[ -r "$f" ] || { bad vm/setup "cannot read $f (make deps; make vm-test)"; finish; }
done
command -v "$qemu" >/dev/null || { bad vm/setup "$qemu not found (make deps)"; finish; }

mkdir -p "$outdir"
: >"$console"
: >"$results"
start=$(date +%s)
# One TCG thread for both vCPUs: with a thread per vCPU, QEMU 7.2 lets a
# vCPU run stale code while another patches kernel text (every tracepoint
# enabled or disabled is a static key flip), and the guest hangs in int3
# handling within a few dozen flips under load. Slower, but correct.
timeout --kill-after=10 "$limit" "$qemu" -accel tcg,thread=single -smp 2 -m 1G \
	-nodefaults -no-reboot -display none \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 loglevel=4" \
	-serial "file:$console" -serial "file:$results"
rc=$?
echo "vm: guest ran $(($(date +%s) - start)) s (qemu status $rc); console: $console"

# The guest's tty turns \n into \r\n.
tr -d '\r' <"$results" >"$results.txt"
if grep -q '^ss-vm: begin' "$results.txt"; then
	ok vm/boot
else
	bad vm/boot "no guest output within $limit s; end of $console:"
	tail -n 20 "$console" | sed 's/^/    /'
fi

name= saw_summary=0 p=0 f=0
while IFS= read -r line; do
	case $line in
	"=== exit "*)
		rest=${line#=== exit }
		status=${rest%% *}
		if [ "$saw_summary" = 0 ]; then
			bad "$name" "exited with status $status and no summary line"
		elif [ "$status" != 0 ] && [ "$f" = 0 ]; then
			bad "$name" "exited with status $status"
		fi
		name=
		;;
	"=== "*)
		name=${line#=== }
		name=${name##*/}
		saw_summary=0
		;;
	"PASS "* | "FAIL "*)
		[ -n "$name" ] || continue
		if [ "${line%% *}" = PASS ]; then
			ok "$name/${line#PASS }"
		else
			rest=${line#FAIL }
			case $rest in
			*": "*) bad "$name/${rest%%: *}" "${rest#*: }" ;;
			*) bad "$name/$rest" "see the lines above" ;;
			esac
		fi
		;;
	*" passed, "*" failed")
		[ -n "$name" ] || continue
		saw_summary=1
		p=${line%% passed*}
		f=${line#*passed, }
		f=${f%% failed*}
		;;
	*)
		[ -n "$name" ] && echo "  | $line"
		;;
	esac
done <"$results.txt"
[ -n "$name" ] && bad "$name" "did not finish (guest stopped or timed out)"

if grep -q '^ss-vm: end' "$results.txt"; then
	ok vm/finished
else
	bad vm/finished "the guest did not finish within $limit s (hung or crashed); end of $console:"
	tail -n 20 "$console" | sed 's/^/    /'
fi
if grep -E -n 'BUG:|Oops|WARNING:|general protection|Kernel panic|Call Trace:' "$console" >"$outdir/kernel-problems.txt"; then
	bad vm/kernel-log "the guest kernel reported problems:"
	head -n 20 "$outdir/kernel-problems.txt" | sed 's/^/    /'
else
	ok vm/kernel-log
fi
finish
