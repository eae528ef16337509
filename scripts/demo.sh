#!/bin/bash
# make demo: the lab. What is commonly taught about processes, threads and
# coroutines, measured on this machine under tracing; the table is printed,
# and the table, its JSON, the traces behind it and the HTML timeline of a
# short run of all three kinds at once are written to build/lab/.
set -u
cd "$(dirname "$0")/.."
out=build/lab
if [ "$(id -u)" != 0 ]; then
	echo "note: not root, so nothing can be recorded: the lab measures the figures"
	echo "      but has no trace evidence (run 'sudo make demo' for it)"
	echo
fi
# traces of an earlier run would be listed with this one's
rm -rf "$out/traces"
build/bin/switchscope lab -o "$out"
rc=$?
echo
echo "the table:      $out/lab.txt"
echo "as JSON:        $out/lab.json (docs/LAB-JSON.md)"
if [ -s "$out/mixed.html" ]; then
	echo "the timeline:   $out/mixed.html (open it in a browser: processes, threads"
	echo "                and coroutines running at once)"
fi
if [ -n "$(ls -A "$out/traces" 2>/dev/null)" ]; then
	echo "the traces:     $out/traces/ (e.g. build/bin/switchscope report $out/traces/switch-process.trace)"
fi
exit "$rc"
