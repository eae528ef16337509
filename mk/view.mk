# switchscope view: the viewer served from the trace by a local HTTP server
# (libmicrohttpd): the index and the API under user/view/, the viewer's
# remote data source web/remote.js (embedded like web/*.js), the tests
# under tests/view/ and the benchmark tests/bench/view_big.sh.

DEPS_PKGS += libmicrohttpd-dev
# the tests: requests by curl, the listening socket by ss (iproute2), bc
DEPS_PKGS += curl iproute2 bc

VIEW_SRCS := $(wildcard user/view/*.c)
VIEW_OBJS := $(patsubst %.c,$(B)/obj/%.o,user/cli/cmd_view.c $(VIEW_SRCS))
CLI_CMDS += view
CLI_SRCS += user/cli/cmd_view.c $(VIEW_SRCS)

# user.mk expanded the CLI's prerequisites before this fragment was read.
$(CLI): $(VIEW_OBJS)
$(CLI): LIBBPF_LIBS += -lmicrohttpd
$(B)/asan/bin/switchscope: CLI_EXTRA_LIBS += -lmicrohttpd
$(B)/asan/bin/switchscope: $(B)/gen/web_remote.h

# The static guest binary (mk/vm.mk) goes without: libmicrohttpd.a needs
# GnuTLS's static libraries. Its `view` says so (cmd_view_none.c).
VM_NO_OBJS += $(VIEW_OBJS)
VM_EXTRA_OBJS += $(B)/obj/user/cli/cmd_view_none.o

$(B)/gen/web_remote.h: web/embed.sh web/remote.js
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)web/embed.sh $@ --remote web/remote.js
$(B)/obj/user/view/vapi.o: $(B)/gen/web_remote.h $(B)/gen/web_assets.h

# ---- tests ----
# The request parser under libFuzzer (run by tests/view/run.sh).
$(B)/tests/fuzz_view_query: tests/fuzz/fuzz_view_query.c user/view/vquery.c user/view/vquery.h
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 $(filter-out -Wno-format-truncation,$(SS_CFLAGS)) -Iuser/view \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		tests/fuzz/fuzz_view_query.c user/view/vquery.c -o $@

# The exports and view's index and answers on arbitrary traces.
FUZZ_EXPORT_SRCS := $(sort $(LIBSS_PURE) $(wildcard user/analysis/*.c user/export/*.c \
	user/stacks/*.c) user/lib/trigger_desc.c $(filter-out user/view/vserver.c,$(VIEW_SRCS)))
$(B)/tests/fuzz_export: tests/fuzz/fuzz_export.c $(FUZZ_EXPORT_SRCS) $(EXPORT_GEN) | $(B)/gen/web_remote.h \
		$(B)/gen/web_assets.h $(B)/gen/syscalls_x86_64.h $(B)/gen/syscalls_aarch64.h
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 $(filter-out -Wno-format-truncation,$(SS_CFLAGS)) -Iuser/view -Iuser/export \
		-Iuser/stacks -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(filter %.c,$^) -lprotobuf-c $(LIBSS_LIBS) -lm -lpthread -o $@

tests/fuzz/run-fuzz-export.sh: $(B)/tests/fuzz_export
TEST_SUITES += tests/fuzz/run-fuzz-export.sh
check-prereqs: $(B)/tests/fuzz_export

tests/view/run.sh: $(CLI) $(B)/tests/export_gen $(B)/tests/gen_stacks $(B)/tests/fuzz_view_query $(NODE_STAMP)
TEST_SUITES += tests/view/run.sh

# ---- benchmarks ----
BENCHES += tests/bench/view_big.sh
tests/bench/view_big.sh: $(CLI) $(B)/tests/export_gen $(NODE_STAMP)
