/* The coroutine runtime's unit test suite: main() of tests/harness.h. */
#define SS_TEST_MAIN
#include "harness.h"
