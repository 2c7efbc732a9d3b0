/* model.h - what the dashboard shows, without curses (the view-model).
 *
 * The packet dir, its layout, every track's state as the files say
 * (snapshot.h), what the engine said last (the running track, its current
 * task, when it started), and the viewer's own state: the selected track,
 * DAG or list view, panning and scrolling. view.c draws it; dash.c feeds
 * it events and keys. Tests drive it directly.
 */
#ifndef UI_MODEL_H
#define UI_MODEL_H

#include <stdbool.h>
#include <time.h>

#include "packetdeck/event.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/layout.h"
#include "packetdeck/snapshot.h"

/* Geometry of the DAG drawing: a node is node_w columns wide (its
 * longest label, at most UI_NODE_MAX); layers are node_w + UI_GUTTER
 * apart; a node takes every other row. */
#define UI_NODE_MAX 24
#define UI_GUTTER 5
#define UI_LAYER_W(m) ((m)->node_w + UI_GUTTER)

typedef struct ui_model {
	const pd_pktdir *pd;
	pd_layout *layout;
	pd_snapshot *snap;
	const size_t *order;     /* execution order */
	size_t norder;
	size_t *rank;            /* by track index: its place in the order */
	bool watch;              /* read-only over a dir others execute */
	int node_w;              /* DAG node width */
	int *label_w;            /* by track index: "✓ 12 name" on screen, at most node_w */
	bool ascii;

	/* what the engine (or the files) say is happening */
	const char *phase;       /* "running", "waiting", "completed", ... */
	size_t running;          /* track index, or PD_NO_TRACK */
	char *task;              /* its current task ("" unknown) */
	time_t run_started, track_started;
	size_t completed_run;    /* tracks completed by this run */
	char *notice;            /* the last notice or message, for the header */
	/* the running agent: what it does now (since when), and its counts */
	char *action;            /* "▸ Bash  pytest -q" ("" none) */
	time_t action_since;
	long turns, tokens_in, tokens_out;
	double cost;
	bool has_usage, has_cost;

	/* the viewer */
	size_t sel;              /* selected track's index */
	bool list;               /* list view instead of the DAG */
	int pan_y, pan_x;        /* DAG pane: its top-left in DAG coordinates */
	size_t list_top;
	long out_scroll;         /* output pane: lines up from the end */
	bool out_raw;            /* output pane: an agent's raw stream, not its readable lines */
	char *filter;            /* "/" search: select the next match */

	/* the selected track's worktree (refreshed on change, not per key) */
	pd_worktree_info git;
	bool git_dirty, git_known;
	size_t git_for;

	/* the selected track's packet, read again when shown (the dir keeps
	 * only summaries); its problem when it no longer reads */
	pd_packet *packet;
	char *packet_problem;
	bool packet_known;
	size_t packet_for;
} ui_model;

int ui_model_init(ui_model *m, const pd_pktdir *pd, bool watch, bool ascii);
void ui_model_free(ui_model *m);

/* Read again the files of the tracks at manifest indexes which[0..n), or
 * of every track when `which` is NULL (after a change in the dir).
 * *changed (may be NULL): whether anything shown differs. */
int ui_model_refresh(ui_model *m, const size_t *which, size_t n, bool *changed);

/* Re-read the selected track's worktree (HEAD, subject, dirty). */
void ui_model_refresh_git(ui_model *m);

/* The selected track's packet (task titles), read on the first call after
 * the selection changed or the watch saw the packet file change or lost
 * count (dash.c clears packet_known); NULL with m->packet_problem set when
 * it cannot be read or no longer passes the checks. */
const pd_packet *ui_model_packet(ui_model *m);

/* An engine event: what runs, which task, progress. */
void ui_model_event(ui_model *m, const pd_event *e);

/* A track's state as shown: the files', except that the engine's running
 * track is running. */
pd_state ui_model_state(const ui_model *m, size_t index);

/* Selection moves in execution order (list) or through the DAG. */
void ui_model_select(ui_model *m, size_t index);
void ui_model_move(ui_model *m, int delta);      /* j/k: in execution order */
void ui_model_move_layer(ui_model *m, int delta); /* h/l: to a neighbouring layer */

/* Select the next track (after the selection, in order) whose name or id
 * contains `text`; false when none. */
bool ui_model_find(ui_model *m, const char *text);

/* Where a track is drawn in the DAG (row, column of its node). */
void ui_model_node_pos(const ui_model *m, size_t index, int *y, int *x);

/* The DAG's size in rows and columns. */
void ui_model_dag_size(const ui_model *m, int *rows, int *cols);

/* Keep the selection inside a DAG pane of h x w (pans as needed). */
void ui_model_follow(ui_model *m, int h, int w);

/* The track drawn at DAG coordinates (y, x), or PD_NO_TRACK. */
size_t ui_model_track_at(const ui_model *m, int y, int x);

/* Glyph and word for a state ("✓" / "+" in ASCII). */
const char *ui_state_glyph(pd_state s, bool ascii);

#endif
