#!/bin/bash
# make install, make deb and the man pages, proved from the installed
# trees only:
#  - make install DESTDIR=STAGE PREFIX=/usr, the tree copied elsewhere and
#    run there in a mount namespace where this source tree (build/
#    included) is hidden under an empty tmpfs: record, report,
#    lab --quick, a program built with `pkg-config --cflags --libs coro`
#    against the installed libcoro seen by verify, coro-ring.pc, the bash
#    completion; make uninstall leaves nothing;
#  - every command's --help and its man page list the same options, and
#    the README names no option of a command that its --help lacks;
#  - make deb: lintian finds nothing; the packages installed with apt
#    on this machine: record and man switchscope-record from them, a
#    program linked with the packaged libcoro, the DKMS module built for
#    the installed kernel headers; purged: nothing of theirs is left.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
repo=$(pwd)
unset MAKEFLAGS MFLAGS MAKELEVEL
d=$(mktemp -d /tmp/ss-install.XXXXXX)
chmod 755 "$d"
PKGS="switchscope switchscope-dkms libcoro-dev libcoro0"
installed_by_us=0
cleanup() {
	if [ "$installed_by_us" = 1 ]; then
		apt-get purge -y -qq -o DPkg::Lock::Timeout=120 $PKGS >/dev/null 2>&1
	fi
	rm -rf "$d"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	fail needs_root "records with BPF and installs packages: run it as root"
	summary
	exit
fi

# ---- the staged install, run from a copy with the source tree hidden ----
if make -s -j2 --no-print-directory install DESTDIR="$d/stage" PREFIX=/usr >"$d/install.log" 2>&1; then
	pass make_install_into_destdir
else
	fail make_install_into_destdir "$(tail -5 "$d/install.log")"
	summary
	exit
fi
for f in usr/bin/switchscope usr/libexec/switchscope/ss-lab-ipc usr/libexec/switchscope/ss-pingpong \
	 usr/lib/libcoro.so.0 usr/lib/libcoro.a usr/include/coro.h usr/include/coro_ring.h \
	 usr/lib/pkgconfig/coro.pc usr/lib/pkgconfig/coro-ring.pc usr/share/man/man1/switchscope-record.1 \
	 usr/share/man/man3/coro.3 usr/share/man/man7/coro-probes.7 \
	 usr/share/bash-completion/completions/switchscope usr/share/doc/switchscope/PROBES.md; do
	[ -e "$d/stage/$f" ] || fail "installed_$f" "missing from DESTDIR"
done
pass installed_files_present
expect_eq libcoro_soname "$(readelf -d "$d/stage/usr/lib/libcoro.so.0" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" libcoro.so.0

cp -a "$d/stage" "$d/reloc"
cat > "$d/prog.c" <<'EOT'
#include <coro.h>
#include <stdio.h>

static void *worker(void *arg)
{
	for (int i = 0; i < 1000; i++)
		coro_yield();
	return arg;
}

static void *root(void *arg)
{
	struct coro *a = coro_create(worker, NULL, NULL);
	struct coro *b = coro_create(worker, NULL, NULL);

	coro_join(a, NULL);
	coro_join(b, NULL);
	coro_get_stats(arg);
	return NULL;
}

int main(void)
{
	struct coro_stats st;
	int r = coro_run(root, &st, NULL);

	printf("switches=%llu\n", (unsigned long long)st.switches);
	return r != 0 || st.switches < 2000;
}
EOT
cat > "$d/inside.sh" <<'EOT'
#!/bin/bash
# Runs in the mount namespace: REPO is an empty tmpfs here.
r=$D/reloc
P() { echo "PASS $1"; }
F() { echo "FAIL $1: $2"; }
C() { local n=$1; shift; if "$@" >"$D/out.$n" 2>&1; then P "$n"; else F "$n" "$(tail -3 "$D/out.$n" | tr '\n' ' ')"; fi; }
cd "$D" || exit 1
if [ -z "$(ls -A "$REPO")" ]; then P source_tree_hidden; else F source_tree_hidden "$REPO is visible"; fi
export PATH=$r/usr/bin:/usr/bin:/bin LD_LIBRARY_PATH=$r/usr/lib
C record_from_installed_tree switchscope record -q -o "$D/pp.trace" -- \
	"$r/usr/libexec/switchscope/ss-pingpong" --mode thread --switches 2000
C report_from_installed_tree switchscope report "$D/pp.trace"
grep -q thread "$D/out.report_from_installed_tree" || F report_shows_thread_switches "no 'thread' in the report"
# The lab's own suite (tests/lab/lab.sh) judges its figures and checks;
# here: it finds its workloads beside the installed binary (127 if not)
# and records its evidence. Exit 1 (a consistency check failed, which a
# loaded machine can cause) is reported, not failed.
switchscope lab --quick -q -o "$D/lab" >"$D/out.lab" 2>&1
rc=$?
case $rc in
0) P lab_quick_from_installed_tree ;;
1) P "lab_quick_from_installed_tree (exit 1: $(grep -A1 '^checks:' "$D/lab/lab.txt" | tr -s ' \n' ' '))" ;;
*) F lab_quick_from_installed_tree "exit $rc: $(tail -3 "$D/out.lab" | tr '\n' ' ')" ;;
esac
if grep -q '^trace: recorded with bpf' "$D/lab/lab.txt" 2>/dev/null && [ -s "$D/lab/traces/mixed.trace" ]; then
	P lab_records_its_evidence
else F lab_records_its_evidence "no 'trace: recorded with bpf' in lab.txt, or no traces/mixed.trace"; fi
export PKG_CONFIG_PATH=$r/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$r
C cc_with_pkg_config_coro gcc -O2 -Wall -o "$D/prog" "$D/prog.c" $(pkg-config --cflags --libs coro)
if readelf -d "$D/prog" 2>/dev/null | grep -q 'NEEDED.*\[libcoro.so.0\]'; then P prog_links_libcoro_so_0
else F prog_links_libcoro_so_0 "$(readelf -d "$D/prog" 2>&1 | grep NEEDED | tr '\n' ' ')"; fi
switchscope verify --json -- "$D/prog" >"$D/out.verify" 2>&1
v=$(grep -o '"verdict":"[A-Z]*","switches":[0-9]*' "$D/out.verify")
case $v in
'"verdict":"PASS","switches":'[0-9][0-9][0-9][0-9]*) P "verify_sees_prog_and_passes ($v)" ;;
*) F verify_sees_prog_and_passes "got '$v': $(tail -c 300 "$D/out.verify")" ;;
esac
# coro_ring.h's writer uses gettid() and memfd_create(): _GNU_SOURCE.
printf '#define _GNU_SOURCE\n#include <coro_ring.h>\nint main(void) { return sizeof(struct coro_ring_hdr) == 0; }\n' > "$D/ring.c"
C cc_with_pkg_config_coro_ring gcc -Wall -o "$D/ring" "$D/ring.c" $(pkg-config --cflags --libs coro-ring)
. "$r/usr/share/bash-completion/completions/switchscope"
COMP_WORDS=(switchscope rec); COMP_CWORD=1; _switchscope switchscope
[ "${COMPREPLY[*]}" = record ] && P completion_of_commands || F completion_of_commands "got '${COMPREPLY[*]}'"
COMP_WORDS=(switchscope record --switch-); COMP_CWORD=2; _switchscope switchscope
[ "${COMPREPLY[*]}" = --switch-in ] && P completion_of_options || F completion_of_options "got '${COMPREPLY[*]}'"
EOT
chmod +x "$d/inside.sh"
while IFS= read -r l; do
	case $l in
	"PASS "*) pass "${l#PASS }" ;;
	"FAIL "*) n=${l#FAIL }; fail "${n%%: *}" "${n#*: }" ;;
	*) echo "  $l" ;;
	esac
done < <(D=$d REPO=$repo unshare -m bash -c 'mount -t tmpfs -o size=1m none "$REPO" && exec "$D/inside.sh"' 2>&1)

# ---- every command's --help and its man page: the same options ----
opts() { grep -oE -- '(^|[][ ,|(])--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[][ ,|(]//' | sort -u; }
cli=$d/stage/usr/bin/switchscope
cmds=$("$cli" --help | awk '/^commands:/ { on = 1; next } on && /^   [a-z]/ { print $1 }')
for c in "" $cmds; do
	page=$d/stage/usr/share/man/man1/switchscope${c:+-$c}.1
	if [ ! -f "$page" ]; then fail "man_page_${c:-switchscope}" "no $page"; continue; fi
	h=$("$cli" $c --help | opts)
	# the page's own sections (switchscope(1)'s EXIT STATUS is the README's table) are not --help's
	m=$(MANWIDTH=500 man --nh --nj -l "$page" 2>/dev/null | col -b | sed '/^EXIT STATUS/,$d; /^SEE ALSO/,$d' | opts)
	if [ -n "$h" ] && [ "$h" = "$m" ]; then
		pass "help_and_man_same_options_${c:-switchscope} ($(echo $h | wc -w))"
	else
		fail "help_and_man_same_options_${c:-switchscope}" "only in --help: $(comm -23 <(echo "$h") <(echo "$m") | tr '\n' ' ') only in the page: $(comm -13 <(echo "$h") <(echo "$m") | tr '\n' ' ')"
	fi
done
[ -n "$cmds" ] && [ "$(echo $cmds | wc -w)" -ge 7 ] && pass "man_pages_for_every_command ($(echo $cmds))" || fail man_pages_for_every_command "commands: '$cmds'"

# The README's section of each command names only options its --help has
# (the options of the traced programs, after " -- ", are theirs; one of
# another command, as in "record --stacks", is that command's).
# the other commands, as an ERE alternation
others() { echo "$cmds" | tr ' ' '\n' | grep -vx "$1" | paste -sd'|'; }
readme_section() { awk -v h="$1" 'index($0, h) == 1 { on = 1; next } on && /^##/ { exit } on' README.md; }
for hc in "### Record:record" "### Flight recorder:record" "### Report:report" \
	  "### Timeline in the terminal:timehist" "### Timelines in a browser:export" \
	  "### Big traces in a browser:view" "### Verify:verify" \
	  "## The kernel module backend:kmod" "## The lab:lab"; do
	c=${hc##*:}
	r=$(readme_section "${hc%:*}" | sed 's/ -- .*//' | tr '`=' '  ' |
		sed -E "s/(^|[^a-z])($(others "$c"))( -[a-z] [a-z]+)? --[a-zA-Z][a-zA-Z0-9-]*/\\1\\2/g" | grep -oE -- '(^|[][ ,|(])--[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[][ ,|(]//' | sort -u)
	h=$("$cli" "$c" --help | opts)
	stale=$(comm -23 <(echo "$r") <(echo "$h") | tr '\n' ' ')
	n=$c; [ "$c" = record ] && [ "${hc%%:*}" != "### Record" ] && n=record_flight
	if [ -z "$r" ]; then fail "readme_options_exist_$n" "no README section '${hc%:*}' or no options in it"
	elif [ -z "${stale// /}" ]; then pass "readme_options_exist_$n ($(echo $r | wc -w))"
	else fail "readme_options_exist_$n" "the README names options '$c --help' lacks: $stale"; fi
done

# ---- make uninstall leaves nothing ----
if make -s --no-print-directory uninstall DESTDIR="$d/stage" PREFIX=/usr >"$d/uninstall.log" 2>&1; then
	left=$(find "$d/stage" ! -type d)
	expect_eq uninstall_leaves_no_files "$left" ""
else
	fail uninstall "$(tail -3 "$d/uninstall.log")"
fi

# ---- make deb, lintian, install, use, purge ----
if make -s -j2 --no-print-directory deb >"$d/deb.log" 2>&1; then pass make_deb
else fail make_deb "$(tail -5 "$d/deb.log")"; summary; exit; fi
debs=(build/deb/switchscope_*.deb build/deb/switchscope-dkms_*.deb build/deb/libcoro0_*.deb build/deb/libcoro-dev_*.deb)
expect_eq four_packages "$(ls "${debs[@]}" 2>/dev/null | wc -l)" 4
lint=$(lintian --pedantic "${debs[@]}" 2>&1 | grep -E '^[EWX]:')
expect_eq lintian_no_errors_or_warnings "$lint" ""
dep=$(dpkg-deb -f build/deb/switchscope_*.deb Depends)
case $dep in
*libbpf1*libelf1*zlib1g*) case $dep in *-dev*|*clang*|*gcc*) fail runtime_depends_only "$dep" ;;
			 *) pass "runtime_depends_only ($dep)" ;; esac ;;
*) fail runtime_depends_only "Depends: $dep" ;;
esac

busy=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'installed' && busy="$busy $p"
done
[ -e /usr/bin/switchscope ] && busy="$busy /usr/bin/switchscope"
if [ -n "$busy" ]; then
	fail packages_not_installed_before "already on this machine:$busy (not touching them)"
	summary
	exit
fi
pass packages_not_installed_before
contents=$(for f in "${debs[@]}"; do dpkg-deb -c "$f"; done | awk '$1 !~ /^d/ { sub(/ -> .*/, ""); print $NF }' | sed 's|^\./|/|')
installed_by_us=1
if apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=120 \
	"${debs[@]/#/./}" >"$d/apt.log" 2>&1; then pass apt_installs_the_packages
else fail apt_installs_the_packages "$(tail -5 "$d/apt.log")"; fi
if (cd "$d" && /usr/bin/switchscope record -q -o pkg.trace -- /usr/libexec/switchscope/ss-pingpong \
	--mode process --switches 1000) >"$d/pkg-record.log" 2>&1 && [ -s "$d/pkg.trace" ]; then
	pass record_from_package
else fail record_from_package "$(tail -3 "$d/pkg-record.log")"; fi
# --version names the package's version and the format the header defines
pv=$(dpkg-query -W -f '${Version}' switchscope 2>/dev/null)
fv=$(awk '/define SS_FILE_MAJOR/ { a = $3 } /define SS_FILE_MINOR/ { b = $3 } END { print a "." b }' include/switchscope.h)
v=$(/usr/bin/switchscope --version 2>&1)
case $v in
"switchscope $pv"*"trace format $fv"*) pass "version_of_package_and_format ($(echo $v | tr '\n' ' '))" ;;
*) fail version_of_package_and_format "package $pv, format $fv; --version printed: $v" ;;
esac
if MANPAGER=cat MANWIDTH=100 man switchscope-record 2>/dev/null | grep -q -- '--buffer-size'; then
	pass man_switchscope_record_from_package
else fail man_switchscope_record_from_package "man switchscope-record does not show --buffer-size"; fi
if env MANPAGER=cat man 3 coro 2>/dev/null | grep -q coro_create; then pass man_3_coro
else fail man_3_coro "no coro_create in man 3 coro"; fi
if env MANPAGER=cat man 7 coro-probes 2>/dev/null | grep -q coro:switch; then pass man_7_coro_probes
else fail man_7_coro_probes "no coro:switch in man 7 coro-probes"; fi
# shellcheck disable=SC2046 # pkg-config's words are separate arguments
if gcc -O2 -o "$d/prog-pkg" "$d/prog.c" $(pkg-config --cflags --libs coro) 2>"$d/cc.log" &&
   "$d/prog-pkg" >"$d/prog-pkg.out" 2>&1; then pass prog_with_packaged_libcoro
else fail prog_with_packaged_libcoro "$(cat "$d/cc.log" "$d/prog-pkg.out" | tail -3)"; fi
# The module for the kernel whose headers are installed (the running one
# here may have no module support).
kdir=$(ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1)
if [ -n "$kdir" ]; then
	kver=$(basename "$(dirname "$kdir")")
	ver=$(dpkg-deb -f build/deb/switchscope-dkms_*.deb Version)
	if dkms build -m switchscope -v "$ver" -k "$kver" >"$d/dkms.log" 2>&1 &&
	   [ -f "/var/lib/dkms/switchscope/$ver/$kver/$(uname -m)/module/switchscope.ko" ]; then
		pass "dkms_builds_module_for_$kver"
	else fail "dkms_builds_module_for_$kver" "$(tail -5 "$d/dkms.log")"; fi
else
	echo "  (no kernel headers: the DKMS build is not tried)"
fi

if apt-get purge -y -qq -o DPkg::Lock::Timeout=120 $PKGS >"$d/purge.log" 2>&1; then
	installed_by_us=0
	pass apt_purges_the_packages
else fail apt_purges_the_packages "$(tail -5 "$d/purge.log")"; fi
left=""
for f in $contents /usr/libexec/switchscope /usr/src/switchscope-* /var/lib/dkms/switchscope \
	/usr/share/doc/switchscope /usr/share/doc/libcoro0 /usr/share/doc/libcoro-dev /usr/share/doc/switchscope-dkms; do
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
expect_eq purge_leaves_nothing "$left" ""
still=$(for p in $PKGS; do dpkg-query -W -f='${Package} ${Status}\n' "$p" 2>/dev/null; done | grep -v 'not-installed')
expect_eq dpkg_forgets_the_packages "$still" ""
summary
