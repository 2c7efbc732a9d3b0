/* dash.h - the dashboard: `run` and `watch` on a terminal.
 *
 * A front end over the same engine the headless mode drives (engine.h):
 * it polls the engine's descriptors, the terminal, the signal self-pipe
 * and an inotify watch on the packet dir; it turns the engine's questions
 * into dialogs and the user's answers back into pd_engine_answer; it never
 * executes anything itself. `watch` has no engine: it shows a dir that
 * other processes execute, read-only.
 */
#ifndef UI_DASH_H
#define UI_DASH_H

#include <stdbool.h>
#include <stdio.h>

#include "packetdeck/engine.h"

typedef struct ui_dash_options {
	bool watch;               /* read-only: no engine */
	bool ascii;               /* --ascii (also when the locale is not UTF-8) */
	pd_engine_options engine; /* for run; on_event/on_output/ctx are the dashboard's */
	bool resume_given;        /* --resume was given: no resume menu at start */
	const char *on_blocked;   /* ask|wait|abort */
	const char *handoff;      /* ask|continue|stop */
	unsigned handoff_timeout_s; /* the handoff dialog continues by itself after (0: never) */
	int stop_fd;              /* readable when a signal arrived (a byte: its number) */
	FILE *in, *out;           /* the terminal (NULL: stdin/stdout) */
	/* called once at the end with the last engine (NULL in watch mode) and
	 * the exit status, after the terminal is restored: the closing lines */
	void (*closing)(void *ctx, pd_engine *e, int status);
	void *ctx;
	const char *notify;       /* --notify TEMPLATE, or NULL */
	bool no_bell;             /* --no-bell */
} ui_dash_options;

/* Returns the exit status (engine.h's; 3 on a signal). */
int ui_dash_run(const pd_pktdir *pd, const ui_dash_options *o);

#endif
