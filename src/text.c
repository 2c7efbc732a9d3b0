/* text.c - UTF-8 validation and locating bytes by line and column. */
#include "text.h"

size_t pd_utf8_seq_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

int pd_text_check(const char *buf, size_t len, unsigned *line, unsigned *col, const char **what)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;

	*line = 1;
	*col = 1;
	while (p < end) {
		size_t n;

		if (*p == 0) {
			*what = "NUL byte";
			return 1;
		}
		n = pd_utf8_seq_len(p, end);
		if (n == 0) {
			*what = "invalid UTF-8";
			return 1;
		}
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
		p += n;
	}
	return 0;
}
