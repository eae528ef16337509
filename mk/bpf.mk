# BPF objects and their skeletons. vmlinux.h comes from the running kernel's
# BTF when it has one, else from the committed fallback bpf/vmlinux/$(ARCH).h
# (Linux 6.18; CO-RE relocates it to the running kernel at load time).

BPF_ARCH := $(subst x86_64,x86,$(subst aarch64,arm64,$(ARCH)))
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(BPF_SRCS:bpf/%.bpf.c=$(B)/bpf/%.bpf.o)
BPF_SKELS := $(BPF_SRCS:bpf/%.bpf.c=$(B)/gen/%.skel.h)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall \
	-Wno-unused-function -I$(B)/gen -Iinclude -Ibpf \
	-I/usr/include/$(ARCH)-linux-gnu

$(B)/gen/vmlinux.h: bpf/vmlinux/$(ARCH).h
	$(Q)mkdir -p $(@D)
	$(Q)if [ -r /sys/kernel/btf/vmlinux ] && \
	    $(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp 2>/dev/null; then \
		echo "  GEN     $@ (from /sys/kernel/btf/vmlinux)"; mv $@.tmp $@; \
	else \
		echo "  GEN     $@ (no kernel BTF: committed fallback)"; rm -f $@.tmp; cp $< $@; \
	fi

$(B)/bpf/%.bpf.o: bpf/%.bpf.c bpf/common.bpf.h bpf/cgroup.bpf.h include/switchscope.h $(B)/gen/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(B)/gen/%.skel.h: $(B)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@
