/* For the libFuzzer targets that read traces (fuzz_reader.c,
 * fuzz_export.c): chunk CRCs made to match, so that mutated payloads get
 * past the CRC check to the decompressor and the record checks. */
#ifndef SS_FUZZ_FIX_CRCS_H
#define SS_FUZZ_FIX_CRCS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "switchscope.h"

/* Walk the chunk headers from the file header on, as far as their sizes
 * stay inside the input, and recompute both CRCs of each. */
static void fix_crcs(uint8_t *p, size_t size)
{
	size_t off = sizeof(struct ss_file_header);

	if (size < off || memcmp(p, SS_FILE_MAGIC, 8) || p[8] != 2)
		return;
	while (off + sizeof(struct ss_chunk) <= size) {
		struct ss_chunk ch;

		memcpy(&ch, p + off, sizeof(ch));
		if (ch.size > size - off - sizeof(ch))
			return;
		ch.crc = crc32(0, p + off + sizeof(ch), ch.size);
		ch.hcrc = crc32(0, (void *)&ch, offsetof(struct ss_chunk, hcrc));
		memcpy(p + off, &ch, sizeof(ch));
		off += sizeof(ch) + ch.size;
	}
}

#endif
