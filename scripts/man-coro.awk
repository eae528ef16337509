#!/usr/bin/awk -f
# coro(3) from user/coro/coro.h: the header's opening comment becomes the
# DESCRIPTION (its unindented one-word lines the subsections), and the API
# (between the visibility pragmas) is shown as the header has it, with
# its comments: the header stays the one place the API is documented.
#
#   expand coro.h | awk -v version=0.1.0 -v date=YYYY-MM-DD -f scripts/man-coro.awk

function esc(s) { gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); return s }
function line(s) { if (s ~ /^[.']/) s = "\\&" s; print s }
BEGIN {
	printf ".TH CORO 3 \"%s\" \"switchscope %s\" \"switchscope manual\"\n", date, version
	print ".SH NAME"
	print "coro \\- the coroutine runtime of switchscope (libcoro)"
	print ".SH SYNOPSIS"
	print ".nf"
	print ".B #include <coro.h>"
	print ".PP"
	print "Link with \\fI\\-lcoro\\fR, or \\fI$(pkg\\-config \\-\\-cflags \\-\\-libs coro)\\fR"
	print "(static: \\fI$(pkg\\-config \\-\\-static \\-\\-cflags \\-\\-libs coro)\\fR with \\fI\\-static\\fR or libcoro.a)."
	print ".fi"
	print ".SH DESCRIPTION"
	state = 0	# 0 before the comment, 1 in it, 2 after, 3 in the API
}
state == 0 && /^\/\*$/ { state = 1; para = 0; next }
state == 1 && /^ \*\/$/ { state = 2; next }
state == 1 {
	s = $0; sub(/^ \* ?/, "", s); sub(/^ \*$/, "", s)
	if (s ~ /^coro: /) next			# the one-line title: NAME says it
	if (s == "") { if (pre) print ".fi"; pre = 0; para = 0; next }
	if (s ~ /^[A-Z][A-Za-z-]*( \([^)]*\))?$/) { if (pre) print ".fi"; print ".SS " esc(s); para = pre = 0; next }
	sub(/^  /, "", s)			# a subsection's body
	if (s ~ /^ / || s ~ /[^ ]   /) {	# aligned columns: keep the layout
		if (!pre) { print ".PP\n.nf"; pre = 1 }
		line(esc(s)); next
	}
	if (pre) { print ".fi"; pre = 0; para = 0 }
	if (!para) { print ".PP"; para = 1 }
	line(esc(s)); next
}
state == 2 && /^#pragma GCC visibility push/ { state = 3; print ".SH API"; print ".EX"; next }
state == 3 && /^#pragma GCC visibility pop/ { print ".EE"; state = 4; next }
state == 3 { line(esc($0)); next }
END {
	print ".SH SEE ALSO"
	print "\\fBcoro\\-probes\\fR(7) (the probe ABI and the trace ring of \\fI<coro_ring.h>\\fR),"
	print "\\fBswitchscope\\fR(1), \\fBswitchscope\\-verify\\fR(1), \\fBpkg\\-config\\fR(1)"
}
