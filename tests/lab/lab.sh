#!/bin/bash
# switchscope lab --quick --json: the structure of the result, every figure
# positive, the trace counts consistent with the workloads (kernel entries
# per coroutine switch = 0, process ping-pong = process-class switches,
# thread ping-pong = thread-class, tasks created as processes vs threads)
# and with `switchscope report --json` of the same trace files; then the
# same lab as an unprivileged user: figures measured, evidence missing and
# said why.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
SS=build/bin/switchscope
d=$(mktemp -d)
chmod 755 "$d"
trap 'rm -rf "$d"' EXIT

if [ "$(id -u)" != 0 ]; then
	fail needs_root "the lab test records with BPF and switches to an unprivileged user: run it as root"
	summary
	exit
fi

t0=$(date +%s%N)
$SS lab --quick --json -q -o "$d/root" >"$d/root.json" 2>"$d/root.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq quick_lab_exits_0 "$rc" 0
[ "$rc" = 0 ] || sed 's/^/  stderr: /' "$d/root.err" | head -20
# documented as about 10 s; the full lab takes about 30
if [ "$ms" -le 20000 ]; then pass "quick_lab_within_20s ($ms ms)"; else fail quick_lab_within_20s "took $ms ms"; fi
if ! jq -e . "$d/root.json" >/dev/null 2>&1; then
	fail json_is_valid "stdout is not JSON: $(head -c 300 "$d/root.json")"
	summary
	exit
fi
pass json_is_valid

# jq filter over the root run's JSON
J() { jq -r "$@" "$d/root.json"; }
# jq -e test over it; n("key") is a trace count that must exist
T() {
	local n=$1; shift
	if jq -e "def n(\$k): .[\$k] // error(\"no count \(\$k)\"); $*" "$d/root.json" >/dev/null 2>"$d/jq.err"; then
		pass "$n"
	else
		fail "$n" "false: $* $(cat "$d/jq.err")"
	fi
}
# a trace count of a row
C() { J --arg k "$2" ".rows[] | select(.id == \"$1\") | .trace.counts[\$k]"; }

expect_eq rows_in_table_order "$(J '[.rows[].id] | join(",")')" \
	"create,switch,kernel,pairs,affinity,memory,capacity,ipc"
T every_row_has_a_verdict_and_a_reason \
	'all(.rows[]; (.verdict | IN("confirmed", "refuted", "depends")) and (.reason | length > 20))'
# lines labelled "shared stack" have a coroutine figure only (no other
# kind has a shared-stack mode)
T every_line_has_process_thread_and_coroutine_figures \
	'all(.rows[].lines[] | select(.label | test("shared.stack") | not); .process != null and .thread != null and .coroutine != null)'
T time_and_count_figures_are_positive \
	'all(.rows[].lines[] | select(.label | test("shared.stack") | not) | select(.unit == "ns" or .unit == "count"); .process.value > 0 and .thread.value > 0 and .coroutine.value > 0)'
T memory_figures_are_positive_for_tasks \
	'all(.rows[].lines[] | select(.label | test("shared.stack") | not) | select(.unit == "bytes"); .process.value > 0 and .thread.value > 0 and .coroutine.value >= 0)'
T shared_stack_lines_have_only_a_coroutine_figure \
	'[.rows[].lines[] | select(.label | test("shared.stack"))] | length == 3 and all(.[]; .process == null and .thread == null and .coroutine.value > 0)'
T shared_stack_switch_line_is_in_the_switch_row \
	'.rows[] | select(.id == "switch") | .lines[] | select(.label == "shared-stack handover") | .coroutine.value > 0'
# the issue's target: an idle shared-stack coroutine costs far less than
# one on a private stack (its frames are a few hundred bytes)
T shared_stack_coroutine_resident_below_private \
	'.rows[] | select(.id == "memory") | ([.lines[] | select(.label == "resident, user") | .coroutine.value][0]) as $p | [.lines[] | select(.label == "shared stack, user") | .coroutine.value][0] < $p'
T shared_stack_fits_more_than_private \
	'.rows[] | select(.id == "capacity") | ([.lines[] | select(.label == "fit in the budget") | .coroutine.value][0]) as $p | [.lines[] | select(.label == "fit, shared stack") | .coroutine.value][0] > $p'
T memory_and_capacity_reasons_name_the_shared_stack \
	'[.rows[] | select(.id == "memory" or .id == "capacity") | .reason | test("shared.stack")] | all'
