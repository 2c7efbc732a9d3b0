/* cli.h - the command-line front end: commands, exit statuses, helpers.
 *
 * Not part of the core library: these files print and choose exit
 * statuses; the core they call does neither.
 */
#ifndef PD_CLI_H
#define PD_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <cJSON.h>

#include "packetdeck/engine.h"
#include "packetdeck/event.h"
#include "packetdeck/pktdir.h"

int cli_validate(int argc, char **argv);
int cli_adopt(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_plan(int argc, char **argv);
int cli_packet(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_watch(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_merge(int argc, char **argv);

/* Can the dashboard run? Not --json/--no-tui, stdin and stdout a terminal,
 * not CI, not TERM=dumb. */
bool cli_has_terminal(bool json, bool no_tui);

/* Print an event: a plain line (or none), or with `json` one JSON line,
 * on stdout. */
/* Activity lines in ASCII (run --ascii). */
extern bool cli_events_ascii;
void cli_print_event(const pd_event *e, bool json);

/* Catch SIGINT, SIGTERM, SIGHUP and SIGQUIT: each writes its number as a byte to a
 * pipe whose read end (non-blocking) is returned, for the core to poll. The
 * handlers do nothing else. -1 if the pipe cannot be made. */
int cli_catch_signals(void);

/* A non-negative whole number of seconds from an option, or -1. */
long cli_seconds(const char *text);

/* An option table entry for cli_parse: a flag, or (value set) an option
 * with a value ("--poll 5" or "--poll=5"). */
typedef struct cli_opt {
	const char *name;   /* "--json" */
	bool *flag;         /* set to true when present; may be NULL for a value option */
	const char **value; /* set to the option's value; NULL for a flag */
} cli_opt;

/* Parse argv[1..] of command `cmd`: flags from `opts`, "--help"/"-h"
 * (prints `help` and sets *exit_status 0), and exactly one positional
 * argument into *positional. Returns true to go on; false with
 * *exit_status set (0 after help, 2 after a usage error, said on stderr). */
bool cli_parse(int argc, char **argv, const char *cmd, const cli_opt *opts, const char *help,
	       const char **positional, int *exit_status);

/* Load and check a packet dir; on problems print them, one per line, on
 * stderr and return false with *exit_status 2. */
bool cli_load(pd_pktdir **out, const char *dir, int *exit_status);

/* Print each diagnostic as "WHERE: MESSAGE" on stderr. */
void cli_print_diags(const pd_diags *d);

/* Print a JSON document on one line and free it. */
int cli_print_json(cJSON *tree);

#endif
