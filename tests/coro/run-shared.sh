#!/bin/sh
# A coroutine runtime test suite run again with every coroutine on a
# shared stack (CORO_SHARED_STACK=1, user/coro/coro.h). make instantiates
# this file with the suite's path.
CORO_SHARED_STACK=1
export CORO_SHARED_STACK
exec @BIN@ "$@"