T coroutine_resident_memory_is_positive \
	'.rows[] | select(.id == "memory") | .lines[] | select(.label == "resident, user") | .coroutine.value > 0'
T medians_lie_within_their_runs \
	'all(.rows[].lines[] | .process, .thread, .coroutine | select(. != null); .min <= .value and .value <= .max and .runs >= 1)'
T ratios_match_the_figures \
	'all(.rows[].lines[] | select(.process.value > 0 and .thread.value > 0); ((.ratio.process_thread - .process.value / .thread.value) | fabs) < 0.01 * .ratio.process_thread)'
T cross_cpu_figures_are_labelled_vm_dependent \
	'.rows[] | select(.id == "affinity") | .lines[] | select(.label == "two CPUs") | .vm_dependent'
T every_row_has_trace_evidence \
	'all(.rows[]; .trace.available and (.trace.files | length > 0) and .trace.missing == null)'
T consistency_checks_all_passed '.checks.failed == 0 and .checks.total >= 20'
if [ "$(J '.checks.failed')" != 0 ]; then
	J '.rows[].checks[] | select(.ok | not) | "  failed check: \(.what): got \(.got)"'
fi
missing=0
for f in $(J '.rows[].trace.files[]' | sort -u); do
	[ -s "$d/root/$f" ] || { missing=1; fail trace_files_exist "$f"; }
done
[ "$missing" = 0 ] && pass trace_files_exist

# Kernel entries: none inside any coroutine switch, as verify checks; the
# control on glibc swapcontext is caught.
expect_eq coroutine_switch_kernel_entries_are_zero \
	"$(J '.rows[] | select(.id == "kernel") | .lines[] | select(.label == "kernel entries") | .coroutine.value')" 0
expect_eq verify_saw_no_kernel_entry "$(C kernel switch-coro.verify_kernel_entries)" 0
T verify_checked_every_coroutine_hand_over \
	'.rows[] | select(.id == "kernel") | .trace.counts | n("switch-coro.verify_switches") >= n("switch-coro.handovers")'
T swapcontext_control_is_caught_entering_the_kernel \
	'.rows[] | select(.id == "kernel") | .trace.counts | n("switch-coro-ucontext.verify_kernel_entries") > 0'
T process_and_thread_hand_overs_enter_the_kernel \
	'.rows[] | select(.id == "kernel") | .lines[] | select(.label == "kernel entries") | .process.value >= 1 and .thread.value >= 1'

# Switch classes: processes switch with an mm switch, threads without.
T process_ping_pong_shows_process_class_switches \
	'.rows[] | select(.id == "switch") | .trace.counts | n("switch-process.side_to_side_process") >= n("switch-process.handovers") / 2 and n("switch-process.side_to_side_thread") == 0'
T thread_ping_pong_shows_thread_class_switches \
	'.rows[] | select(.id == "switch") | .trace.counts | n("switch-thread.side_to_side_thread") >= n("switch-thread.handovers") / 2 and n("switch-thread.side_to_side_process") == 0'
T process_switches_flush_tlb_thread_switches_do_not \
	'.rows[] | select(.id == "switch") | .trace.counts | n("switch-process.side_tlb_flush") > 0 and n("switch-thread.side_tlb_flush") == 0'

# What the lab says about the TLB follows from this machine's CPU flags
# and the flush counts of its own trace, never from a canned sentence.
grep -qw pcid /proc/cpuinfo && pcid=true || pcid=false
grep -qw invpcid /proc/cpuinfo && invpcid=true || invpcid=false
grep -qw hypervisor /proc/cpuinfo && hyper=true || hyper=false
expect_eq lab_reads_pcid_from_this_cpu "$(J .cpu.pcid)" "$pcid"
expect_eq lab_reads_invpcid_from_this_cpu "$(J .cpu.invpcid)" "$invpcid"
expect_eq lab_reads_hypervisor_from_this_cpu "$(J .cpu.hypervisor)" "$hyper"
# the table's words, unwrapped
words=$(tr -s ' \n' '  ' <"$d/root/lab.txt")
sw=$(J '.rows[] | select(.id == "switch") | .reason + " " + .trace.text')
if [ "$pcid" = true ]; then
	case "$sw" in *"this CPU has PCID"*) pass switch_row_says_this_cpu_has_pcid ;;
	*) fail switch_row_says_this_cpu_has_pcid "$sw" ;; esac
	case "$words" in *"no PCID"*) fail lab_never_denies_pcid_this_cpu_has "$words" ;;
	*) pass lab_never_denies_pcid_this_cpu_has ;; esac
