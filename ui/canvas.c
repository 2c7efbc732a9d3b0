/* canvas.c - the cell grid every part of the dashboard draws into
 * (canvas.h). No curses here: term.c copies the grid to the terminal. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* wcwidth */
#endif
#include "canvas.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ui_canvas_init(ui_canvas *c, int rows, int cols, bool ascii)
{
	c->rows = rows > 0 ? rows : 1;
	c->cols = cols > 0 ? cols : 1;
	c->ascii = ascii;
	c->cells = calloc((size_t)c->rows * (size_t)c->cols, sizeof(ui_cell));
	if (!c->cells)
		return -1;
	ui_canvas_clear(c);
	return 0;
}

void ui_canvas_free(ui_canvas *c)
{
	free(c->cells);
	c->cells = NULL;
}

void ui_canvas_clear(ui_canvas *c)
{
	size_t i, n = (size_t)c->rows * (size_t)c->cols;

	for (i = 0; i < n; i++)
		c->cells[i] = (ui_cell){L' ', UI_NORMAL, 0};
}

static bool inside(const ui_canvas *c, ui_rect r, int y, int x)
{
	return y >= 0 && x >= 0 && y < c->rows && x < c->cols && y >= r.y && y < r.y + r.h && x >= r.x &&
	       x < r.x + r.w;
}

static ui_cell *at(ui_canvas *c, int y, int x)
{
	return &c->cells[(size_t)y * (size_t)c->cols + (size_t)x];
}

/* One UTF-8 character; invalid bytes come out as U+FFFD, one byte each. */
static wchar_t next_char(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned n, i;
	wchar_t w;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	n = s[0] >= 0xf0 && s[0] < 0xf5 ? 3 : s[0] >= 0xe0 ? 2 : s[0] >= 0xc2 && s[0] < 0xe0 ? 1 : 0;
	w = n == 3 ? (s[0] & 7) : n == 2 ? (s[0] & 15) : (s[0] & 31);
	for (i = 1; n && i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			n = 0;
			break;
		}
		w = (w << 6) | (s[i] & 0x3f);
	}
	if (!n) {
		*p = s + 1;
		return 0xfffd;
	}
	*p = s + n + 1;
	return w;
}

static int char_width(wchar_t w)
{
	int n = w < 0x80 ? 1 : wcwidth(w);

	return n < 0 ? 1 : n;
}

int ui_text_width(const char *utf8)
{
	const unsigned char *p = (const unsigned char *)utf8;
	int n = 0;

	while (*p)
		n += char_width(next_char(&p));
	return n;
}

int ui_put(ui_canvas *c, ui_rect clip, int y, int x, int max, ui_style s, const char *utf8)
{
	const unsigned char *p = (const unsigned char *)utf8;
	int x0 = x, end = clip.x + clip.w;

	if (max >= 0 && x + max < end)
		end = x + max;
	while (*p && x < end) {
		wchar_t w = next_char(&p);
		int n;

		if (w < 0x20 || w == 0x7f || (w >= 0x80 && w < 0xa0))
			w = L'?';
		if (c->ascii && w >= 0x80)
			w = L'?';
		n = char_width(w);
		if (x + n > end)
			break;
		if (inside(c, clip, y, x)) {
			*at(c, y, x) = (ui_cell){w, (uint8_t)s, 0};
			if (n == 2 && inside(c, clip, y, x + 1))
				*at(c, y, x + 1) = (ui_cell){0, (uint8_t)s, 0};
		}
		x += n;
	}
	return x - x0;
}

int ui_putf(ui_canvas *c, ui_rect clip, int y, int x, int max, ui_style s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return ui_put(c, clip, y, x, max, s, buf);
}

void ui_line(ui_canvas *c, ui_rect clip, int y, int x, uint8_t lines, ui_style s)
{
	ui_cell *cell;

	if (!inside(c, clip, y, x))
		return;
	cell = at(c, y, x);
	if (!cell->lines)
		*cell = (ui_cell){L' ', (uint8_t)s, 0};
	cell->lines |= lines;
	cell->style = (uint8_t)s;
}

/* Only the part of a line inside the clip and the canvas is visited: an
 * edge thousands of rows long costs what shows of it. */
void ui_hline(ui_canvas *c, ui_rect clip, int y, int x0, int x1, ui_style s)
{
	int x, from = x0, to = x1;

	if (from < clip.x)
		from = clip.x;
	if (from < 0)
		from = 0;
	if (to > clip.x + clip.w - 1)
		to = clip.x + clip.w - 1;
	if (to > c->cols - 1)
		to = c->cols - 1;
	for (x = from; x <= to; x++)
		ui_line(c, clip, y, x, (uint8_t)((x > x0 ? UI_LEFT : 0) | (x < x1 ? UI_RIGHT : 0)), s);
}

