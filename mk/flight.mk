# The flight recorder (record --flight): its suite on the running kernel
# (root + BPF; one test is the issue's 60 s run) and its benchmark.

$(B)/tests/flight-work: tests/flight/flight_work.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SS_CFLAGS) $< -lpthread -o $@

$(B)/tests/test_flight: tests/flight/test_flight.c tests/testutil.c $(LIBSS) | $(B)/tests/flight-work $(B)/bin/coro-pingpong
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(filter %.c,$^) $(LIBSS) $(LIBBPF_LIBS) -lm -o $@

TEST_SUITES += $(B)/tests/test_flight
BENCHES += tests/bench/bench_flight.sh
check-prereqs: $(B)/tests/flight-work
