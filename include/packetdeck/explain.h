/* explain.h - why an agent's track did not complete, in the words a person
 * needs: the cause (the agent's own last words, its refused tool calls, an
 * unknown slash command, a marker no commit backs, a model it could not
 * reach) and what to do about it.
 *
 * Not here: deciding that the track failed (the engine), reading the
 * agent's output (agentstream.h).
 */
#ifndef PD_EXPLAIN_H
#define PD_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "packetdeck/agentstream.h"
#include "packetdeck/preset.h"
#include "packetdeck/state.h"

typedef struct pd_explain_input {
	const char *runner;           /* the --runner value: a preset's name or a template */
	const pd_preset *preset;      /* its preset, NULL for a template */
	const pd_agent_summary *said; /* what its output said; may be NULL */
	int wstatus;                  /* how it ended (waitpid) */
	const pd_marker *marker;      /* the marker as read and verified */
	bool refuted;                 /* the marker is refuted by an earlier failure record */
	const char *log_path;         /* its whole output */
} pd_explain_input;

/* The failure message and the hint ("" when the usual "fix it, then
 * resume" fits), each one line, cut to their buffers. */
void pd_explain_failure(const pd_explain_input *in, char *message, size_t message_cap, char *hint,
			size_t hint_cap);

/* Append to `message` (a string) what the agent last said and where its
 * whole output is, as pd_explain_failure ends its message: for a failure
 * found by other means (a claim the branch does not back). */
void pd_explain_said(const pd_explain_input *in, char *message, size_t message_cap);

/* "Bash: git commit -m x; Write: /p/track-1.checkpoint.json" for the
 * first denials of `s`, into buf. */
const char *pd_explain_denials(const pd_agent_summary *s, char *buf, size_t cap);

#endif
