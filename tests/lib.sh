# Shell test helpers: source this, call check/pass/fail, end with summary.
# Prints "PASS name" / "FAIL name: why" and "N passed, N failed".
ss_pass=0
ss_fail=0
pass() { echo "PASS $1"; ss_pass=$((ss_pass + 1)); }
fail() { echo "FAIL $1: $2"; ss_fail=$((ss_fail + 1)); }
# check NAME CMD...: pass if CMD succeeds
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "command failed: $*"; fi; }
# expect_eq NAME GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$3', got '$2'"; fi; }
summary() { echo "$ss_pass passed, $ss_fail failed"; [ "$ss_fail" = 0 ]; }
