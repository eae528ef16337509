# Debian packages for the core build and tests. Other fragments add theirs.
DEPS_PKGS += make gcc clang llvm pkg-config libbpf-dev bpftool libelf-dev \
	zlib1g-dev libclang-rt-14-dev linux-perf bpftrace
DEPS_PKGS += libzstd-dev	# trace chunks (user/trace/trace_zstd.c); runtime: libzstd1
DEPS_PKGS += libdw-dev	# stack symbols (user/stacks/resolve.c); runtime: libdw1
DEPS_PKGS += libstdc++-12-dev	# C++ names demangled (user/stacks/demangle.c); runtime: libstdc++6

deps:
	$(Q)scripts/deps.sh $(sort $(DEPS_PKGS))
