/* dash_int.h - the dashboard's state, shared by its files (dash.c: the
 * loop, the engine and keys; dash_dialogs.c: what each dialog says and
 * what its choices do). Internal to ui/. */
#ifndef UI_DASH_INT_H
#define UI_DASH_INT_H

#include "canvas.h"
#include "dash.h"
#include "dialog.h"
#include "model.h"
#include "packetdeck/merge.h"
#include "packetdeck/watch.h"
#include "term.h"
#include "termnotify.h"
#include "packetdeck/notify.h"
#include "view.h"

#include <sys/types.h>

#define DASH_STALE_MAX 64 /* tracks remembered as changed; more: re-read all */

/* Dialog choice ids. */
enum {
	CH_WAIT = 1, CH_ABORT, CH_CONTINUE, CH_STOP, CH_RESUME, CH_RESTART, CH_LOG, CH_QUIT,
	CH_YES, CH_NO, CH_CLOSE, CH_START, CH_MERGE_CONTINUE, CH_MERGE_ABORT
};

typedef struct dash_merge dash_merge; /* dash_merge.c */

typedef struct dash {
	const pd_pktdir *pd;
	ui_dash_options o;
	ui_term *term;
	ui_canvas canvas;
	ui_model m;
	ui_dialog dlg;
	pd_engine *e;
	pd_engine_options eo;
	pd_watch *watch;
	bool dirty, quit, output_focus, done_seen;
	bool stale;              /* files changed: re-read them once, before use */
	bool stale_all;          /* ... maybe any track's (else those in stale_idx) */
	size_t nstale, stale_idx[DASH_STALE_MAX];
	long scan_every;         /* ms between full rescans (longer for large dirs) */
	unsigned frame;
	long handoff_deadline;   /* monotonic ms; 0 none */
	int status;
	pid_t pager;             /* $PAGER running, or 0 */
	int pager_fd;            /* its pidfd */
	unsigned limit_seen;     /* the engine's limit count last shown as a dialog */
	pd_notifier *notifier;   /* --notify */
	bool notify_failed;      /* said once */
	ui_termnotify tn;        /* bell, desktop notification, title, progress */
	size_t done;             /* tracks complete, for the title */
	dash_merge *merge;       /* `m`: the merge in place, or NULL */
} dash;

/* dash.c */
void dash_stale(dash *d, size_t index); /* a track's files changed (PD_NO_TRACK: any) */
void dash_fresh(dash *d);        /* re-read the files if they changed */
int dash_engine_start(dash *d, bool resume, long restart_track);
void dash_open_log(dash *d);
void dash_quit(dash *d, int status);

/* dash_merge.c */
void dash_merge_key(dash *d);     /* `m` */
void dash_merge_start(dash *d, pd_merge_action action);
void dash_merge_card(dash *d);
int dash_merge_pollfd(const dash *d, bool *now); /* *now: step without waiting */
void dash_merge_step(dash *d);
bool dash_merge_running(const dash *d);
void dash_merge_interrupt(dash *d, const char *why);
void dash_merge_closing(const dash *d);
void dash_merge_free(dash *d);

/* dash_notify.c */
void dash_notify_start(dash *d);
void dash_notify_event(dash *d, const pd_event *e);
int dash_notify_timeout(const dash *d);
void dash_notify_reap(dash *d);
void dash_notify_end(dash *d);
/* dash_dialogs.c */
void dash_ask_blocked(dash *d);
void dash_ask_handoff(dash *d);
void dash_show_limited(dash *d);
void dash_show_failure(dash *d);
bool dash_resume_menu(dash *d);  /* false: nothing to resume */
void dash_show_help(dash *d);
void dash_ask_quit(dash *d);
void dash_dialog_tick(dash *d);  /* countdowns; closes what resolved itself */
void dash_dialog_choose(dash *d, int choice);
void dash_dialog_key(dash *d, int key, int action);

#endif
