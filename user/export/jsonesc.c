/* JSON strings for the JSON and HTML outputs. */
#include "model.h"

void xs_json_str(FILE *f, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	putc('"', f);
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			putc('\\', f);
			putc(c, f);
		} else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
			/* '<' and friends too: the string may sit in a <script> */
			fputs("\\u00", f);
			putc(hex[c >> 4], f);
			putc(hex[c & 15], f);
		} else if (c >= 0x80) {
			/* comm is bytes, not always UTF-8: keep JSON valid */
			fputs("\\u00", f);
			putc(hex[c >> 4], f);
			putc(hex[c & 15], f);
		} else {
			putc(c, f);
		}
	}
	putc('"', f);
}
