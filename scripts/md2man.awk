#!/usr/bin/awk -f
# Markdown (the subset docs/*.md use) to a man page, so that a page of
# section 3/5/7 is generated from the document the source tree already
# keeps instead of being a second copy of it.
#
#   awk -v name=coro-probes -v section=7 -v summary="..." -v source=... \
#       -v date=YYYY-MM-DD -v seealso="..." -f scripts/md2man.awk FILE.md
#
# With -v body=1, only the converted text (no .TH, NAME or SEE ALSO): a
# section to include into another page.
#
# Handles: # title (dropped: NAME says it), ##/### headings, paragraphs,
# ``` blocks, tables (one .TP per row: first cell, then the others), lists
# (-, 1.), `code`, **bold**, [text](link).

function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	return s
}
function inline(s,    out, i, c, code, bold) {
	# [text](target) -> text
	while (match(s, /\[[^]]*\]\([^)]*\)/)) {
		t = substr(s, RSTART + 1, RLENGTH - 2)
		sub(/\]\(.*/, "", t)
		s = substr(s, 1, RSTART - 1) t substr(s, RSTART + RLENGTH)
	}
	s = esc(s)
	out = ""; code = 0; bold = 0
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "`") { out = out (code ? "\\fR" : "\\fB"); code = !code; continue }
		if (!code && substr(s, i, 2) == "**") { out = out (bold ? "\\fR" : "\\fB"); bold = !bold; i++; continue }
		out = out c
	}
	return out
}
function line(s) {	# a text line: no leading . or ' for roff
	if (s ~ /^[.']/) s = "\\&" s
	print s
}
function flush() { para = 0 }
BEGIN {
	fence = 0; para = 0
	if (!body) {
		printf ".TH %s %s \"%s\" \"%s\" \"%s\"\n", toupper(name), section, date, source, "switchscope manual"
		printf ".SH NAME\n%s \\- %s\n.SH DESCRIPTION\n", esc(name), summary
	}
}
/^```/ { if (!fence) { print ".PP\n.EX"; fence = 1 } else { print ".EE"; fence = 0; para = 0 }; next }
fence { gsub(/\\/, "\\e"); line($0); next }
/^# / { next }
/^## / { sub(/^## +/, ""); print ".SH " toupper(inline($0)); para = 0; next }
/^### / { sub(/^### +/, ""); print ".SS " inline($0); para = 0; next }
/^\|[ -|]*\|$/ && /---/ { next }
/^\|/ {
	n = split($0, cell, /\|/)
	if (!tblhead) { tblhead = 1; next }	# the header row
	gsub(/^ +| +$/, "", cell[2])
	print ".TP"; line(inline(cell[2]))
	t = ""
	for (i = 3; i < n; i++) { c = cell[i]; gsub(/^ +| +$/, "", c); if (c != "") t = t (t == "" ? "" : "; ") c }
	line(inline(t)); para = 0; next
}
{ tblhead = 0 }
/^[ \t]*$/ { para = 0; next }
/^([0-9]+\.|-) / {
	tag = $1; sub(/^([0-9]+\.|-) +/, "")
	print ".IP " (tag == "-" ? "\\(bu" : tag) " 4"; line(inline($0)); para = 1; next
}
{
	if (!para) { print ".PP"; para = 1 }
	sub(/^ +/, ""); line(inline($0))
}
END {
	if (!body && seealso != "") printf ".SH SEE ALSO\n%s\n", seealso
}
