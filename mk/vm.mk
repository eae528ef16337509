# `make vm-test`: the module and the BPF programs on a second kernel, in
# QEMU (TCG: no KVM needed). The kernel is Debian's image matching KDIR;
# the initramfs is busybox-static plus statically linked test programs.
#
# VM_TESTS: what the guest runs, in order: executables or scripts that
# print PASS/FAIL lines and "N passed, N failed", each under
# VM_TEST_TIMEOUT. Other fragments may append theirs (statically linked);
# VM_FILES: what they need besides, as PATH or HOST:GUEST. Guest paths
# mirror the repository, and tests run from its root (the guest's /).

VM_KVER := $(patsubst linux-headers-%,%,$(notdir $(KDIR)))
VM_KERNEL ?= /boot/vmlinuz-$(VM_KVER)
VM_TIMEOUT ?= 900
VM_TEST_TIMEOUT ?= 600
VM_DIR := $(B)/vm
VM_BIN := $(VM_DIR)/bin
VM_INITRD := $(VM_DIR)/initramfs.cpio.gz
BUSYBOX ?= /bin/busybox

DEPS_PKGS += linux-image-$(KMOD_DEB_ARCH) qemu-system-x86 busybox-static cpio

VM_STATIC := $(CC) -static $(CFLAGS) $(SS_CFLAGS) -Iuser/lib -Itests
# LIBBPF_LIBS carries LIBSS_LIBS: with -static, libbpf.a, libelf.a, libz.a,
# libzstd.a (libzstd-dev: the trace chunks) and libdw.a (libdw-dev: stack
# symbols), which wants liblzma.a and libbz2.a (liblzma-dev, libbz2-dev).
VM_LIBS = $(LIBSS) $(CLI_EXTRA_LIBS) $(LIBBPF_LIBS) -llzma -lbz2 -lm -pthread
DEPS_PKGS += liblzma-dev libbz2-dev

# test-record: the BPF integration tests of the host, on the guest's kernel.
VM_TESTS += $(VM_BIN)/kmod-test $(VM_BIN)/kmod-vs-bpf tests/vm/kmod_cli.sh \
	$(VM_BIN)/test-record
VM_FILES += $(KMOD) $(VM_BIN)/switchscope:$(CLI) \
	$(VM_BIN)/ss-pingpong:$(B)/bin/ss-pingpong \
	$(VM_BIN)/coro-pingpong:$(CORO_PINGPONG) \
	$(VM_BIN)/hand-probes:$(B)/tests/hand-probes tests/lib.sh

# The CLI's objects, less what other fragments leave out of the static
# link (VM_NO_OBJS), plus their stand-ins (VM_EXTRA_OBJS).
VM_CLI_OBJS = $(filter-out $(VM_NO_OBJS),$(CLI_OBJS)) $(VM_EXTRA_OBJS)
$(VM_BIN)/switchscope: $(CLI) $$(VM_EXTRA_OBJS)
	$(call msg,LINK,$@ (static))
	$(Q)mkdir -p $(@D)
	$(Q)$(VM_STATIC) -o $@ $(VM_CLI_OBJS) $(VM_LIBS)

$(VM_BIN)/ss-pingpong: user/workloads/pingpong.c
	$(call msg,CC,$@ (static))
	$(Q)mkdir -p $(@D)
	$(Q)$(VM_STATIC) -o $@ $< -pthread

$(VM_BIN)/coro-pingpong: user/workloads/coro_pingpong.c $(CORO_A) $(CORO_HDRS)
	$(call msg,CC,$@ (static))
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -static $(CFLAGS) $(CORO_WL_CFLAGS) -o $@ $< $(CORO_A) $(CORO_LIBS)

$(VM_BIN)/hand-probes: tests/usdt/hand_probes.c
	$(call msg,CC,$@ (static))
	$(Q)mkdir -p $(@D)
	$(Q)$(VM_STATIC) -o $@ $<

$(VM_BIN)/test-record: tests/integration/test_record.c tests/testutil.c \
		tests/testutil.h tests/harness.h $(LIBSS)
	$(call msg,CC,$@ (static))
	$(Q)mkdir -p $(@D)
	$(Q)$(VM_STATIC) -o $@ tests/integration/test_record.c tests/testutil.c $(VM_LIBS)

$(VM_BIN)/kmod-test: tests/vm/kmod_test.c tests/vm/guest.c tests/vm/guest.h \
		tests/harness.h include/switchscope.h
	$(call msg,CC,$@ (static))
	$(Q)mkdir -p $(@D)
	$(Q)$(VM_STATIC) -o $@ tests/vm/kmod_test.c tests/vm/guest.c -pthread

