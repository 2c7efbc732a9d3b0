/* text.c - UTF-8 validation, locating bytes by line and column, and
 * assembling lines from a stream (text.h).
 *
 * The scan is the hot path of reading many files: ASCII is checked eight
 * bytes at a time, and a line and column are computed only for the byte
 * that is reported.
 */
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Eight bytes that are all ASCII and none of them NUL. */
static int plain8(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return ((v | ((v - ONES) & ~v)) & HIGHS) == 0;
}

size_t pd_text_bad_offset(const char *buf, size_t len, const char **what)
{
	const unsigned char *s = (const unsigned char *)buf, *p = s, *end = s + len;

	while (p < end) {
		size_t n;

		if (end - p >= 8 && plain8(p)) {
			p += 8;
			continue;
		}
		if (*p == 0) {
			*what = "NUL byte";
			return (size_t)(p - s);
		}
		n = pd_utf8_seq_len(p, end);
		if (n == 0) {
			*what = "invalid UTF-8";
			return (size_t)(p - s);
		}
		p += n;
	}
	return len;
}

void pd_text_locate(const char *buf, size_t offset, unsigned *line, unsigned *col)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + offset;

	*line = 1;
	*col = 1;
	for (; p < end; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else if ((*p & 0xC0) != 0x80) {
			(*col)++; /* characters, not continuation bytes */
		}
	}
}

int pd_text_check(const char *buf, size_t len, unsigned *line, unsigned *col, const char **what)
{
	size_t bad = pd_text_bad_offset(buf, len, what);

	if (bad == len)
		return 0;
	pd_text_locate(buf, bad, line, col);
	return 1;
}

void pd_lines_feed(pd_lines *l, const char *data, size_t n, pd_line_fn fn, void *ctx)
{
	const char *end = data + n, *nl;
	size_t take;

	while (data < end) {
		nl = memchr(data, '\n', (size_t)(end - data));
		take = (size_t)((nl ? nl : end) - data);
		if (take > l->cap - l->len) {
			take = l->cap - l->len;
			l->cut = true;
		}
		memcpy(l->buf + l->len, data, take);
		l->len += take;
		if (!nl)
			return;
		fn(ctx, l->buf, l->len, l->cut);
		l->len = 0;
		l->cut = false;
		data = nl + 1;
	}
}

char *pd_shell_word(const char *s)
{
	size_t n = strlen(s), i, k = 0;
	char *w;

	if (n && s[0] != '-' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,") == n)
		return strdup(s);
	if (!(w = malloc(4 * n + 3)))
		return NULL;
	w[k++] = '\'';
	for (i = 0; i < n; i++) {
		if (s[i] == '\'') {
			memcpy(w + k, "'\\''", 4);
			k += 4;
		} else {
			w[k++] = s[i];
		}
	}
	w[k++] = '\'';
	w[k] = '\0';
	return w;
}
