#!/bin/sh
# mkinitramfs.sh OUT BUSYBOX INIT TIMEOUT "TESTS" "FILES": the guest's
# initramfs for `make vm-test`. The root mirrors the repository: every test
# and file keeps its path (build/bin/switchscope, tests/lib.sh, ...), so
# scripts written for the repository root run unchanged. A FILES entry
# HOST:GUEST puts HOST at GUEST. Everything must be statically linked.
set -eu
out=$1 busybox=$2 init=$3 timeout=$4 tests=$5 files=$6
root=${out%.cpio.gz}.root
rm -rf "$root"
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/etc"
cp "$busybox" "$root/bin/busybox"
for app in $("$busybox" --list); do
	[ "$app" = busybox ] || ln -s busybox "$root/bin/$app"
done
cp "$init" "$root/init"
chmod 755 "$root/init"
echo "root:x:0:0:root:/tmp:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/tmp:/bin/sh" >>"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
echo "nogroup:x:65534:" >>"$root/etc/group"
put() {
	mkdir -p "$root/$(dirname "$2")"
	cp -L "$1" "$root/$2"
}
for f in $files; do
	case $f in
	*:*) put "${f%%:*}" "${f#*:}" ;;
	*) put "$f" "$f" ;;
	esac
done
: >"$root/vmtests.list"
for t in $tests; do
	put "$t" "$t"
	echo "$t" >>"$root/vmtests.list"
done
echo "$timeout" >"$root/vmtests.timeout"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
