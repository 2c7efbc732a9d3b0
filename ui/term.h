/* term.h - the terminal: the only place that knows curses.
 *
 * ui_term_start saves the terminal's settings and installs handlers that
 * restore them on a crash (SIGSEGV, SIGABRT from a failed assertion,
 * SIGBUS, SIGFPE) before the default action; normal exits and the signals
 * the loop handles (INT, TERM, HUP, QUIT: a byte on the self-pipe) go
 * through ui_term_stop. Curses starts on the real terminal (or, for tests,
 * on any stream: newterm). A frame is a canvas copied to the screen in
 * one pass; curses sends only the difference.
 */
#ifndef UI_TERM_H
#define UI_TERM_H

#include <stdbool.h>
#include <stdio.h>

#include "canvas.h"

typedef struct ui_term ui_term;

typedef struct ui_input {
	int key;          /* a key code (curses'), 0 for none */
	bool mouse;       /* a click: at y, x */
	int y, x;
	bool wheel_up, wheel_down;
	bool resized;
	bool eof;         /* the terminal is gone */
} ui_input;

/* `in`/`out` NULL: the process's terminal. color: false for NO_COLOR. */
int ui_term_start(ui_term **out, FILE *in, FILE *outf, bool color);
void ui_term_stop(ui_term *t);

/* Leave curses for a while (a pager), and come back. */
void ui_term_suspend(ui_term *t);
void ui_term_resume(ui_term *t);

void ui_term_size(ui_term *t, int *rows, int *cols);

/* Copy the canvas to the screen and show it. */
void ui_term_show(ui_term *t, const ui_canvas *c);

/* Read what is pending (never blocks). false when nothing was. */
bool ui_term_read(ui_term *t, ui_input *in);

/* Clear and repaint the whole screen on the next show. */
void ui_term_redraw(ui_term *t);

/* Read the screen back: row y as UTF-8 (for tests). */
char *ui_term_row(ui_term *t, int y);

/* Does the locale speak UTF-8? */
bool ui_term_utf8(void);

#endif
