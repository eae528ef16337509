# record --cgroup: its test (two cgroups of its own, on the running kernel)
# and the filter's cost on the futex ping-pong.

$(B)/tests/cg-dump: tests/integration/cg_dump.c $(LIBSS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $< $(LIBSS) $(LIBBPF_LIBS) -lm -o $@

$(B)/tests/clone-into: tests/integration/clone_into.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $< -o $@

check-prereqs: $(B)/tests/cg-dump $(B)/tests/clone-into
TEST_SUITES += tests/integration/cli_cgroup.sh
BENCHES += tests/bench/bench_cgroup.sh
DEPS_PKGS += jq

# The 6.1 guest of `make vm-test`: the filter through that kernel's BTF.
VM_TESTS += tests/vm/cgroup_guest.sh
