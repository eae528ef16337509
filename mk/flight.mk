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

# The window without a kernel (synthetic records), also under ASan/UBSan.
$(B)/tests/test_flight_unit: tests/flight/test_flight_unit.c tests/testutil.c $(LIBSS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(filter %.c,$^) $(LIBSS) $(LIBBPF_LIBS) -lm -o $@
$(B)/tests/test_flight_unit_asan: tests/flight/test_flight_unit.c tests/testutil.c $(LIBSS_SRCS) | $(BPF_SKELS) $(B)/gen/syscalls_x86_64.h $(B)/gen/syscalls_aarch64.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(SAN_FLAGS) $(filter %.c,$^) $(LIBBPF_LIBS) -lm -o $@

TEST_SUITES += $(B)/tests/test_flight_unit $(B)/tests/test_flight_unit_asan $(B)/tests/test_flight
BENCHES += tests/bench/bench_flight.sh
check-prereqs: $(B)/tests/flight-work
