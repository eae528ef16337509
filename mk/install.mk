# Installing: make install / uninstall (PREFIX, DESTDIR), the man pages
# (build/man/), libcoro with a soname, pkg-config files, bash completion,
# and make deb (Debian packages under build/deb/, scripts/mkdeb.sh).
#
#   PREFIX/bin/switchscope
#   PREFIX/libexec/switchscope/    the helper programs: the lab's workloads,
#                                  ss-pingpong (kmod floor), coro-pingpong;
#                                  found beside the binary (ss_exe_dir())
#   LIBDIR/libcoro.so.0 (.so, .a), LIBDIR/pkgconfig/coro.pc, coro-ring.pc
#   PREFIX/include/coro.h, coro_ring.h
#   MANDIR/man1/switchscope{,-CMD}.1, man3/coro.3, man7/coro-probes.7
#   PREFIX/share/bash-completion/completions/switchscope
#   DOCDIR/                        README.md and docs/*.md

CORO_VERSION := 0.1.0
CORO_SOVERSION := 0

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
# The CLI finds its helpers relative to itself (BINDIR/../libexec/
# switchscope): LIBEXECDIR must be that directory; install checks it.
LIBEXECDIR ?= $(PREFIX)/libexec/switchscope
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/switchscope
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

# help2man makes the section 1 pages; dpkg-dev (dpkg-shlibdeps,
# dpkg-architecture) serves make deb; the test reads the pages back with
# man-db and col (bsdextrautils), checks the packages with lintian and
# builds the DKMS package's module with dkms.
DEPS_PKGS += help2man dpkg-dev lintian man-db bsdextrautils dkms

# Dates in generated files: the last commit's, so that builds repeat.
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
SS_DATE := $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%F)

# ---- libcoro with a soname ---------------------------------------------
# build/lib/libcoro.so (soname libcoro.so, mk/coro.mk) stays what the
# tests link; the installed library is this one.
CORO_SO_V := $(B)/lib/libcoro.so.$(CORO_VERSION)
ALL += $(CORO_SO_V)
$(CORO_SO_V): $(CORO_OBJS_main)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -shared -Wl,-soname,libcoro.so.$(CORO_SOVERSION) -Wl,-z,noexecstack \
		-Wl,-z,relro -Wl,-z,now -o $@ $^ $(CORO_LIBS)

# ---- man pages ------------------------------------------------------------
MAN_DIR := $(B)/man
MAN1_STAMP := $(MAN_DIR)/.man1
MAN_PAGES := $(MAN_DIR)/coro.3 $(MAN_DIR)/coro-probes.7

