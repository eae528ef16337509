#!/bin/sh
# The coroutine runtime's tests cross-built for aarch64, run under
# qemu-user. make instantiates this file with the binary's path.
bin=@BIN@
qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64)
if [ -z "$qemu" ]; then
	echo "FAIL aarch64: qemu-aarch64-static not found (apt-get install qemu-user-static)"
	echo "0 passed, 1 failed"
	exit 1
fi
exec "$qemu" "$bin" "$@"
