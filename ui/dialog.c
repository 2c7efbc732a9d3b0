/* dialog.c - dialogs as data, drawn centred over the panes (dialog.h). */
#include "dialog.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ui_dialog_close(ui_dialog *d)
{
	int i;

	for (i = 0; i < d->nlines; i++)
		free(d->lines[i]);
	for (i = 0; i < d->nitems; i++)
		free(d->items[i]);
	memset(d, 0, sizeof(*d));
}

void ui_dialog_open(ui_dialog *d, ui_dialog_kind kind, const char *title)
{
	ui_dialog_close(d);
	d->kind = kind;
	snprintf(d->title, sizeof(d->title), "%s", title);
}

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	return strdup(buf);
}

void ui_dialog_line(ui_dialog *d, ui_style s, const char *fmt, ...)
{
	va_list ap;

	if (d->nlines >= UI_DLG_MAX_LINES)
		return;
	va_start(ap, fmt);
	if ((d->lines[d->nlines] = vformat(fmt, ap)))
		d->styles[d->nlines++] = s;
	va_end(ap);
}

void ui_dialog_wrap(ui_dialog *d, ui_style s, const char *text, int width, int max_lines)
{
	char line[512];
	const char *p = text;
	int n = 0;

	while (*p && n < max_lines) {
		size_t fit = ui_wrap_fit(p, width, sizeof(line) - 4);

		memcpy(line, p, fit);
		line[fit] = '\0';
		p += fit;
		while (*p == ' ')
			p++;
		if (*p && n == max_lines - 1 && fit >= 3) { /* more than fits: say so */
			size_t at = fit - 3;

			while (at && ((unsigned char)line[at] & 0xC0) == 0x80)
				at--;
			strcpy(line + at, "...");
		}
		ui_dialog_line(d, s, "%s", line);
		n++;
	}
}

void ui_dialog_drop_last(ui_dialog *d, const char *prefix)
{
	if (d->nlines && strncmp(d->lines[d->nlines - 1], prefix, strlen(prefix)) == 0)
		free(d->lines[--d->nlines]);
}

void ui_dialog_item(ui_dialog *d, const char *fmt, ...)
{
	va_list ap;

	if (d->nitems >= UI_DLG_MAX_LINES)
		return;
	va_start(ap, fmt);
	if ((d->items[d->nitems] = vformat(fmt, ap)))
		d->nitems++;
	va_end(ap);
}

void ui_dialog_choice(ui_dialog *d, char key, const char *label, int id)
{
	if (d->nchoices < UI_DLG_MAX_CHOICES)
		d->choices[d->nchoices++] = (ui_choice){key, label, id, {0, 0, 0, 0}};
}

int ui_dialog_by_key(const ui_dialog *d, int key)
{
	int i;

	for (i = 0; i < d->nchoices; i++)
		if (key > 0 && key < 128 && tolower(key) == d->choices[i].key)
			return i;
	return -1;
}

static bool in(ui_rect r, int y, int x)
{
	return y >= r.y && y < r.y + r.h && x >= r.x && x < r.x + r.w;
}

int ui_dialog_hit(const ui_dialog *d, int y, int x)
{
	int i;

	for (i = 0; i < d->nchoices; i++)
		if (in(d->choices[i].at, y, x))
			return i;
	if (d->nitems && in(d->item_at, y, x) && y - d->item_at.y < d->nitems)
		return -2 - (y - d->item_at.y);
	return -1;
}

void ui_dialog_draw(ui_canvas *c, ui_dialog *d)
{
	int w = ui_text_width(d->title) + 8, h, i, y, x, cw = 0;
	ui_rect box, inner;

	if (d->kind == UI_DLG_NONE)
		return;
	for (i = 0; i < d->nlines; i++)
		w = ui_text_width(d->lines[i]) + 4 > w ? ui_text_width(d->lines[i]) + 4 : w;
	for (i = 0; i < d->nitems; i++)
		w = ui_text_width(d->items[i]) + 6 > w ? ui_text_width(d->items[i]) + 6 : w;
	for (i = 0; i < d->nchoices; i++)
		cw += ui_text_width(d->choices[i].label) + 4;
	w = cw + 2 > w ? cw + 2 : w;
	if (d->width > w)
		w = d->width;
	if (w > c->cols - 2)
		w = c->cols - 2;
	h = d->nlines + (d->nitems ? d->nitems + 1 : 0) + (d->nchoices ? 2 : 0) + 2;
	if (d->kind == UI_DLG_FIND)
		h++;
	if (h > c->rows - 2)
		h = c->rows - 2;
	box = (ui_rect){(c->rows - h) / 2, (c->cols - w) / 2, h, w};
	inner = (ui_rect){box.y + 1, box.x + 2, box.h - 2, box.w - 4};
	ui_fill(c, box, UI_NORMAL);
	ui_frame(c, box, UI_FRAME, d->title);
	y = inner.y;
	for (i = 0; i < d->nlines && y < inner.y + inner.h; i++)
		ui_put(c, inner, y++, inner.x, -1, d->styles[i], d->lines[i]);
	if (d->kind == UI_DLG_FIND) {
		ui_putf(c, inner, y++, inner.x, -1, UI_CHOICE, "/%s_", d->input);
	}
	if (d->nitems) {
		y++;
		d->item_at = (ui_rect){y, inner.x, d->nitems, inner.w};
		for (i = 0; i < d->nitems && y < inner.y + inner.h - 2; i++, y++) {
			if (i == d->item)
				ui_fill(c, (ui_rect){y, inner.x, 1, inner.w}, UI_SELECTED);
			ui_putf(c, inner, y, inner.x, -1, i == d->item ? UI_SELECTED : UI_NORMAL, "%s %s",
				i == d->item ? ">" : " ", d->items[i]);
		}
	}
	if (d->nchoices) {
		y = box.y + box.h - 2;
		x = box.x + (box.w - cw) / 2;
		for (i = 0; i < d->nchoices; i++) {
			int lw = ui_text_width(d->choices[i].label);
			ui_style s = i == d->hi ? UI_CHOICE : UI_KEY;

			d->choices[i].at = (ui_rect){y, x, 1, lw + 2};
			ui_putf(c, box, y, x, -1, s, " %s ", d->choices[i].label);
			x += lw + 4;
		}
	}
}