$(VM_BIN)/kmod-vs-bpf: tests/vm/kmod_vs_bpf.c tests/vm/guest.c tests/vm/guest.h \
		tests/harness.h $(LIBSS)
	$(call msg,CC,$@ (static))
	$(Q)mkdir -p $(@D)
	$(Q)$(VM_STATIC) -o $@ tests/vm/kmod_vs_bpf.c tests/vm/guest.c $(VM_LIBS)

# The HOST side of each HOST:GUEST entry, and plain entries. Second
# expansion: fragments read after this one add to VM_TESTS and VM_FILES.
vm_host_files = $(foreach f,$(VM_FILES),$(firstword $(subst :, ,$(f))))
.SECONDEXPANSION:

$(VM_DIR)/inputs: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '%s\n' $(VM_TESTS) -- $(VM_FILES) -- $(VM_TEST_TIMEOUT) > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(VM_INITRD): $(VM_DIR)/inputs tests/vm/init tests/vm/mkinitramfs.sh \
		$(BUSYBOX) $$(VM_TESTS) $$(vm_host_files)
	$(call msg,CPIO,$@)
	$(Q)tests/vm/mkinitramfs.sh $@ $(BUSYBOX) tests/vm/init $(VM_TEST_TIMEOUT) \
		"$(VM_TESTS)" "$(VM_FILES)"

# `make bench`: the module's overhead next to BPF's, in the same guest.
VM_BENCH_INITRD := $(VM_DIR)/bench.cpio.gz
$(VM_BENCH_INITRD): $(VM_DIR)/inputs tests/vm/init tests/vm/mkinitramfs.sh \
		tests/vm/bench_kmod.sh $(BUSYBOX) $$(vm_host_files)
	$(call msg,CPIO,$@)
	$(Q)tests/vm/mkinitramfs.sh $@ $(BUSYBOX) tests/vm/init $(VM_TEST_TIMEOUT) \
		tests/vm/bench_kmod.sh "$(VM_FILES)"

# The suite run-suites.sh sees: boots the guest when everything is there,
# otherwise fails with one line saying what is missing.
VM_MISSING = $(strip $(if $(wildcard $(KDIR)/Makefile),,kernel headers (KDIR='$(KDIR)')) \
	$(if $(wildcard $(VM_KERNEL)),,kernel image $(VM_KERNEL)) \
	$(if $(wildcard $(BUSYBOX)),,$(BUSYBOX)) \
	$(if $(shell command -v qemu-system-x86_64),,qemu-system-x86_64))

# Rewritten only when its text changes, so that it follows KDIR.
ifeq ($(VM_MISSING),)
$(B)/tests/vm-test: $(VM_INITRD) tests/vm/run.sh FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '#!/bin/sh\nexec %s %s %s %s %s\n' $(CURDIR)/tests/vm/run.sh \
		$(VM_KERNEL) $(CURDIR)/$(VM_INITRD) $(CURDIR)/$(VM_DIR) $(VM_TIMEOUT) > $@.tmp
	$(Q)chmod +x $@.tmp && { cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }
else
$(B)/tests/vm-test: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '#!/bin/sh\necho "FAIL vm-test: missing %s (make deps)"\necho "0 passed, 1 failed"\nexit 1\n' \
		"$(VM_MISSING)" > $@.tmp
	$(Q)chmod +x $@.tmp && { cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }
endif

ifeq ($(VM_MISSING),)
$(B)/tests/bench/kmod-vs-bpf: $(VM_BENCH_INITRD) tests/bench/bench_kmod.sh FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '#!/bin/sh\nexec %s %s %s %s %s\n' $(CURDIR)/tests/bench/bench_kmod.sh \
		$(VM_KERNEL) $(CURDIR)/$(VM_BENCH_INITRD) $(CURDIR)/$(VM_DIR)/bench $(VM_TIMEOUT) > $@.tmp
	$(Q)chmod +x $@.tmp && { cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }
else
$(B)/tests/bench/kmod-vs-bpf: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '#!/bin/sh\necho "kmod-vs-bpf: missing %s (make deps)" >&2\nexit 1\n' \
		"$(VM_MISSING)" > $@
	$(Q)chmod +x $@
endif
BENCHES += $(B)/tests/bench/kmod-vs-bpf

# The module's command line on this machine: without the module loaded.
$(B)/tests/kmod-cli: tests/vm/kmod_cli.sh
	$(Q)mkdir -p $(@D)
	$(Q)printf '#!/bin/sh\ncd %s && exec tests/vm/kmod_cli.sh\n' $(CURDIR) > $@
	$(Q)chmod +x $@

TEST_SUITES += $(B)/tests/kmod-cli $(B)/tests/vm-test

vm-test: all $(B)/tests/vm-test
	$(Q)$(B)/tests/vm-test

.PHONY: vm-test
