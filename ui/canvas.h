/* canvas.h - a screen as a grid of cells, drawn without curses.
 *
 * Every part of the dashboard (panes, DAG, dialogs) draws into a canvas
 * the size of the terminal; term.c copies it to curses in one pass and
 * curses sends only what changed. So everything that decides what the
 * screen shows is plain C that tests can read back cell by cell, and the
 * only curses code is the copy.
 *
 * Lines: a cell can hold line segments (up, down, left, right) instead of
 * a character; crossing and joining segments merge into the right
 * box-drawing glyph (─ │ ┌ ┬ ┼ ...), or -, |, + in ASCII mode.
 */
#ifndef UI_CANVAS_H
#define UI_CANVAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

/* What a cell looks like; term.c maps each to colours and attributes. */
typedef enum ui_style {
	UI_NORMAL,
	UI_DIM,
	UI_EDGE,
	UI_FRAME,
	UI_TITLE,
	UI_COMPLETE,
	UI_RUNNING,
	UI_FAILED,
	UI_INTERRUPTED,
	UI_READY,
	UI_BLOCKED,
	UI_SELECTED,   /* the selection: reverse video */
	UI_KEY,        /* a key in a hint or a choice */
	UI_CHOICE,     /* the highlighted choice of a dialog */
	UI_BAR,        /* the filled part of a progress bar */
	UI_NSTYLES
} ui_style;

enum { UI_UP = 1, UI_DOWN = 2, UI_LEFT = 4, UI_RIGHT = 8 };

typedef struct ui_cell {
	wchar_t ch;      /* 0: the right half of a wide character */
	uint8_t style;
	uint8_t lines;   /* UI_UP|... when the cell is a line */
} ui_cell;

typedef struct ui_canvas {
	int rows, cols;
	bool ascii;
	ui_cell *cells;
} ui_canvas;

int ui_canvas_init(ui_canvas *c, int rows, int cols, bool ascii);
void ui_canvas_free(ui_canvas *c);
void ui_canvas_clear(ui_canvas *c);

/* A rectangle that drawing is clipped to (ui_put and friends take it). */
typedef struct ui_rect {
	int y, x, h, w;
} ui_rect;

/* Write UTF-8 text at (y, x) within `clip`, at most `max` columns (-1: to
 * the clip's edge); control characters show as '?'. Returns the columns
 * used. */
int ui_put(ui_canvas *c, ui_rect clip, int y, int x, int max, ui_style s, const char *utf8);

/* How many bytes of p (at most max) make its next line of at most `width`
 * columns: whole words, or a cut word when one alone is too wide. */
size_t ui_wrap_fit(const char *p, int width, size_t max);
int ui_putf(ui_canvas *c, ui_rect clip, int y, int x, int max, ui_style s, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* Columns `utf8` takes on screen. */
int ui_text_width(const char *utf8);

/* Add line segments to a cell (merging with those there). */
void ui_line(ui_canvas *c, ui_rect clip, int y, int x, uint8_t lines, ui_style s);
void ui_hline(ui_canvas *c, ui_rect clip, int y, int x0, int x1, ui_style s);
void ui_vline(ui_canvas *c, ui_rect clip, int x, int y0, int y1, ui_style s);

/* Fill a rectangle with spaces of a style. */
void ui_fill(ui_canvas *c, ui_rect r, ui_style s);

/* A frame around `r` with a title in its top edge. */
void ui_frame(ui_canvas *c, ui_rect r, ui_style s, const char *title);

/* A cell's glyph as it will be shown (lines resolved; ASCII applied). */
wchar_t ui_glyph(const ui_canvas *c, const ui_cell *cell);

/* One row of the canvas as UTF-8 (for tests and screenshots). */
char *ui_canvas_row(const ui_canvas *c, int y);

#endif
