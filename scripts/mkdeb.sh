#!/bin/bash
# Debian packages from a tree staged by `make install DESTDIR=STAGE
# PREFIX=/usr` (make deb does both), with dpkg-deb:
#
#   switchscope        the CLI, its helper programs, section 1 pages,
#                      bash completion, the documentation
#   libcoro0           the runtime's shared library (soname libcoro.so.0)
#   libcoro-dev        headers (coro.h, coro_ring.h), libcoro.a, the .so
#                      link, pkg-config files, coro(3), coro-probes(7)
#   switchscope-dkms   the kernel module's source for DKMS (kmod/, Kbuild,
#                      include/switchscope.h): built per kernel on the
#                      machine that installs it
#
# Depends come from dpkg-shlibdeps on the packaged ELF files (what they
# link at run time), never from the build.
#
#   scripts/mkdeb.sh STAGE OUTDIR VERSION ARCH MULTIARCH
set -euo pipefail
stage=$(realpath "$1") out=$2 version=$3 arch=$4 ma=$5
src=$(cd "$(dirname "$0")/.." && pwd)
maint="switchscope maintainers <maintainers@users.noreply.r-seed-dd4df1c2.example>"
date=$(date -u -R -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")
year=$(date -u +%Y -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")
work=$out/work
rm -rf "$work" && mkdir -p "$work" "$out"
work=$(realpath "$work")
rm -f "$out"/*.deb

# take PKG PATH...: copy staged paths (relative to STAGE) into PKG's tree.
take() {
	local pkg=$1 p; shift
	for p in "$@"; do
		mkdir -p "$work/$pkg/$(dirname "$p")"
		cp -a "$stage/$p" "$work/$pkg/$p"
	done
}

# Every package carries its copyright and changelog (policy 12.5, 12.7).
doc_files() {	# PKG
	local d="$work/$1/usr/share/doc/$1"
	mkdir -p "$d"
	cat > "$d/copyright" <<EOT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: switchscope
Comment: The source tree has no top-level licence file yet. The licences
 below are the SPDX identifiers its files carry; files without one carry
 no licence statement.

Files: user/coro/* include/coro_ring.h
Copyright: $year the switchscope authors
License: GPL-2.0-only or BSD-2-Clause
 On Debian systems the GPL version 2 is in
 /usr/share/common-licenses/GPL-2; the BSD-2-Clause text is the
 licence's SPDX text.

Files: kmod/*
Copyright: $year the switchscope authors
License: GPL-2.0-only
 On Debian systems the full text is in /usr/share/common-licenses/GPL-2.
EOT
	printf '%s (%s) unstable; urgency=medium\n\n  * Package built by make deb (scripts/mkdeb.sh).\n\n -- %s  %s\n' \
		"$1" "$version" "$maint" "$date" | gzip -9n > "$d/changelog.gz"
}

# compress_docs PKG: man pages always, other docs above 4 KiB (policy 12.3).
compress_docs() {
	local t="$work/$1/usr/share"
	[ -d "$t/man" ] && find "$t/man" -type f -name '*.[0-9]' -exec gzip -9n {} +
	[ -d "$t/doc/$1" ] && find "$t/doc/$1" -type f -size +4k ! -name '*.gz' \
		! -name copyright -exec gzip -9n {} +
	return 0
}

# shlibdeps PKG FILE...: the Depends the ELF files need, as dpkg-shlibdeps
# finds them (it wants a debian/control; a minimal one is enough).
shlibdeps() {
	local pkg=$1; shift
	mkdir -p "$work/sd/debian"
	printf 'Source: switchscope\n\nPackage: %s\nArchitecture: any\n' "$pkg" > "$work/sd/debian/control"
	(cd "$work/sd" && dpkg-shlibdeps -O -l"$work/libcoro0/usr/lib/$ma" "$@" 2>/dev/null) |
		sed -n 's/^shlibs:Depends=//p'
}

# build PKG: DEBIAN/control from the fields on stdin, then dpkg-deb.
build() {
	local pkg=$1 size
	mkdir -p "$work/$pkg/DEBIAN"
	find "$work/$pkg" -path "$work/$pkg/DEBIAN" -prune -o -type d -exec chmod 755 {} +
	size=$(du -sk --exclude=DEBIAN "$work/$pkg" | cut -f1)
	{ printf 'Package: %s\nVersion: %s\n' "$pkg" "$version"; cat
	  printf 'Maintainer: %s\nInstalled-Size: %s\n' "$maint" "$size"; } > "$work/$pkg/DEBIAN/control"
	(cd "$work/$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
		sort -z | xargs -0r md5sum) > "$work/$pkg/DEBIAN/md5sums"
	dpkg-deb --root-owner-group -Zxz --build "$work/$pkg" "$out/${pkg}_${version}_$(sed -n 's/^Architecture: //p' "$work/$pkg/DEBIAN/control").deb" >/dev/null
	echo "  DEB     $out/${pkg}_${version}_$(sed -n 's/^Architecture: //p' "$work/$pkg/DEBIAN/control").deb"
}

# ---- libcoro0 ----
take libcoro0 "usr/lib/$ma/libcoro.so.0" "usr/lib/$ma/libcoro.so.$version"
strip --strip-unneeded --remove-section=.comment "$work/libcoro0/usr/lib/$ma/libcoro.so.$version"
doc_files libcoro0
mkdir -p "$work/libcoro0/DEBIAN"
echo "libcoro 0 libcoro0 (>= $version)" > "$work/libcoro0/DEBIAN/shlibs"
echo "activate-noawait ldconfig" > "$work/libcoro0/DEBIAN/triggers"
deps=$(shlibdeps libcoro0 "$work/libcoro0/usr/lib/$ma/libcoro.so.$version")
build libcoro0 <<EOT
Architecture: $arch
Multi-Arch: same
Section: libs
Priority: optional
Depends: $deps
Description: coroutine runtime with USDT probes (shared library)
 libcoro is the C coroutine runtime of switchscope: a hand-written context
 switch, guarded stacks, a scheduler per thread, channels, sleep and I/O
 that parks the coroutine. Its switches are reported through USDT probes
 of provider coro and a shared-memory trace ring, at no cost when nobody
 traces.
EOT

# ---- libcoro-dev ----
take libcoro-dev usr/include/coro.h usr/include/coro_ring.h "usr/lib/$ma/libcoro.so" \
	"usr/lib/$ma/libcoro.a" "usr/lib/$ma/pkgconfig" usr/share/man/man3 usr/share/man/man7
strip --strip-debug --remove-section=.comment "$work/libcoro-dev/usr/lib/$ma/libcoro.a"
doc_files libcoro-dev
compress_docs libcoro-dev
build libcoro-dev <<EOT
Architecture: $arch
Multi-Arch: same
Section: libdevel
Priority: optional
Depends: libcoro0 (= $version)
Description: coroutine runtime with USDT probes (development files)
 Headers, static library and pkg-config files (coro, coro-ring) of
 libcoro, the coroutine runtime of switchscope, and the header-only writer
 of its trace ring (coro_ring.h) that any runtime can use. coro(3)
 documents the API, coro-probes(7) the probe ABI.
EOT

# ---- switchscope ----
take switchscope usr/bin/switchscope usr/libexec/switchscope usr/share/man/man1 \
	usr/share/bash-completion usr/share/doc/switchscope
elfs=("$work/switchscope/usr/bin/switchscope" "$work/switchscope/usr/libexec/switchscope/"*)
strip --strip-unneeded --remove-section=.comment "${elfs[@]}"
doc_files switchscope
compress_docs switchscope
deps=$(shlibdeps switchscope "${elfs[@]}")
build switchscope <<EOT
Architecture: $arch
Section: devel
Priority: optional
Depends: $deps
Suggests: switchscope-dkms, libcoro-dev
Description: trace and measure process, thread and coroutine switches
 switchscope records every kernel context switch, wakeup and task creation
 (eBPF, or a kernel module) and every switch of coroutine runtimes that
 emit the coro USDT probes into one trace on one clock. It prints tables
 and timelines, exports HTML and Perfetto timelines, verifies that
 coroutine switches never enter the kernel, and measures processes,
 threads and coroutines against each other (switchscope lab).
EOT

# ---- switchscope-dkms ----
d="$work/switchscope-dkms/usr/src/switchscope-$version"
mkdir -p "$d/kmod" "$d/include"
cp "$src"/kmod/*.[ch] "$d/kmod/"
cp "$src/include/switchscope.h" "$d/include/"
# -Werror is for this tree's CI; on a user's newer kernel a new warning
# must not stop the module from building.
sed 's/ -Werror//' "$src/Kbuild" > "$d/Kbuild"
cat > "$d/dkms.conf" <<EOT
PACKAGE_NAME="switchscope"
PACKAGE_VERSION="$version"
BUILT_MODULE_NAME[0]="switchscope"
DEST_MODULE_LOCATION[0]="/updates/dkms"
MAKE[0]="make -C \${kernel_source_dir} M=\${dkms_tree}/\${PACKAGE_NAME}/\${PACKAGE_VERSION}/build modules"
CLEAN="make -C \${kernel_source_dir} M=\${dkms_tree}/\${PACKAGE_NAME}/\${PACKAGE_VERSION}/build clean"
AUTOINSTALL="yes"
EOT
find "$d" -type f -exec chmod 644 {} +
doc_files switchscope-dkms
mkdir -p "$work/switchscope-dkms/DEBIAN"
# What dh_dkms's scripts do: add the source, build and install for the
# running kernel when its headers are there (dkms autoinstall does the
# others when their headers arrive); remove every build on removal.
cat > "$work/switchscope-dkms/DEBIAN/postinst" <<EOT
#!/bin/sh
set -e
if [ "\$1" = configure ]; then
	dkms status -m switchscope -v $version | grep -q . || dkms add -m switchscope -v $version
	if [ -e "/lib/modules/\$(uname -r)/build" ]; then
		dkms install -m switchscope -v $version -k "\$(uname -r)" || \
			echo "switchscope-dkms: the module did not build for \$(uname -r); see /var/lib/dkms/switchscope/$version/build/make.log" >&2
	else
		echo "switchscope-dkms: no headers for \$(uname -r): 'dkms install -m switchscope -v $version -k KERNEL' builds it for another kernel"
	fi
fi
EOT
cat > "$work/switchscope-dkms/DEBIAN/prerm" <<EOT
#!/bin/sh
set -e
case "\$1" in
remove|upgrade|deconfigure)
	if dkms status -m switchscope -v $version | grep -q .; then
		dkms remove -m switchscope -v $version --all
	fi
	;;
esac
EOT
chmod 755 "$work/switchscope-dkms/DEBIAN/postinst" "$work/switchscope-dkms/DEBIAN/prerm"
build switchscope-dkms <<EOT
Architecture: all
Section: kernel
Priority: optional
Depends: dkms
Suggests: switchscope
Description: kernel module backend of switchscope (DKMS source)
 The switchscope kernel module (/dev/switchscope): probes on the scheduler
 tracepoints, per-CPU ring buffers and a char device, the second backend
 of switchscope record (--backend kmod). DKMS builds it for each installed
 kernel that has its headers.
EOT
