# The coroutine trace ring on the running kernel: exact counts, timestamps
# inside the threads' on-CPU time, SIGKILL, fork, late threads, a hostile
# writer, the USDT-only path.
RING_TARGET := $(B)/tests/ring-target
RING_WRITER := $(B)/tests/ring-writer
$(RING_TARGET): tests/integration/ring_target.c $(CORO_A)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(CORO_WL_CFLAGS) -o $@ $< $(CORO_A) $(CORO_LIBS)
$(RING_WRITER): tests/usdt/ring_writer.c include/coro_ring.h
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SS_CFLAGS) -mno-red-zone -o $@ $< -lpthread
$(B)/tests/test_ring: tests/integration/test_ring.c tests/testutil.c $(LIBSS) | $(RING_TARGET) $(RING_WRITER) $(B)/tests/hand-probes
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(filter %.c,$^) $(LIBSS) $(LIBBPF_LIBS) -lm -o $@
TEST_SUITES += $(B)/tests/test_ring
BENCHES += tests/bench/bench_coro_ring.sh
tests/bench/bench_coro_ring.sh: $(B)/tests/test_ring
TEST_SUITES += tests/integration/ring_asan.sh
tests/integration/ring_asan.sh: $(B)/tests/test_ring $(B)/asan/bin/switchscope
