# Tests of the foundation: unit (also under ASan/UBSan), integration on the
# running kernel (root + BPF), the CLI under ASan on damaged traces, and the
# trace reader's fuzzer.

TEST_CFLAGS = $(CFLAGS) $(SS_CFLAGS) -Iuser/lib -Itests
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UNIT_SRCS := tests/unit/test_trace.c tests/unit/test_damage.c tests/unit/tracefix.c \
	tests/unit/test_lib.c tests/unit/test_sink.c tests/unit/test_ring.c tests/unit/test_zstd.c \
	tests/unit/test_cgroups.c \
	tests/testutil.c
# Library sources that need no libbpf: what the reader and analysis use.
LIBSS_PURE := user/trace/trace_read.c user/trace/trace_index.c user/trace/trace_write.c \
	user/trace/trace_zstd.c user/lib/util.c user/lib/idmap.c user/analysis/hist.c \
	user/analysis/analysis.c user/analysis/cgroups.c user/record/clockmap.c user/record/ring_read.c

$(B)/tests/test_unit: $(UNIT_SRCS) $(LIBSS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(filter %.c,$^) $(LIBSS) $(LIBBPF_LIBS) -lm -o $@

$(B)/tests/test_unit_asan: $(UNIT_SRCS) $(LIBSS_PURE) user/record/sink.c | $(B)/gen/syscalls_x86_64.h $(B)/gen/syscalls_aarch64.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(SAN_FLAGS) $^ $(LIBSS_LIBS) -lm -o $@

$(B)/tests/test_record: tests/integration/test_record.c tests/testutil.c $(LIBSS) | $(B)/bin/coro-pingpong
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(filter %.c,$^) $(LIBSS) $(LIBBPF_LIBS) -lm -o $@

# The whole CLI under ASan and UBSan, for the damaged-trace tests.
# Second expansion: the other fragments add to CLI_SRCS after this one.
.SECONDEXPANSION:
$(B)/asan/bin/switchscope: $$(CLI_SRCS) $$(LIBSS_SRCS) $$(CORO_HDRS) include/switchscope.h | $(BPF_SKELS) $(B)/gen/commands.h $(B)/gen/syscalls_x86_64.h $(B)/gen/syscalls_aarch64.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SS_CFLAGS) -Iuser/lib -Iuser/cli $(SAN_FLAGS) $(CLI_SRCS) \
		$(LIBSS_SRCS) $(CLI_EXTRA_LIBS) $(LIBBPF_LIBS) -lm -o $@

# libFuzzer target: reader + analysis on arbitrary bytes.
$(B)/tests/fuzz_reader: tests/fuzz/fuzz_reader.c $(LIBSS_PURE) | $(B)/gen/syscalls_x86_64.h $(B)/gen/syscalls_aarch64.h
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 $(filter-out -Wno-format-truncation,$(SS_CFLAGS)) -Iuser/lib -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $^ $(LIBSS_LIBS) -lm -o $@

TEST_SUITES += $(B)/tests/test_unit $(B)/tests/test_unit_asan $(B)/tests/test_record \
	tests/integration/cli_damage.sh tests/integration/cli_files.sh tests/fuzz/run-fuzz.sh
BENCHES += tests/bench/bench_record.sh tests/bench/bench_coro_trace.sh tests/bench/bench_compress.sh
check-prereqs: $(B)/asan/bin/switchscope $(B)/tests/fuzz_reader

# A program that emits the coro:* probe ABI by hand (no runtime of ours).
$(B)/tests/hand-probes: tests/usdt/hand_probes.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SS_CFLAGS) $< -o $@
check-prereqs: $(B)/tests/hand-probes
DEPS_PKGS += systemtap-sdt-dev

# Discovery of probes (tests/integration/test_discovery.c): a program that
# dlopens a library with coro probes late, and a runtime whose probe
# arguments are thread-local variables (TLS specs that cannot be read).
$(B)/tests/libdl-plugin.so: tests/usdt/dl_plugin.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SS_CFLAGS) -fPIC -shared $< -o $@
$(B)/tests/dl-host: tests/usdt/dl_host.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SS_CFLAGS) $< -ldl -o $@
$(B)/tests/tls-probes: tests/usdt/tls_probes.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SS_CFLAGS) -O2 $< -o $@
$(B)/tests/test_discovery: tests/integration/test_discovery.c tests/testutil.c $(LIBSS) | $(B)/tests/libdl-plugin.so $(B)/tests/dl-host $(B)/tests/tls-probes
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(filter %.c,$^) $(LIBSS) $(LIBBPF_LIBS) -lm -o $@
TEST_SUITES += $(B)/tests/test_discovery
# (libcoro.so by name: mk/coro.mk, which defines CORO_SO, comes later)
$(B)/tests/libdl-coro-plugin.so: tests/usdt/dl_coro_plugin.c $(B)/lib/libcoro.so
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SS_CFLAGS) -Iuser/coro -fPIC -shared $< -L$(B)/lib -lcoro \
		-Wl,-rpath,'$$ORIGIN/../lib' -o $@
$(B)/tests/test_discovery: | $(B)/tests/libdl-coro-plugin.so
