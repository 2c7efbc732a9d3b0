/* view.h - the dashboard drawn into a canvas from the model (no curses).
 *
 *   ┌ packetdeck · FEATURE · PHASE ──────────── k/n complete · HH:MM:SS ┐
 *   │ DAG (or list) pane                        │ detail pane            │
 *   ├ output · track N ─────────────────────────────────────────────────┤
 *   │ the selected track's log                                          │
 *   └ ? help · j/k select · ... ────────────────────────────────────────┘
 *
 * Below 80x24 it says so instead. ui_view_regions tells where each pane
 * went, for the mouse.
 */
#ifndef UI_VIEW_H
#define UI_VIEW_H

#include "canvas.h"
#include "model.h"

typedef struct ui_regions {
	ui_rect dag, detail, output;
	bool too_small;
} ui_regions;

#define UI_MIN_ROWS 24
#define UI_MIN_COLS 80

/* What the frame shows besides the model. */
typedef struct ui_view_extra {
	unsigned frame;          /* animation step of the running track */
	time_t now;
	const char *keys_hint;   /* the footer */
	bool output_focus;
} ui_view_extra;

void ui_view_regions(const ui_canvas *c, ui_regions *r);
void ui_view_draw(ui_canvas *c, ui_model *m, const ui_view_extra *x);

/* The DAG pane (dagview.c) and the list pane. */
void ui_dag_draw(ui_canvas *c, ui_rect r, ui_model *m, unsigned frame);
void ui_list_draw(ui_canvas *c, ui_rect r, ui_model *m, unsigned frame);

/* The style of a state. */
ui_style ui_state_style(pd_state s);

/* "4m12s", "1h02m" */
char *ui_duration(char buf[16], long seconds);

#endif
