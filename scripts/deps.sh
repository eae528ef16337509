#!/bin/sh
# Install the Debian packages given as arguments that are not installed yet.
# Quiet and idempotent; without root or apt-get, print the command and fail.
set -u
missing=
for p in "$@"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "switchscope: missing packages. Run as root:" >&2
	echo "  $line" >&2
	exit 1
fi
echo "  DEPS    installing:$missing"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
# shellcheck disable=SC2086
if ! apt-get install -y -qq --no-install-recommends $missing >"$log" 2>&1; then
	apt-get update -qq >>"$log" 2>&1
	# shellcheck disable=SC2086
	if ! apt-get install -y -qq --no-install-recommends $missing >>"$log" 2>&1; then
		tail -n 20 "$log" >&2
		echo "switchscope: could not install packages; try:" >&2
		echo "  $line" >&2
		rm -f "$log"
		exit 1
	fi
fi
rm -f "$log"
