# The views of stacks (report --offcpu, timehist -g, the exports' stacks):
# the stacks table's unit test and fuzzer, a generator of traces with
# stacks whose off-CPU times are known, and the views' tests over them.

STACKS_TEST_CFLAGS = $(CFLAGS) $(SS_CFLAGS) -Iuser/lib -Itests

$(B)/tests/gen_stacks: tests/stacks/gen_stacks.c $(LIBSS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(STACKS_TEST_CFLAGS) -o $@ $< $(LIBSS) $(LIBSS_LIBS)

# The table and the off-CPU sums on hostile records, under ASan and UBSan.
$(B)/tests/test_stack_table: tests/stacks/test_stack_table.c tests/testutil.c user/stacks/stacks.c user/stacks/resolve.c user/stacks/demangle.c \
		user/analysis/offcpu.c $(LIBSS_PURE) | $(B)/gen/syscalls_x86_64.h $(B)/gen/syscalls_aarch64.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(STACKS_TEST_CFLAGS) $(SAN_FLAGS) $^ $(LIBSS_LIBS) -lm -o $@

# libFuzzer target: arbitrary bytes as a run of records into the table
# and the off-CPU sums, then every stack named.
$(B)/tests/fuzz_stack_table: tests/fuzz/fuzz_stack_table.c user/stacks/stacks.c user/stacks/resolve.c user/stacks/demangle.c user/analysis/offcpu.c \
		$(LIBSS_PURE) | $(B)/gen/syscalls_x86_64.h $(B)/gen/syscalls_aarch64.h
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 $(filter-out -Wno-format-truncation,$(SS_CFLAGS)) -Iuser/lib \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $^ $(LIBSS_LIBS) -lm -o $@

tests/stacks/views.sh: $(CLI) $(B)/tests/gen_stacks $(NODE_STAMP) $(B)/asan/bin/switchscope $(B)/bin/ss-blocker
tests/fuzz/run-fuzz-stack-table.sh: $(B)/tests/fuzz_stack_table $(B)/tests/gen_stacks
TEST_SUITES += $(B)/tests/test_stack_table tests/stacks/views.sh tests/fuzz/run-fuzz-stack-table.sh
check-prereqs: $(B)/tests/fuzz_stack_table $(B)/tests/gen_stacks

# End to end on the running kernel: the blocker workload (mk/stacks.mk)
# recorded with --stacks, then every view of its stacks.
tests/stacks/offcpu_blocker.sh: $(CLI) $(B)/bin/ss-blocker $(B)/bin/ss-blocker-nofp $(NODE_STAMP)
TEST_SUITES += tests/stacks/offcpu_blocker.sh