void ui_vline(ui_canvas *c, ui_rect clip, int x, int y0, int y1, ui_style s)
{
	int y, from, to;

	if (y0 > y1) {
		int t = y0;

		y0 = y1;
		y1 = t;
	}
	from = y0 > clip.y ? y0 : clip.y;
	if (from < 0)
		from = 0;
	to = y1 < clip.y + clip.h - 1 ? y1 : clip.y + clip.h - 1;
	if (to > c->rows - 1)
		to = c->rows - 1;
	for (y = from; y <= to; y++)
		ui_line(c, clip, y, x, (uint8_t)((y > y0 ? UI_UP : 0) | (y < y1 ? UI_DOWN : 0)), s);
}

void ui_fill(ui_canvas *c, ui_rect r, ui_style s)
{
	int y, x;

	for (y = r.y; y < r.y + r.h; y++)
		for (x = r.x; x < r.x + r.w; x++)
			if (inside(c, r, y, x))
				*at(c, y, x) = (ui_cell){L' ', (uint8_t)s, 0};
}

void ui_frame(ui_canvas *c, ui_rect r, ui_style s, const char *title)
{
	ui_rect all = {0, 0, c->rows, c->cols};

	if (r.w < 2 || r.h < 2)
		return;
	ui_hline(c, all, r.y, r.x, r.x + r.w - 1, s);
	ui_hline(c, all, r.y + r.h - 1, r.x, r.x + r.w - 1, s);
	ui_vline(c, all, r.x, r.y, r.y + r.h - 1, s);
	ui_vline(c, all, r.x + r.w - 1, r.y, r.y + r.h - 1, s);
	if (title && *title) {
		ui_rect top = {r.y, r.x + 2, 1, r.w - 4};

		ui_put(c, top, r.y, r.x + 2, -1, UI_TITLE, " ");
		ui_put(c, top, r.y, r.x + 3, r.w - 6, UI_TITLE, title);
		ui_put(c, top, r.y, r.x + 3 + (ui_text_width(title) < r.w - 6 ? ui_text_width(title) : r.w - 6),
		       -1, UI_TITLE, " ");
	}
}

wchar_t ui_glyph(const ui_canvas *c, const ui_cell *cell)
{
	/* by UI_UP|UI_DOWN|UI_LEFT|UI_RIGHT */
	static const wchar_t box[16] = {
		L' ',    L'\x2575', L'\x2577', L'\x2502', L'\x2574', L'\x2518', L'\x2510', L'\x2524',
		L'\x2576', L'\x2514', L'\x250c', L'\x251c', L'\x2500', L'\x2534', L'\x252c', L'\x253c'};
	static const char ascii[16] = {' ', '|', '|', '|', '-', '+', '+', '+',
				       '-', '+', '+', '+', '-', '+', '+', '+'};

	if (!cell->lines)
		return cell->ch;
	return c->ascii ? (wchar_t)ascii[cell->lines & 15] : box[cell->lines & 15];
}

char *ui_canvas_row(const ui_canvas *c, int y)
{
	char *out = malloc((size_t)c->cols * 4 + 1), *p = out;
	int x;

	if (!out)
		return NULL;
	for (x = 0; x < c->cols; x++) {
		wchar_t w = ui_glyph(c, &c->cells[(size_t)y * (size_t)c->cols + (size_t)x]);

		if (w == 0)
			continue;
		if (w < 0x80) {
			*p++ = (char)w;
		} else if (w < 0x800) {
			*p++ = (char)(0xc0 | (w >> 6));
			*p++ = (char)(0x80 | (w & 0x3f));
		} else if (w < 0x10000) {
			*p++ = (char)(0xe0 | (w >> 12));
			*p++ = (char)(0x80 | ((w >> 6) & 0x3f));
			*p++ = (char)(0x80 | (w & 0x3f));
		} else {
			*p++ = (char)(0xf0 | (w >> 18));
			*p++ = (char)(0x80 | ((w >> 12) & 0x3f));
			*p++ = (char)(0x80 | ((w >> 6) & 0x3f));
			*p++ = (char)(0x80 | (w & 0x3f));
		}
	}
	*p = '\0';
	return out;
}

size_t ui_wrap_fit(const char *p, int width, size_t max)
{
	char line[1024];
	size_t len = 0, fit = 0;

	if (max > sizeof(line) - 1)
		max = sizeof(line) - 1;
	/* the longest run of whole words that fits (a word longer than the
	 * width is cut: the line still ends) */
	while (p[len] && len < max) {
		size_t w = len;

		while (p[w] == ' ')
			w++;
		while (p[w] && p[w] != ' ')
			w++;
		if (w >= max)
			break;
		memcpy(line, p, w);
		line[w] = '\0';
		if (ui_text_width(line) > width)
			break;
		fit = len = w;
	}
	if (!fit) /* one long word: as much as fits */
		for (fit = 1; p[fit] && fit < max; fit++) {
			if (((unsigned char)p[fit] & 0xC0) == 0x80)
				continue; /* cut between characters only */
			memcpy(line, p, fit + 1);
			line[fit + 1] = '\0';
			if (ui_text_width(line) > width)
				break;
		}
	return fit;
}