else
	case "$sw" in *"this CPU has no PCID"*) pass switch_row_says_this_cpu_has_no_pcid ;;
	*) fail switch_row_says_this_cpu_has_no_pcid "$sw" ;; esac
	case "$words" in *"has PCID"*|*"PCID keeps"*|*"PCID: no full flush"*|*"PCID kept"*)
		fail lab_never_credits_pcid_this_cpu_lacks "$words" ;;
	*) pass lab_never_credits_pcid_this_cpu_lacks ;; esac
fi
# "kept the TLB on K of N" only with K and N the trace's side-to-side counts
# and K the most; "flushed" counts likewise
n=$(C switch switch-process.side_tlb_flush)
full=$(C switch switch-process.side_tlb_flush_full)
part=$(C switch switch-process.side_tlb_flush_partial)
kept=$((n - full - part))
case "$sw" in
*"kept the TLB on "*)
	expect_eq switch_row_kept_count_is_the_traces "$(grep -o 'kept the TLB on [0-9]* of [0-9]*' <<<"$sw" | head -1)" \
		"kept the TLB on $kept of $n"
	if [ $((2 * kept)) -gt "$n" ]; then pass switch_row_says_kept_only_when_most_kept
	else fail switch_row_says_kept_only_when_most_kept "$kept of $n kept: $sw"; fi ;;
*"flushed the whole TLB"*)
	expect_eq switch_row_flush_count_is_the_traces "$(grep -o '[0-9]* of [0-9]* mm switches flushed the whole' <<<"$sw" | head -1)" \
		"$full of $n mm switches flushed the whole" ;;
*"yet all "*" mm switches flushed"*)
	expect_eq switch_row_all_flushed_count_is_the_traces "$(grep -o 'yet all [0-9]* mm switches' <<<"$sw" | head -1)" \
		"yet all $n mm switches" ;;
*) [ "$n" = 0 ] && pass switch_row_has_no_tlb_words_without_counts ||
	fail switch_row_names_the_flush_counts "$sw" ;;
esac
# a VM is named only when the CPU flags say hypervisor
case "$words" in *"is a VM"*|*"VM-dependent"*) vm_said=true ;; *) vm_said=false ;; esac
if [ "$hyper" = true ] || [ "$vm_said" = false ]; then pass lab_names_a_vm_only_under_a_hypervisor
else fail lab_names_a_vm_only_under_a_hypervisor "no hypervisor flag, yet: $words"; fi

# Tasks created: forks are processes, pthread_create threads, coroutines none.
n=$(C create create.count_each)
expect_eq forks_are_processes_in_the_trace "$(C create create.processes_created)" "$n"
expect_eq pthread_creates_are_threads_in_the_trace "$(C create create.threads_created)" "$n"
T coroutines_are_created_without_a_task \
	'.rows[] | select(.id == "switch") | .trace.counts | n("switch-coro.coro_create") >= 2 and n("switch-coro.threads_created") == 0 and n("switch-coro.processes_created") == 0'

# The lab's counts are the trace file's: switchscope report reads the same.
R() { $SS report --json "$d/root/traces/$1.trace" 2>/dev/null | jq -r "$2"; }
expect_eq report_agrees_processes_created "$(R create .tasks_created.processes)" "$(C create create.processes_created)"
expect_eq report_agrees_threads_created "$(R create .tasks_created.threads)" "$(C create create.threads_created)"
expect_eq report_agrees_record_count "$(R create .trace.records)" "$(C create create.records)"
expect_eq report_agrees_process_class_switches \
	"$(R switch-process .switches.by_class.process)" "$(C switch switch-process.switches_process)"
expect_eq report_agrees_thread_class_switches \
	"$(R switch-thread .switches.by_class.thread)" "$(C switch switch-thread.switches_thread)"

# switchscope report of the lab's trace: the flags of this host this boot,
# and none from elsewhere (another hostname in a UTS namespace)
rep=$($SS report "$d/root/traces/switch-process.trace" 2>/dev/null | tr -s ' \n' '  ')
if [ "$pcid" = true ]; then want="the recording CPU (this host, this boot) has PCID"
else want="the recording CPU (this host, this boot) has no PCID"; fi
case "$rep" in *"$want"*) pass report_credits_pcid_as_this_cpu_has_it ;;
*) fail report_credits_pcid_as_this_cpu_has_it "'$want' not in: $rep" ;; esac
expect_eq report_json_pcid_of_this_boot "$(R switch-process .mm_switches.pcid)" "$pcid"
expect_eq report_json_flush_kinds_add_up \
	"$(R switch-process '.mm_switches | .full_flush + .partial_flush + .no_flush == .total')" true
