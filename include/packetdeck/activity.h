/* activity.h - what an agent does, as lines a person reads.
 *
 * The agent stream reader (agentstream.h) turns each line of claude's
 * stream-json or codex's --json into an activity; here an activity becomes
 * one display line, the same for the headless output and the dashboard:
 *
 *   ▸ Bash   pytest -q          a tool call starts
 *     ✓ exit 0                  its outcome (✗ exit 1, ✗ the error's words)
 *   All tests pass.             the agent's text
 *   ! API retry 3/10 ...        an error, a retry, a warning
 *
 * and a run of raw log lines (oldest first) becomes the lines to show, so
 * that a result is matched to its call: a fresh stream reader reads them
 * in order. Lines that are not a stream's JSON (packetdeck's own "=== ..."
 * headers, an agent's plain text) are kept as they are, made safe to show.
 * ASCII forms (">", "ok", "x", "!") for terminals without UTF-8. No curses.
 */
#ifndef PD_ACTIVITY_H
#define PD_ACTIVITY_H

#include <stdbool.h>
#include <stddef.h>

#include "packetdeck/agentstream.h"

typedef enum pd_line_kind {
	PD_LINE_PLAIN,   /* text as it came (cleaned) */
	PD_LINE_TOOL,    /* a call */
	PD_LINE_OK,      /* a call that succeeded */
	PD_LINE_FAIL,    /* a call that failed */
	PD_LINE_MESSAGE, /* the agent's words */
	PD_LINE_ERROR    /* an error or a retry */
} pd_line_kind;

/* The activity (kind, tool, summary, exit_code, is_error as in
 * pd_agent_activity) as one line into buf; returns its kind as a line
 * (PD_LINE_PLAIN with buf "" for an activity that shows nothing). */
pd_line_kind pd_activity_line(char *buf, size_t cap, pd_activity_kind kind, const char *tool,
			      const char *summary, int exit_code, bool is_error, bool ascii);

/* The same from an agent_activity event's kind name ("tool", "result",
 * "message", "error"). */
pd_activity_kind pd_activity_kind_from_name(const char *name);

typedef struct pd_readable {
	char *text;        /* one line, display-safe */
	pd_line_kind kind;
} pd_readable;

/* raw[0..n) (lines of a log, without newlines, oldest first) as readable
 * lines into *out (*nout of them; free with pd_readable_free). *stream
 * (may be NULL): whether any line was a stream's JSON. Returns 0 or
 * PD_ENOMEM. */
int pd_activity_render(const char *const *raw, size_t n, bool ascii, pd_readable **out, size_t *nout,
		       bool *stream);

void pd_readable_free(pd_readable *r, size_t n);

#endif