# One page per command that `switchscope --help` lists, from its --help.
$(MAN1_STAMP): $(CLI) scripts/gen-man.sh scripts/md2man.awk README.md
	$(call msg,HELP2MAN,$(MAN_DIR)/*.1)
	$(Q)rm -f $(MAN_DIR)/*.1
	$(Q)scripts/gen-man.sh $(CLI) $(SS_VERSION) $(MAN_DIR)
	$(Q)touch $@
$(MAN_DIR)/coro.3: user/coro/coro.h scripts/man-coro.awk
	$(call msg,MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)expand $< | awk -v version=$(CORO_VERSION) -v date=$(SS_DATE) -f scripts/man-coro.awk > $@
$(MAN_DIR)/coro-probes.7: docs/PROBES.md scripts/md2man.awk
	$(call msg,MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)awk -v name=coro-probes -v section=7 -v date=$(SS_DATE) \
		-v source="switchscope $(SS_VERSION)" \
		-v summary="the coro USDT probe ABI and the coroutine trace ring" \
		-v seealso='\fBcoro\fR(3), \fBswitchscope\fR(1), \fBswitchscope\-record\fR(1), \fBswitchscope\-verify\fR(1)' \
		-f scripts/md2man.awk $< > $@
man: $(MAN1_STAMP) $(MAN_PAGES)

# ---- install / uninstall ------------------------------------------------
SS_HELPERS := $(B)/bin/ss-lab-create $(B)/bin/ss-lab-ipc $(B)/bin/ss-lab-hold \
	$(B)/bin/ss-lab-mixed $(B)/bin/ss-pingpong $(B)/bin/coro-pingpong
SS_DOCS := README.md $(wildcard docs/*.md)
INSTALL_D := install -d -m 755
D := $(DESTDIR)

CORO_PC_DESC := the coroutine runtime of switchscope, with USDT probes of provider coro
CORO_RING_PC_DESC := header-only writer of the coroutine trace ring, coro_ring.h (its ABI: coro-probes(7))

# $(call pc_file,NAME,DESCRIPTION,LIBS,LIBS_PRIVATE): a pkg-config file
# (DESCRIPTION: a variable's name, for the commas).
pc_file = printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
	'Name: $(1)' 'Description: $($(2))' 'Version: $(CORO_VERSION)' \
	$(if $(3),'Libs: -L$${libdir} $(3)') $(if $(4),'Libs.private: $(4)') \
	'Cflags: -I$${includedir}'

install: all man
	$(call msg,INSTALL,$(D)$(PREFIX))
	$(Q)[ "$(abspath $(BINDIR)/../libexec/switchscope)" = "$(abspath $(LIBEXECDIR))" ] || \
		{ echo "make install: LIBEXECDIR=$(LIBEXECDIR) is not BINDIR/../libexec/switchscope:" \
		       "switchscope would not find its helpers there" >&2; exit 1; }
	$(Q)$(INSTALL_D) $(D)$(BINDIR) $(D)$(LIBEXECDIR) $(D)$(LIBDIR) $(D)$(PKGCONFIGDIR) \
		$(D)$(INCLUDEDIR) $(D)$(MANDIR)/man1 $(D)$(MANDIR)/man3 $(D)$(MANDIR)/man7 \
		$(D)$(BASHCOMPDIR) $(D)$(DOCDIR)
	$(Q)install -m 755 $(CLI) $(D)$(BINDIR)/switchscope
	$(Q)install -m 755 $(SS_HELPERS) $(D)$(LIBEXECDIR)/
	$(Q)install -m 644 $(CORO_SO_V) $(D)$(LIBDIR)/
	$(Q)ln -sfn libcoro.so.$(CORO_VERSION) $(D)$(LIBDIR)/libcoro.so.$(CORO_SOVERSION)
	$(Q)ln -sfn libcoro.so.$(CORO_SOVERSION) $(D)$(LIBDIR)/libcoro.so
	$(Q)install -m 644 $(CORO_A) $(D)$(LIBDIR)/
	$(Q)install -m 644 user/coro/coro.h include/coro_ring.h $(D)$(INCLUDEDIR)/
	$(Q)$(call pc_file,coro,CORO_PC_DESC,-lcoro,-lpthread -lm) \
		> $(D)$(PKGCONFIGDIR)/coro.pc
	$(Q)$(call pc_file,coro-ring,CORO_RING_PC_DESC) \
		> $(D)$(PKGCONFIGDIR)/coro-ring.pc
	$(Q)install -m 644 $(MAN_DIR)/*.1 $(D)$(MANDIR)/man1/
	$(Q)install -m 644 $(MAN_DIR)/coro.3 $(D)$(MANDIR)/man3/
	$(Q)install -m 644 $(MAN_DIR)/coro-probes.7 $(D)$(MANDIR)/man7/
	$(Q)install -m 644 scripts/switchscope.bash-completion $(D)$(BASHCOMPDIR)/switchscope
	$(Q)install -m 644 $(SS_DOCS) $(D)$(DOCDIR)/

# What install wrote, by name (the man pages: those of this build).
uninstall:
	$(call msg,REMOVE,$(D)$(PREFIX))
	$(Q)rm -f $(D)$(BINDIR)/switchscope $(addprefix $(D)$(LIBEXECDIR)/,$(notdir $(SS_HELPERS))) \
		$(D)$(LIBDIR)/libcoro.so.$(CORO_VERSION) $(D)$(LIBDIR)/libcoro.so.$(CORO_SOVERSION) \
		$(D)$(LIBDIR)/libcoro.so $(D)$(LIBDIR)/libcoro.a \
		$(D)$(INCLUDEDIR)/coro.h $(D)$(INCLUDEDIR)/coro_ring.h \
		$(D)$(PKGCONFIGDIR)/coro.pc $(D)$(PKGCONFIGDIR)/coro-ring.pc \
		$(D)$(MANDIR)/man1/switchscope.1 $(foreach c,$(CLI_CMDS),$(D)$(MANDIR)/man1/switchscope-$(c).1) \
		$(D)$(MANDIR)/man3/coro.3 $(D)$(MANDIR)/man7/coro-probes.7 \
		$(D)$(BASHCOMPDIR)/switchscope $(addprefix $(D)$(DOCDIR)/,$(notdir $(SS_DOCS)))
	$(Q)rmdir $(D)$(LIBEXECDIR) $(D)$(DOCDIR) 2>/dev/null || true

# ---- Debian packages ----------------------------------------------------
DEB_DIR := $(B)/deb
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB_MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)

# switchscope, libcoro0, libcoro-dev, switchscope-dkms.
deb: all man
	$(Q)rm -rf $(DEB_DIR)/stage
	$(Q)$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(DEB_DIR)/stage PREFIX=/usr \
		LIBDIR=/usr/lib/$(DEB_MULTIARCH) LIBEXECDIR=/usr/libexec/switchscope
	$(Q)scripts/mkdeb.sh $(DEB_DIR)/stage $(DEB_DIR) $(SS_VERSION) $(DEB_ARCH) $(DEB_MULTIARCH)


# The suite runs make install, uninstall and deb itself; what they need
# is built first (make check builds every suite's prerequisites).
TEST_SUITES += tests/install/install.sh
tests/install/install.sh: all man

.PHONY: install uninstall deb man
