# Debian packages for the core build and tests. Other fragments add theirs.
DEPS_PKGS += make gcc clang llvm pkg-config libbpf-dev bpftool libelf-dev \
	zlib1g-dev libclang-rt-14-dev linux-perf bpftrace

deps:
	$(Q)scripts/deps.sh $(sort $(DEPS_PKGS))
