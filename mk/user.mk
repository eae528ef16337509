# User space: the trace library (build/lib/libswitchscope.a) and the CLI.

LIBSS_SRCS := $(wildcard $(SS_LIB_DIRS:%=%/*.c))
LIBSS_OBJS := $(LIBSS_SRCS:%.c=$(B)/obj/%.o)
LIBSS := $(B)/lib/libswitchscope.a

CLI_CMDS += record report timehist verify
CLI_SRCS += user/cli/main.c user/cli/cmd_record.c user/cli/cmd_report.c \
	user/cli/report_text.c user/cli/report_json.c user/cli/report_offcpu.c \
	user/cli/report_cgroup.c \
	user/cli/cmd_timehist.c \
	user/cli/cmd_verify.c
CLI_OBJS = $(CLI_SRCS:%.c=$(B)/obj/%.o)
CLI := $(B)/bin/switchscope

LIBBPF_LIBS := -lbpf -lelf -lz
# The trace library's own: zstd for event chunks, zlib for CRCs, libdw
# (elfutils libdwfl) to name user stack addresses (user/stacks/resolve.c),
# libstdc++ for its demangler of C++ names (user/stacks/demangle.c).
# Every program linked with LIBSS links LIBBPF_LIBS, so they ride along.
LIBSS_LIBS := -ldw -lelf -lzstd -lz -lstdc++
LIBBPF_LIBS += $(LIBSS_LIBS)

ALL += $(CLI)

$(B)/obj/user/%.o: user/%.c | $(B)/gen/commands.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SS_CFLAGS) $(DEPFLAGS) -Iuser/lib -Iuser/cli -c $< -o $@

$(LIBSS): $(LIBSS_OBJS)
	$(call msg,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

# The command table: one X(name) per subcommand, from CLI_CMDS.
$(B)/gen/commands.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf 'X(%s)\n' $(CLI_CMDS) > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(CLI): $(CLI_OBJS) $(LIBSS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $(CLI_OBJS) $(LIBSS) $(LIBBPF_LIBS) -lm

.PHONY: FORCE
FORCE:

# Syscall name tables from the uapi headers (x86_64 native, aarch64 generic).
$(B)/gen/syscalls_x86_64.h: scripts/gen-syscalls.sh
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/gen-syscalls.sh x86_64 -include asm/unistd_64.h > $@
$(B)/gen/syscalls_aarch64.h: scripts/gen-syscalls.sh
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/gen-syscalls.sh aarch64 -D__BITS_PER_LONG=64 -include asm-generic/unistd.h > $@
$(B)/obj/user/lib/util.o: $(B)/gen/syscalls_x86_64.h $(B)/gen/syscalls_aarch64.h
$(LIBSS_OBJS) $(CLI_OBJS): | $(BPF_SKELS) $(B)/gen/syscalls_x86_64.h $(B)/gen/syscalls_aarch64.h

# Workloads for tests, the lab and benchmarks.
$(B)/bin/ss-pingpong: user/workloads/pingpong.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SS_CFLAGS) -pthread $< -o $@
ALL += $(B)/bin/ss-pingpong