if command -v unshare >/dev/null; then
	other=$(unshare --uts sh -c "hostname elsewhere.invalid && $SS report '$d/root/traces/switch-process.trace'" 2>/dev/null |
		tr -s ' \n' '  ')
	case "$other" in
	*"not in the trace"*)
		case "$other" in *"has PCID"*|*"no PCID"*|*"thanks to PCID"*)
			fail report_elsewhere_claims_nothing_about_pcid "$other" ;;
		*) pass report_elsewhere_claims_nothing_about_pcid ;; esac ;;
	*) fail report_elsewhere_says_pcid_is_not_in_the_trace "$other" ;;
	esac
	expect_eq report_json_elsewhere_pcid_unknown \
		"$(unshare --uts sh -c "hostname elsewhere.invalid && $SS report --json '$d/root/traces/switch-process.trace'" 2>/dev/null | jq -r .mm_switches.pcid)" null
fi

# Limits read before spawning, and the capacity runs stayed below them.
T limits_are_reported '.limits.pid_max > 0 and .limits.threads_max > 0 and .limits.max_map_count > 0 and .limits.mem_available > 0 and .limits.budget_bytes > 0'
T capacity_runs_stay_within_the_caps \
	'(.limits.caps) as $c | .rows[] | select(.id == "capacity") | .lines[] | select(.label == "held by the run") | .process.value <= $c.process.max and .thread.value <= $c.thread.max and .coroutine.value <= $c.coroutine.max'

# The files in DIR.
check json_file_matches_stdout cmp -s "$d/root/lab.json" "$d/root.json"
check table_file_exists test -s "$d/root/lab.txt"
width=$(awk '{ if (length > m) m = length } END { print m + 0 }' "$d/root/lab.txt")
if [ "$width" -le 80 ]; then pass table_fits_80_columns; else fail table_fits_80_columns "$width columns"; fi
if [ -s "$d/root/mixed.html" ] && grep -qi '<html' "$d/root/mixed.html"; then
	pass mixed_run_timeline_written
else
	fail mixed_run_timeline_written "$(J .timeline)"
fi
expect_eq timeline_named_in_json "$(J .timeline.html)" "$(realpath "$d/root")/mixed.html"

# Without BPF: an unprivileged user (setuid in a child, by setpriv) still
# gets every figure, and every row says its evidence is missing and why.
mkdir "$d/nobody"
chown nobody "$d/nobody"
setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	$SS lab --quick --json -q -o "$d/nobody/out" >"$d/nobody.json" 2>"$d/nobody.err"
expect_eq unprivileged_lab_exits_0 "$?" 0
N() { local n=$1; shift; if jq -e "$@" "$d/nobody.json" >/dev/null 2>&1; then pass "$n"; else fail "$n" "false: $*"; fi; }
N unprivileged_says_trace_missing_and_why \
	'.trace.available == false and (.trace.missing | test("CAP_BPF|permission|root"))'
N unprivileged_rows_say_evidence_missing \
	'all(.rows[]; .trace.available == false and (.trace.missing | length > 0) and (.trace.files | length == 0))'
N unprivileged_figures_still_measured \
	'all(.rows[].lines[] | select(.label | test("shared.stack") | not) | select(.unit == "ns"); .process.value > 0 and .thread.value > 0 and .coroutine.value > 0)'
N unprivileged_no_timeline_and_why '.timeline.html == null and (.timeline.missing | length > 0)'
N unprivileged_verdicts_hedge_unverified_kernel_entries \
	'.rows[] | select(.id == "kernel") | .verdict == "depends" and (.reason | test("not verified"))'
if grep -q "CAP_BPF" "$d/nobody.err"; then
	pass unprivileged_warns_on_stderr
else
	fail unprivileged_warns_on_stderr "$(head -c 300 "$d/nobody.err")"
fi

# Usage and output errors.
$SS lab --no-such-option >/dev/null 2>&1
expect_eq bad_option_is_usage_error "$?" 2
$SS lab --quick -q -o /proc/no/such/dir >/dev/null 2>"$d/err"
expect_eq unwritable_dir_is_io_error "$?" 5
summary
