# The lab (switchscope lab, run by make demo): the engine under user/lab/,
# its command, its workloads (build/bin/ss-lab-*, statically linked with
# the coroutine runtime so that the recorder finds the coro:* probes in
# the executable) and its test.

LAB_SRCS := $(wildcard user/lab/*.c)
LAB_HDRS := $(wildcard user/lab/*.h)
CLI_CMDS += lab
CLI_SRCS += user/cli/cmd_lab.c $(LAB_SRCS)
# user.mk expanded the CLI's prerequisites before this fragment was read.
$(CLI): $(patsubst %.c,$(B)/obj/%.o,user/cli/cmd_lab.c $(LAB_SRCS))

LAB_WORKLOADS := $(B)/bin/ss-lab-ipc $(B)/bin/ss-lab-create $(B)/bin/ss-lab-hold \
	$(B)/bin/ss-lab-mixed
ALL += $(LAB_WORKLOADS)

$(B)/bin/ss-lab-%: user/workloads/lab_%.c $(CORO_A) user/coro/coro.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SS_CFLAGS) -Iuser/coro -pthread $< $(CORO_A) -o $@

# The test reads the JSON with jq and switches user with setpriv
# (util-linux).
DEPS_PKGS += jq util-linux
TEST_SUITES += tests/lab/lab.sh
