# The coroutine runtime (user/coro/): build/lib/libcoro.a and libcoro.so,
# the coro-pingpong workload, its tests (native, ASan, UBSan, aarch64 under
# qemu-user, USDT probes through libbpf) and benchmarks.
#
# The library is compiled in several flavours, each into its own object
# directory build/obj/coro-<flavour>/:
#   main      the shipped library: probes on the 1-byte nop of sys/sdt.h
#   nop5      probes on 5-byte nops (x86_64; benchmark: faster hits, but a
#             fork child dies on Linux 6.18, see user/coro/probes.h)
#   noprobes  probes compiled out (benchmark baseline)
#   asan      -fsanitize=address        (tests)
#   ubsan     -fsanitize=undefined      (tests)
#   aarch64   aarch64-linux-gnu-gcc, static, run under qemu-user (tests)
# Every file with a probe site is built with -mno-red-zone on x86_64
# (user/coro/probes.h says why).

DEPS_PKGS += systemtap-sdt-dev libboost-context-dev gcc-aarch64-linux-gnu \
	libc6-dev-arm64-cross qemu-user-static binutils libbpf-dev clang

CORO_SRCS := $(wildcard user/coro/*.c)
CORO_HDRS := $(wildcard user/coro/*.h) include/coro_ring.h
CORO_ASM_x86_64 := user/coro/switch_x86_64_sysv.S
CORO_ASM_aarch64 := user/coro/switch_aarch64_aapcs.S
# Frame pointers: a park's stack (record --stacks) walks from coro_park
# to the coroutine's first frame; without them it stopped at coro_park.
# Measured: 0.3-0.8 ns more per yield (medians 12.6 against 12.3 ns).
CORO_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -Iuser/coro -Iinclude -fPIC -fvisibility=hidden \
	-fno-omit-frame-pointer
CORO_NOREDZONE_x86_64 := -mno-red-zone
CORO_LIBS := -lpthread -lm

CORO_A := $(B)/lib/libcoro.a
CORO_SO := $(B)/lib/libcoro.so
CORO_T := $(B)/tests/coro
CORO_PINGPONG := $(B)/bin/coro-pingpong

ALL += $(CORO_A) $(CORO_SO) $(CORO_PINGPONG)

# $(call coro_flavour,NAME,CC,CFLAGS,ARCH): objects and a static library
# $(B)/obj/coro-NAME/libcoro.a built with compiler CC and extra CFLAGS.
define coro_flavour
CORO_OBJS_$(1) := $$(patsubst user/coro/%.c,$(B)/obj/coro-$(1)/%.o,$$(CORO_SRCS)) \
	$$(patsubst user/coro/%.S,$(B)/obj/coro-$(1)/%.o,$$(CORO_ASM_$(4)))
CORO_LIB_$(1) := $(B)/obj/coro-$(1)/libcoro.a
$(B)/obj/coro-$(1)/%.o: user/coro/%.c $$(CORO_HDRS) $(CORO_SDT_$(4))
	$$(call msg,CC,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$(2) $$(CFLAGS) $$(CORO_CFLAGS) $$(CORO_NOREDZONE_$(4)) $(3) -c $$< -o $$@
$(B)/obj/coro-$(1)/%.o: user/coro/%.S user/coro/frame.h
	$$(call msg,AS,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$(2) $$(CORO_CFLAGS) $(3) -c $$< -o $$@
$(B)/obj/coro-$(1)/libcoro.a: $$(CORO_OBJS_$(1))
	$$(call msg,AR,$$@)
	$$(Q)rm -f $$@ && $(patsubst %gcc,%ar,$(2)) rcs $$@ $$^
endef

CORO_CC_aarch64 := aarch64-linux-gnu-gcc
CORO_SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer
# sys/sdt.h is architecture-neutral but Debian installs it for the host
# triplet only: the cross build gets a copy on its include path.
CORO_SDT_aarch64 := $(B)/gen/aarch64-sdt/sys/sdt.h
$(CORO_SDT_aarch64): /usr/include/$(ARCH)-linux-gnu/sys/sdt.h
	$(Q)mkdir -p $(@D)
	$(Q)cp /usr/include/$(ARCH)-linux-gnu/sys/sdt.h /usr/include/$(ARCH)-linux-gnu/sys/sdt-config.h $(@D)/

$(eval $(call coro_flavour,main,$(CC),,$(ARCH)))
$(eval $(call coro_flavour,nop5,$(CC),-DCORO_PROBE_NOP5,$(ARCH)))
$(eval $(call coro_flavour,noprobes,$(CC),-DCORO_NO_PROBES,$(ARCH)))
$(eval $(call coro_flavour,asan,$(CC),$(CORO_SAN_CFLAGS) -fsanitize=address,$(ARCH)))
$(eval $(call coro_flavour,ubsan,$(CC),$(CORO_SAN_CFLAGS) -fsanitize=undefined -fno-sanitize-recover=all,$(ARCH)))
$(eval $(call coro_flavour,aarch64,$(CORO_CC_aarch64),-I$(B)/gen/aarch64-sdt,aarch64))

$(CORO_A): $(CORO_LIB_main)
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@

$(CORO_SO): $(CORO_OBJS_main)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -shared -Wl,-soname,libcoro.so -Wl,-z,noexecstack -o $@ $^ $(CORO_LIBS)

# ---- the workload -------------------------------------------------------
CORO_WL_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -Iuser/coro -Iinclude -fno-omit-frame-pointer

# $(call coro_prog,OUT,SOURCES,LIB,CC,CFLAGS,LIBS): a program statically
# linked with one flavour of the library (so that USDT consumers find the
# probes in the executable itself).
define coro_prog
$(1): $(2) $(3) $$(CORO_HDRS)
	$$(call msg,LINK,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$(4) $$(CFLAGS) $$(CORO_WL_CFLAGS) $(5) -o $$@ $(2) $(3) $(6) $$(CORO_LIBS)
endef

$(eval $(call coro_prog,$(CORO_PINGPONG),user/workloads/coro_pingpong.c,$(CORO_A),$(CC),))
$(eval $(call coro_prog,$(CORO_T)/coro-pingpong-nop5,user/workloads/coro_pingpong.c,$(CORO_LIB_nop5),$(CC),))
$(eval $(call coro_prog,$(CORO_T)/coro-pingpong-noprobes,user/workloads/coro_pingpong.c,$(CORO_LIB_noprobes),$(CC),))

# ---- unit tests ---------------------------------------------------------
CORO_TEST_SRCS := $(wildcard tests/coro/test_*.c) tests/coro/helpers.c
CORO_TEST_ASM_x86_64 := tests/coro/regs_x86_64.S
CORO_TEST_ASM_aarch64 := tests/coro/regs_aarch64.S
CORO_TEST_CFLAGS := -Itests -Iuser/coro -Iinclude

$(eval $(call coro_prog,$(CORO_T)/coro_unit,$(CORO_TEST_SRCS) $(CORO_TEST_ASM_$(ARCH)),$(CORO_LIB_main),$(CC),$(CORO_TEST_CFLAGS)))
$(eval $(call coro_prog,$(CORO_T)/coro_unit_asan,$(CORO_TEST_SRCS) $(CORO_TEST_ASM_$(ARCH)),$(CORO_LIB_asan),$(CC),$(CORO_TEST_CFLAGS) $(CORO_SAN_CFLAGS) -fsanitize=address))
$(eval $(call coro_prog,$(CORO_T)/coro_unit_ubsan,$(CORO_TEST_SRCS) $(CORO_TEST_ASM_$(ARCH)),$(CORO_LIB_ubsan),$(CC),$(CORO_TEST_CFLAGS) $(CORO_SAN_CFLAGS) -fsanitize=undefined -fno-sanitize-recover=all))
$(eval $(call coro_prog,$(CORO_T)/coro_unit.aarch64,$(CORO_TEST_SRCS) $(CORO_TEST_ASM_aarch64),$(CORO_LIB_aarch64),$(CORO_CC_aarch64),$(CORO_TEST_CFLAGS) -I$(B)/gen/aarch64-sdt -static -DCORO_TEST_QEMU))
$(CORO_T)/coro_unit.aarch64: $(CORO_SDT_aarch64)

# The aarch64 suite: the cross-built tests under qemu-user.
$(CORO_T)/coro_unit_aarch64: tests/coro/run-qemu.sh $(CORO_T)/coro_unit.aarch64
	$(Q)sed 's|@BIN@|$(CORO_T)/coro_unit.aarch64|' $< > $@ && chmod +x $@

TEST_SUITES += $(CORO_T)/coro_unit $(CORO_T)/coro_unit_asan $(CORO_T)/coro_unit_ubsan \
	$(CORO_T)/coro_unit_aarch64

# The same four suites with every coroutine on a shared stack.
CORO_SHARED_SUITES := coro_unit coro_unit_asan coro_unit_ubsan coro_unit_aarch64
$(CORO_T)/%_shared: tests/coro/run-shared.sh $(CORO_T)/%
	$(Q)sed 's|@BIN@|$(CORO_T)/$*|' $< > $@ && chmod +x $@
TEST_SUITES += $(patsubst %,$(CORO_T)/%_shared,$(CORO_SHARED_SUITES))

# ---- probe tests (x86_64: libbpf USDT) ----------------------------------
CORO_BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall \
	-I$(B)/gen -I/usr/include/$(ARCH)-linux-gnu

$(B)/tests/bpf/coro_usdt.bpf.o: tests/coro/coro_usdt.bpf.c tests/coro/usdt_event.h $(B)/gen/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CORO_BPF_CFLAGS) -c $< -o $@.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o
$(B)/gen/coro_usdt.skel.h: $(B)/tests/bpf/coro_usdt.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name coro_usdt_bpf > $@

CORO_USDT_SRCS := tests/coro/usdt_attach.c
CORO_USDT_CFLAGS := -Itests -Itests/coro -Iuser/coro -Iinclude -I$(B)/gen
CORO_USDT_DEPS := $(CORO_USDT_SRCS) tests/coro/usdt_attach.h $(B)/gen/coro_usdt.skel.h

$(CORO_T)/coro_probes: tests/coro/probes_test.c $(CORO_USDT_DEPS) \
		$(CORO_T)/coro-probe-target $(CORO_T)/coro-probe-target-so \
		$(CORO_T)/coro-redzone-target
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(CORO_WL_CFLAGS) $(CORO_USDT_CFLAGS) -o $@ \
		tests/coro/probes_test.c $(CORO_USDT_SRCS) $(LIBBPF_LIBS)

$(eval $(call coro_prog,$(CORO_T)/coro-probe-target,tests/coro/probe_target.c,$(CORO_A),$(CC),-Iinclude))
# The same program linked with libcoro.so: probes and semaphores in a
# shared library. The semaphores are hidden there, so the program reads
# them through CORO_TARGET_NO_SEMS instead.
$(CORO_T)/coro-probe-target-so: tests/coro/probe_target.c $(CORO_SO)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(CORO_WL_CFLAGS) -DCORO_TARGET_NO_SEMS -o $@ $< \
		-L$(B)/lib -lcoro -Wl,-rpath,'$$ORIGIN/../../lib'

# The red-zone target: the same function with a probe site, built with and
# without -mno-red-zone (the second is the control that shows the hazard).
$(CORO_T)/rz_safe.o: tests/coro/redzone_fn.c user/coro/probes.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g $(CORO_WL_CFLAGS) -mno-red-zone -DCORO_PROBE_NOP5 -DRZ_NAME=rz_safe -DRZ_PROBE=redzone_safe -c $< -o $@
$(CORO_T)/rz_unsafe.o: tests/coro/redzone_fn.c user/coro/probes.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g $(CORO_WL_CFLAGS) -DCORO_PROBE_NOP5 -DRZ_NAME=rz_unsafe -DRZ_PROBE=redzone_unsafe -c $< -o $@
$(CORO_T)/coro-redzone-target: tests/coro/redzone_target.c $(CORO_T)/rz_safe.o $(CORO_T)/rz_unsafe.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(CORO_WL_CFLAGS) -o $@ $^

ifeq ($(ARCH),x86_64)
TEST_SUITES += tests/coro/probe_notes.sh $(CORO_T)/coro_probes
$(CORO_T)/coro_probes tests/coro/probe_notes.sh: $(CORO_A) $(CORO_SO) $(CORO_PINGPONG) \
	$(CORO_T)/coro-pingpong-nop5
endif

# ---- benchmarks ---------------------------------------------------------
CORO_BENCH := $(B)/tests/bench
$(eval $(call coro_prog,$(CORO_BENCH)/coro_switch,tests/bench/coro_switch.c tests/bench/coro_bench.c,$(CORO_A),$(CC),-Itests/bench -Iinclude,-lboost_context))
$(eval $(call coro_prog,$(CORO_BENCH)/coro_memory,tests/bench/coro_memory.c tests/bench/coro_bench.c,$(CORO_A),$(CC),-Itests/bench))

$(CORO_BENCH)/coro_traced: tests/bench/coro_traced.c tests/bench/coro_bench.c $(CORO_USDT_DEPS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(CORO_WL_CFLAGS) $(CORO_USDT_CFLAGS) -Itests/bench -o $@ \
		tests/bench/coro_traced.c tests/bench/coro_bench.c $(CORO_USDT_SRCS) $(LIBBPF_LIBS)

$(CORO_BENCH)/coro_switch: $(CORO_PINGPONG) $(CORO_T)/coro-pingpong-noprobes
$(CORO_BENCH)/coro_traced: $(CORO_PINGPONG) $(CORO_T)/coro-pingpong-nop5 $(CORO_BENCH)/coro-probe-loop

# One probe site per nop kind, called in a loop: the bare cost of a hit.
$(CORO_BENCH)/probe_site_p5.o: tests/bench/coro_probe_site.c user/coro/probes.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g $(CORO_WL_CFLAGS) $(CORO_NOREDZONE_$(ARCH)) -DSITE=p5 -DCORO_PROBE_NOP5 -c $< -o $@
$(CORO_BENCH)/probe_site_p1.o: tests/bench/coro_probe_site.c user/coro/probes.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g $(CORO_WL_CFLAGS) $(CORO_NOREDZONE_$(ARCH)) -DSITE=p1 -c $< -o $@
$(CORO_BENCH)/coro-probe-loop: tests/bench/coro_probe_loop.c $(CORO_BENCH)/probe_site_p5.o $(CORO_BENCH)/probe_site_p1.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(CORO_WL_CFLAGS) -o $@ $^

BENCHES += $(CORO_BENCH)/coro_switch $(CORO_BENCH)/coro_memory
ifeq ($(ARCH),x86_64)
BENCHES += $(CORO_BENCH)/coro_traced
endif

# ---- integration: shared stacks under switchscope verify (root, BPF) ----
$(B)/tests/test_shared_stack: tests/integration/test_shared_stack.c tests/testutil.c $(LIBSS) | $(CORO_PINGPONG)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $(filter %.c,$^) $(LIBSS) $(LIBBPF_LIBS) -lm -o $@
TEST_SUITES += $(B)/tests/test_shared_stack
