/* keys.h - every key of the dashboard in one table: the loop dispatches
 * from it and the help overlay (`?`) lists it, so the two never disagree.
 * Key codes are curses' (KEY_UP...), but nothing here includes curses:
 * term.c fills in the special keys' codes at start (ui_keys_bind). */
#ifndef UI_KEYS_H
#define UI_KEYS_H

typedef enum ui_action {
	UI_ACT_NONE,
	UI_ACT_DOWN,
	UI_ACT_UP,
	UI_ACT_LEFT,
	UI_ACT_RIGHT,
	UI_ACT_PAGE_DOWN,
	UI_ACT_PAGE_UP,
	UI_ACT_FIRST,
	UI_ACT_LAST,
	UI_ACT_ENTER,
	UI_ACT_FOCUS,
	UI_ACT_VIEW,
	UI_ACT_FIND,
	UI_ACT_FIND_NEXT,
	UI_ACT_LOG,
	UI_ACT_RESUME_MENU,
	UI_ACT_HELP,
	UI_ACT_ESCAPE,
	UI_ACT_QUIT,
	UI_ACT_REDRAW,
	UI_ACT_RAW,
	UI_ACT_MERGE
} ui_action;

typedef struct ui_key {
	int code[3];          /* up to three keys for the action */
	const char *names;    /* as the help shows them */
	ui_action action;
	const char *what;
} ui_key;

/* Special keys, set by term.c before use (curses' codes). */
typedef struct ui_special {
	int up, down, left, right, npage, ppage, home, end, enter, resize, mouse;
} ui_special;

void ui_keys_bind(const ui_special *s);

/* The table, ended by an entry with action UI_ACT_NONE. */
const ui_key *ui_keys(void);

ui_action ui_key_action(int code);

#endif
