# switchscope: top-level build. Every output lives under build/.
#
#   make            build everything this machine can build
#   make demo       install what is missing, build, run the lab, write timelines
#   make check      install what is missing, build, run every test
#   make bench      run every benchmark (prints "bench: <name> <value> <unit>")
#   make kmod       the kernel module (build/kmod/switchscope.ko), against KDIR
#   make vm-test    the module and BPF tests in QEMU (part of make check)
#   make deps       install missing Debian packages (idempotent)
#   make install    install under PREFIX (default /usr/local), staged in DESTDIR
#   make uninstall  remove what make install wrote (same PREFIX, DESTDIR)
#   make deb        Debian packages in build/deb/ (switchscope, libcoro0,
#                   libcoro-dev, switchscope-dkms)
#   make man        the man pages, from the commands' --help (build/man/)
#   make clean      remove build/
#   make help       this list
#
# V=1 shows full commands. KDIR= selects the kernel headers for the module.

.DELETE_ON_ERROR:
.DEFAULT_GOAL := all
SHELL := /bin/bash

B := build
ARCH := $(shell uname -m)
V ?= 0
ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-7s %s\n' "$(1)" "$(2)";
endif

CC := gcc
CLANG ?= clang
BPFTOOL ?= bpftool
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation -Wshadow -Wstrict-prototypes
# The user-space library, by where a record is on its way: record/ (probes,
# recorder, sink), trace/ (the file), analysis/ (what is read back), lib/
# (small helpers every part uses), stacks/ (the stacks of a trace, named).
SS_LIB_DIRS := user/lib user/record user/trace user/analysis user/stacks
# switchscope --version, man pages, packages
SS_VERSION := 0.1.0
SS_CFLAGS := -std=gnu11 $(WARN) -Iinclude -I$(B)/gen -D_GNU_SOURCE $(SS_LIB_DIRS:%=-I%) \
	-DSS_VERSION='"$(SS_VERSION)"'
DEPFLAGS = -MMD -MP

# Filled in by the fragments under mk/.
ALL :=			# what `make` builds
TEST_SUITES :=		# executables that print "N passed, N failed"
BENCHES :=		# executables that print "bench: ..." lines
DEPS_PKGS :=		# Debian packages the build and tests need
CLI_CMDS :=		# switchscope subcommands: name, implemented as cmd_<name>()
CLI_SRCS :=		# their sources

include mk/deps.mk
include mk/bpf.mk
include mk/user.mk
include mk/tests.mk
-include $(sort $(filter-out mk/deps.mk mk/bpf.mk mk/user.mk mk/tests.mk,$(wildcard mk/*.mk)))

all: $(ALL)

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory $(TEST_SUITES) check-prereqs
	$(Q)scripts/run-suites.sh $(TEST_SUITES)

bench: all $(BENCHES)
	$(Q)for b in $(BENCHES); do echo "=== $$b"; "$$b" || exit 1; done

clean:
	$(call msg,CLEAN,$(B))
	$(Q)rm -rf $(B)

help:
	@sed -n '2,/^$$/s/^# \{0,1\}//p' Makefile

.PHONY: all check bench clean help deps demo check-prereqs

-include $(shell find $(B) -name '*.d' 2>/dev/null)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh
