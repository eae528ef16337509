#!/bin/bash
# The section 1 man pages from the built binary's --help, by help2man:
# switchscope.1 and switchscope-CMD.1 for every command that
# `switchscope --help` lists. The --help texts (user/cli/) are the one
# source: a man page never says what the binary does not.
#
#   scripts/gen-man.sh CLI VERSION OUTDIR
set -euo pipefail
cli=$(realpath "$1") version=$2 out=$3
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmds=$("$cli" --help | awk '/^commands:/ { on = 1; next } on && NF >= 2 && /^   / { print $1 }')
[ -n "$cmds" ] || { echo "gen-man.sh: '$cli --help' lists no commands" >&2; exit 1; }

see_also() {	# the pages of the other commands, and the library's
	local self=$1 c list=""
	[ "$self" = switchscope ] || list="\\fBswitchscope\\fR(1)"
	for c in $cmds; do
		[ "switchscope-$c" = "$self" ] && continue
		list+="${list:+, }\\fBswitchscope\\-$c\\fR(1)"
	done
	printf '%s, \\fBcoro\\fR(3), \\fBcoro\\-probes\\fR(7)\n' "$list"
}

# switchscope(1)'s EXIT STATUS: the README's table, the one list of them.
exit_status() {
	printf '[EXIT STATUS]\n'
	awk '/^## Exit codes/ { on = 1; next } on && /^## / { exit } on' "$src/README.md" |
		awk -v body=1 -f "$src/scripts/md2man.awk"
}

# help2man recognises "Usage:"; ours print "usage:". A wrapper per page
# runs the real binary and answers --help and --version.
page() {	# NAME SUMMARY ARGS...
	local name=$1 summary=$2; shift 2
	local w="$tmp/$name"
	{
		printf '#!/bin/sh\n'
		printf '[ "$1" = --version ] && { echo "%s %s"; exit 0; }\n' "$name" "$version"
		printf '%q ' "$cli" "$@"
		printf -- '--help | sed "s/^usage:/Usage:/; s/^       switchscope/   or: switchscope/"\n'
	} > "$w"
	chmod +x "$w"
	{
		printf '[NAME]\n%s \\- %s\n' "$name" "$summary"
		[ "$name" = switchscope ] && exit_status
		printf '[SEE ALSO]\n'; see_also "$name"
		printf '\nThe README and docs/ of the source tree;'
		printf ' /usr/share/doc/switchscope/ when installed.\n'
	} > "$tmp/$name.h2m"
	help2man --no-info --section=1 --source="switchscope $version" \
		--manual="switchscope manual" --include="$tmp/$name.h2m" \
		--output="$out/$name.1" "$w"
	# help2man titles the page after the wrapper's file name: keep it.
}

page switchscope "trace and measure process, thread and coroutine context switches"
for c in $cmds; do
	summary=$("$cli" --help | awk -v c="$c" '$1 == c && /^   / { $1 = ""; sub(/^ +/, ""); print; exit }')
	page "switchscope-$c" "$summary" "$c"
done
