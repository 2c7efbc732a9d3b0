/* keys.c - the key table (keys.h). */
#include "keys.h"

#include <stddef.h>

static ui_key table[] = {
	{{'j', 0, 0}, "j ↓", UI_ACT_DOWN, "next track in execution order (output: scroll)"},
	{{'k', 0, 0}, "k ↑", UI_ACT_UP, "previous track (output: scroll)"},
	{{0, 0, 0}, "←", UI_ACT_LEFT, "DAG: to the layer on the left"},
	{{0, 0, 0}, "→", UI_ACT_RIGHT, "DAG: to the layer on the right"},
	{{' ', 0, 0}, "PgDn space", UI_ACT_PAGE_DOWN, "a page down (output: towards the end)"},
	{{'b', 0, 0}, "PgUp b", UI_ACT_PAGE_UP, "a page up (output: back in the log)"},
	{{'<', 0, 0}, "Home <", UI_ACT_FIRST, "first track (output: start of the log)"},
	{{'>', 0, 0}, "End >", UI_ACT_LAST, "last track (output: end of the log)"},
	{{'\n', '\r', 0}, "Enter", UI_ACT_ENTER, "the selected track's card (failed: resume menu)"},
	{{'\t', 0, 0}, "Tab", UI_ACT_FOCUS, "switch between the track panes and the output"},
	{{'g', 0, 0}, "g", UI_ACT_VIEW, "DAG or list in execution order"},
	{{'/', 0, 0}, "/", UI_ACT_FIND, "find a track by name or id"},
	{{'n', 0, 0}, "n", UI_ACT_FIND_NEXT, "find the next match"},
	{{'v', 0, 0}, "v", UI_ACT_RAW, "output: an agent's readable lines or its raw stream"},
	{{'l', 0, 0}, "l", UI_ACT_LOG, "the selected track's whole log in $PAGER"},
	{{'r', 0, 0}, "r", UI_ACT_RESUME_MENU, "resume menu: failed and interrupted tracks"},
	{{'m', 0, 0}, "m", UI_ACT_MERGE, "after a completed run: merge the tracks"},
	{{'?', 0, 0}, "?", UI_ACT_HELP, "this help"},
	{{27, 0, 0}, "Esc", UI_ACT_ESCAPE, "close a dialog"},
	{{'q', 0, 0}, "q", UI_ACT_QUIT, "quit (asks while a runner is active)"},
	{{12, 0, 0}, "Ctrl-L", UI_ACT_REDRAW, "redraw the screen"},
	{{0, 0, 0}, NULL, UI_ACT_NONE, NULL},
};

void ui_keys_bind(const ui_special *s)
{
	ui_key *k;

	for (k = table; k->action != UI_ACT_NONE; k++) {
		int extra = 0;

		switch (k->action) {
		case UI_ACT_DOWN: extra = s->down; break;
		case UI_ACT_UP: extra = s->up; break;
		case UI_ACT_LEFT: extra = s->left; break;
		case UI_ACT_RIGHT: extra = s->right; break;
		case UI_ACT_PAGE_DOWN: extra = s->npage; break;
		case UI_ACT_PAGE_UP: extra = s->ppage; break;
		case UI_ACT_FIRST: extra = s->home; break;
		case UI_ACT_LAST: extra = s->end; break;
		case UI_ACT_ENTER: extra = s->enter; break;
		default: break;
		}
		if (extra)
			k->code[2] = extra;
	}
}

const ui_key *ui_keys(void)
{
	return table;
}

ui_action ui_key_action(int code)
{
	const ui_key *k;
	int i;

	for (k = table; k->action != UI_ACT_NONE; k++)
		for (i = 0; i < 3; i++)
			if (k->code[i] && k->code[i] == code)
				return k->action;
	return UI_ACT_NONE;
}
