/* dialog.h - the dashboard's dialogs as data, drawn over the panes.
 *
 * A dialog has a title, lines of text, an optional list to pick from (the
 * resume menu) and choices; each choice shows its key (the first letter of
 * its word, or the one in brackets: re[s]tart) and Enter takes the
 * highlighted one. Drawing records where each choice and list row went,
 * so a mouse click can be mapped back. No curses.
 */
#ifndef UI_DIALOG_H
#define UI_DIALOG_H

#include "canvas.h"

typedef enum ui_dialog_kind {
	UI_DLG_NONE,
	UI_DLG_BLOCKED,
	UI_DLG_HANDOFF,
	UI_DLG_FAILURE,
	UI_DLG_RESUME,
	UI_DLG_QUIT,
	UI_DLG_HELP,
	UI_DLG_FIND,
	UI_DLG_LIMITED,
	UI_DLG_MERGE
} ui_dialog_kind;

#define UI_DLG_MAX_LINES 64
#define UI_DLG_MAX_CHOICES 6

typedef struct ui_choice {
	char key;           /* the letter that takes it */
	const char *label;  /* "[w]ait" */
	int id;             /* what the caller does with it */
	ui_rect at;         /* where it was drawn */
} ui_choice;

typedef struct ui_dialog {
	ui_dialog_kind kind;
	char title[128];
	char *lines[UI_DLG_MAX_LINES];
	ui_style styles[UI_DLG_MAX_LINES];
	int nlines;
	char *items[UI_DLG_MAX_LINES];  /* a list to pick from (resume menu) */
	int nitems, item;               /* the picked row */
	ui_rect item_at;                /* where the list was drawn */
	ui_choice choices[UI_DLG_MAX_CHOICES];
	int nchoices, hi;               /* the highlighted choice */
	char input[128];                /* UI_DLG_FIND: what was typed */
	int width;                      /* wanted width (0: fit) */
} ui_dialog;

void ui_dialog_open(ui_dialog *d, ui_dialog_kind kind, const char *title);
void ui_dialog_close(ui_dialog *d);
void ui_dialog_line(ui_dialog *d, ui_style s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* `text` as up to `max_lines` lines of at most `width` columns, broken
 * between words ("..." ends the last when more did not fit). */
void ui_dialog_wrap(ui_dialog *d, ui_style s, const char *text, int width, int max_lines);
/* Remove the last line if it starts with `prefix` (a countdown about to be
 * written again). */
void ui_dialog_drop_last(ui_dialog *d, const char *prefix);
void ui_dialog_item(ui_dialog *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ui_dialog_choice(ui_dialog *d, char key, const char *label, int id);

/* The choice whose key is `key` (any case), or -1. */
int ui_dialog_by_key(const ui_dialog *d, int key);

/* The choice or list row at (y, x): choice index, or -2 - row for a list
 * row, or -1. */
int ui_dialog_hit(const ui_dialog *d, int y, int x);

void ui_dialog_draw(ui_canvas *c, ui_dialog *d);

#endif
