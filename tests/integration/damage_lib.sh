# shellcheck shell=bash
# Shell helpers to damage a trace file (format 2.x, docs/FORMAT.md) the way
# bit rot, a bad copy or a hostile hand would. Source after tests/lib.sh.

# u32 FILE OFFSET: the little-endian 32-bit value there
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
# peek FILE OFFSET: the byte there
peek() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
# poke FILE OFFSET BYTE
# shellcheck disable=SC2059 # the format is the \xNN escape of the byte
poke() { printf "\\x$(printf %02x "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# put32 FILE OFFSET VALUE
put32() {
	local i
	for i in 0 1 2 3; do poke "$1" $(($2 + i)) $((($3 >> (8 * i)) & 255)); done
}
# crc32 FILE OFFSET LEN: zlib's CRC-32, read off gzip's trailer
crc32() { tail -c +$(($2 + 1)) "$1" | head -c "$3" | gzip -c | tail -c 8 | od -An -tu4 -N4 | tr -d ' '; }

# chunks FILE: one line per chunk, "offset type bytes" (header included)
chunks() {
	local f=$1 off=16 size sz
	size=$(stat -c %s "$f")
	while [ $((off + 32)) -le "$size" ]; do
		sz=$(u32 "$f" $((off + 8)))
		echo "$off $(u32 "$f" $((off + 4))) $((32 + sz))"
		off=$((off + 32 + sz))
	done
}

# cut_bytes FILE OFFSET LEN / dup_bytes FILE OFFSET LEN: to stdout
cut_bytes() { head -c "$2" "$1"; tail -c +$(($2 + $3 + 1)) "$1"; }
dup_bytes() { head -c $(($2 + $3)) "$1"; tail -c +$(($2 + 1)) "$1"; }

# set_u32 FILE CHUNK-OFFSET PAYLOAD-OFFSET VALUE: change a payload field
# and make both CRCs of the chunk match again
set_u32() {
	local f=$1 c=$2
	put32 "$f" $((c + 32 + $3)) "$4"
	put32 "$f" $((c + 12)) "$(crc32 "$f" $((c + 32)) "$(u32 "$f" $((c + 8)))")"
	put32 "$f" $((c + 28)) "$(crc32 "$f" "$c" 28)"
}

# to_v1 IN OUT: the uncompressed 2.x trace IN rewritten in format 1.0
# (major 1, 16-byte chunk headers: magic, type, size and payload CRC as
# they are; the last META only, as 1.0 has exactly one)
to_v1() {
	local in=$1 out=$2 off type len lastmeta
	lastmeta=$(chunks "$in" | awk '$2 == 1 { m = $1 } END { print m }')
	{ head -c 8 "$in"; printf '\x01\x00\x00\x00'; tail -c +13 "$in" | head -c 4
	  chunks "$in" | while read -r off type len; do
		[ "$type" = 1 ] && [ "$off" != "$lastmeta" ] && continue
		tail -c +$((off + 1)) "$in" | head -c 16
		tail -c +$((off + 33)) "$in" | head -c $((len - 32))
	  done; } >"$out"
}
