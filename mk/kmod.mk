# The kernel module, built by kbuild out of tree in build/kmod/ against the
# headers in KDIR (default: the newest Debian linux-headers-*-<arch>; the
# running kernel may have no module support). Without headers, `make`
# skips the module with one line.

KMOD_DEB_ARCH := $(subst x86_64,amd64,$(subst aarch64,arm64,$(ARCH)))
KDIR ?= $(shell ls -d /usr/src/linux-headers-*-$(KMOD_DEB_ARCH) 2>/dev/null | sort -V | tail -n 1)
KMOD_DIR := $(B)/kmod
KMOD := $(KMOD_DIR)/switchscope.ko
KMOD_SRCS := $(wildcard kmod/*.c kmod/*.h)

DEPS_PKGS += linux-headers-$(KMOD_DEB_ARCH) kmod

CLI_CMDS += kmod
CLI_SRCS += user/cli/cmd_kmod.c
# user.mk expanded the CLI's prerequisites before this fragment was read.
$(CLI): $(B)/obj/user/cli/cmd_kmod.o

ifneq ($(wildcard $(KDIR)/Makefile),)
ALL += $(KMOD)
kmod: $(KMOD)
else
ALL += kmod-skip
kmod kmod-skip:
	@echo "  SKIP    switchscope.ko: no kernel headers (KDIR='$(KDIR)'; make deps installs them)"
endif

# kbuild sees only links: build/kmod/{Kbuild,include,kmod/*.[ch]}.
$(KMOD): Kbuild $(KMOD_SRCS) include/switchscope.h
	$(call msg,KMOD,$@)
	$(Q)mkdir -p $(KMOD_DIR)/kmod
	$(Q)ln -sfn $(CURDIR)/Kbuild $(KMOD_DIR)/Kbuild
	$(Q)ln -sfn $(CURDIR)/include $(KMOD_DIR)/include
	$(Q)for f in $(KMOD_SRCS); do ln -sfn $(CURDIR)/$$f $(KMOD_DIR)/$$f; done
	$(Q)set -o pipefail; $(MAKE) -C $(KDIR) M=$(abspath $(KMOD_DIR)) \
		$(if $(filter 1,$(V)),V=1,-s) modules 2>&1 | \
		{ grep -v '^Skipping BTF generation' || true; }

.PHONY: kmod kmod-skip
