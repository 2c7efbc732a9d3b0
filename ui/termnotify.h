/* termnotify.h - the terminal calls the person back: the bell, a desktop
 * notification (OSC 777 "notify", understood by urxvt, foot, WezTerm,
 * Ghostty; OSC 9, by iTerm2, Windows Terminal, ConEmu, kitty), the window
 * title with the run's progress ("packetdeck 3/6 · api"), saved at the
 * start and restored at the end (XTWINOPS 22/23), and the taskbar progress
 * of OSC 9;4 (cleared at the end). Inside tmux the desktop and progress
 * sequences go through its passthrough (ESC P tmux; ... ESC \), which tmux
 * forwards when allow-passthrough is on; the title is tmux's own (the
 * pane's title). Text put in a sequence is made safe: no control
 * characters, no ESC or BEL, no ';' where it would split fields, at most
 * UI_NOTIFY_TEXT_MAX bytes, cut on a character boundary. No curses: the
 * bytes are built into a buffer and written to the terminal's fd.
 */
#ifndef UI_TERMNOTIFY_H
#define UI_TERMNOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#define UI_NOTIFY_TEXT_MAX 200

typedef struct ui_termnotify {
	int fd;        /* the terminal; -1: nothing is written */
	bool bell;     /* false with --no-bell */
	bool tmux;     /* wrap OSC sequences for tmux ($TMUX set) */
	bool title_saved;
	bool progress_shown;
} ui_termnotify;

typedef enum ui_progress_state {
	UI_PROGRESS_CLEAR = 0,
	UI_PROGRESS_NORMAL = 1,
	UI_PROGRESS_ERROR = 2,
	UI_PROGRESS_PAUSED = 4 /* OSC 9;4's "warning": waiting on a person or a limit */
} ui_progress_state;

/* Into buf (cap bytes, NUL-terminated); each returns its length. */
size_t ui_notify_desktop(char *buf, size_t cap, bool tmux, const char *title, const char *body);
size_t ui_notify_title(char *buf, size_t cap, bool tmux, size_t done, size_t total, const char *track);
size_t ui_notify_progress(char *buf, size_t cap, bool tmux, ui_progress_state state, int pct);

/* Writers: nothing when t->fd < 0. */
void ui_termnotify_start(ui_termnotify *t, int fd, bool bell); /* saves the title */
void ui_termnotify_alert(ui_termnotify *t, const char *title, const char *body); /* bell + desktop */
void ui_termnotify_status(ui_termnotify *t, size_t done, size_t total, const char *track,
			  ui_progress_state state);
void ui_termnotify_end(ui_termnotify *t); /* clears the progress, restores the title */

#endif
