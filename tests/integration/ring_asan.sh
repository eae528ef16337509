#!/bin/bash
# The trace-ring tests with the recorder built with ASan and UBSan: a
# hostile ring, a lapped ring and every exit path of the reader must not
# trip the sanitizers. Prints the suite's "N passed, N failed".
cd "$(dirname "$0")/../.." || exit 1
export SS_BIN=build/asan/bin SS_TEST_PROGS=build/tests
# libbpf keeps some allocations for the process's life: leaks are not the
# question here, memory errors are.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1
exec build/tests/test_ring hostile exits_while four_threads sigkill fork
