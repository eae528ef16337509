#!/bin/bash
# The module's recording overhead next to BPF's, measured in the QEMU
# guest of `make vm-test` (the running kernel may lack module support):
# boots build/vm/bench.cpio.gz and prints the guest's "bench:" lines.
cd "$(dirname "$0")/../.." || exit 1
[ $# -eq 4 ] || { echo "usage: $0 KERNEL INITRD OUTDIR TIMEOUT (make bench runs it)" >&2; exit 2; }
out=$(tests/vm/run.sh "$@")
rc=$?
echo "$out" | sed -n 's/^  | \(bench: .*\)$/\1/p'
[ $rc -eq 0 ] || { echo "$out" | grep -v '^PASS'; exit 1; }
