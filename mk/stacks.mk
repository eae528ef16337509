# record --stacks: its workload (a program that blocks in named functions,
# with and without frame pointers), the integration test, the maps parser's
# fuzzer and the benchmark against perf.

$(B)/bin/ss-blocker: tests/stacks/blocker.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O1 -g -fno-omit-frame-pointer -pthread $< -o $@
# The same without frame pointers: what a user stack walk makes of it.
$(B)/bin/ss-blocker-nofp: tests/stacks/blocker.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -fomit-frame-pointer -pthread $< -o $@
ALL += $(B)/bin/ss-blocker $(B)/bin/ss-blocker-nofp

# A C++ program (clang++: the clang package has it) whose stacks must read
# demangled (tests/stacks/cxx_names.sh).
$(B)/bin/ss-cxx-napper: tests/stacks/cxx_napper.cc
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)clang++ -O1 -g -fno-omit-frame-pointer $< -o $@
tests/stacks/cxx_names.sh: $(CLI) $(B)/bin/ss-cxx-napper $(NODE_STAMP)
TEST_SUITES += tests/stacks/cxx_names.sh
# The runtime's park stacks, whole (libcoro has frame pointers).
tests/stacks/park_stacks.sh: $(CLI) $(CORO_PINGPONG) $(NODE_STAMP)
TEST_SUITES += tests/stacks/park_stacks.sh
check-prereqs: $(B)/bin/ss-cxx-napper

$(B)/tests/test_stacks: tests/integration/test_stacks.c tests/testutil.c $(LIBSS) | $(B)/bin/ss-blocker $(B)/bin/ss-blocker-nofp
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(filter %.c,$^) $(LIBSS) $(LIBBPF_LIBS) -lm -o $@

# libFuzzer: the /proc/PID/maps line parser and the resolver fed with
# arbitrary ss_map records.
$(B)/tests/fuzz_stacks: tests/fuzz/fuzz_stacks.c user/stacks/procmaps.c user/stacks/resolve.c
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 $(filter-out -Wno-format-truncation,$(SS_CFLAGS)) -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $^ -ldw -lelf -o $@

TEST_SUITES += $(B)/tests/test_stacks tests/fuzz/run-fuzz-stacks.sh
BENCHES += tests/bench/bench_stacks.sh
check-prereqs: $(B)/tests/fuzz_stacks
