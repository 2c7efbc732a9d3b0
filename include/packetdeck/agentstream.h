/* agentstream.h - what an agent CLI's output says, one line at a time.
 *
 * A runner's stdout and stderr come here line by line (the engine splits
 * and caps them). Two machine-readable streams are understood: claude's
 * `--output-format stream-json --verbose` and codex's `exec --json`. From
 * them the reader makes a live activity per line (a tool call, its
 * outcome, a message, an error) and keeps a summary for the end of the
 * run: the final text, the error, token counts and cost, permission
 * denials, an unknown slash command, and a usage limit with the time it
 * lifts. Anything else (plain text, stderr chatter, an unknown or broken
 * JSON line, a line the engine cut) is never an error: plain lines are
 * kept as the last few meaningful lines, for the failure message of a
 * runner that has no stream.
 *
 * Deliberately not here: reading pipes or splitting lines (the engine's),
 * deciding what a track's outcome is or when to retry (the engine reads
 * the summary and decides), and showing anything. All text handed out is
 * display-safe: valid UTF-8, no control characters, no escape sequences.
 */
#ifndef PD_AGENTSTREAM_H
#define PD_AGENTSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef enum pd_agent_kind {
	PD_AGENT_AUTO = 0, /* decide per line from its "type" */
	PD_AGENT_CLAUDE,
	PD_AGENT_CODEX
} pd_agent_kind;

typedef enum pd_activity_kind {
	PD_ACT_NONE = 0, /* nothing to show */
	PD_ACT_TOOL,     /* a tool call started (claude tool_use, codex item.started/updated) */
	PD_ACT_RESULT,   /* a tool call's outcome (claude tool_result, codex item.completed) */
	PD_ACT_MESSAGE,  /* the agent's text; codex reasoning, plan and to-do list too */
	PD_ACT_ERROR,    /* an error, an API retry, a warning, a usage limit */
	PD_ACT_DONE      /* the end: claude's result, codex turn.completed/turn.failed */
} pd_activity_kind;

/* What one line said, for live display. The strings belong to the stream
 * and stay valid until the next feed or free. */
typedef struct pd_agent_activity {
	pd_activity_kind kind;
	/* "Bash", "Edit", "Read", ... for claude (NULL for a message, or for a
	 * result whose call was not seen); codex's item type:
	 * "command_execution", "file_change", "mcp_tool_call", "web_search",
	 * "collab_tool_call", "reasoning", "plan", "todo_list", "error" */
	const char *tool;
	/* One line, at most PD_AGENT_SUMMARY_MAX bytes, never NULL: the command
	 * (codex's `bash -lc '...'` wrapper taken off), the file path of
	 * Edit/Write/Read (else the input's pattern, url, query, description),
	 * the first line of a message, an error's message. A RESULT repeats its
	 * call's summary when the call was seen, else its output's first line. */
	const char *summary;
	int exit_code; /* a command's exit status, -1 unknown */
	bool is_error; /* a failed tool call or a failed end */
	/* the line was one of a stream's JSON objects (or JSON cut short): its
	 * readable form is the activity; else it is text to show as it is */
	bool structured;
} pd_agent_activity;

#define PD_AGENT_SUMMARY_MAX 200
#define PD_AGENT_TAIL 3          /* plain lines kept */
#define PD_AGENT_TAIL_MAX 300    /* bytes kept of each */
#define PD_AGENT_DENIALS_KEEP 64 /* distinct denials kept; the rest only counted */

/* A tool call refused for want of permission: from claude's
 * permission_denials and its "haven't granted it yet" tool results, and
 * codex's declined commands. Deduplicated on (tool, detail). */
typedef struct pd_agent_denial {
	char *tool;   /* "Bash", "Write", "command_execution" */
	char *detail; /* the command or file path, as in an activity's summary */
	size_t count; /* times it was refused */
} pd_agent_denial;

/* The run so far. All strings are one line (result_text keeps its line
 * breaks), display-safe, and NULL when there is nothing to say. */
typedef struct pd_agent_summary {
	pd_agent_kind kind; /* the stream recognised; AUTO until a line of either was read */
	char *session_id;   /* claude's session_id (init), codex's thread_id */

	bool has_result;   /* claude's result line / codex's turn.completed or turn.failed seen */
	bool is_error;     /* that end was a failure, or a usage limit was found in it */
	char *result_text; /* claude result.result; codex: the last agent_message (at most 16 KiB) */
	char *last_error;  /* the last error: codex error/turn.failed, claude's API errors and retries */

	long turns;               /* claude: counted live per assistant message, then num_turns;
				   * codex: turns started */
	long input_tokens;        /* as reported: claude's exclude the cache, codex's include it
				   * (claude's live counts are its messages' sums until its result) */
	long cached_input_tokens; /* claude cache_read_input_tokens, codex cached_input_tokens */
	long output_tokens;
	double cost_usd; /* claude total_cost_usd */
	bool has_cost;

	pd_agent_denial *denials;
	size_t ndenials;      /* kept, at most PD_AGENT_DENIALS_KEEP */
	size_t denials_total; /* every refusal seen, duplicates included */

	bool unknown_command;       /* "Unknown command: /execute-work-packet" */
	char *unknown_command_text; /* that line */

	bool limited;        /* a usage limit was hit */
	time_t resets_at;    /* when it lifts, 0 unknown */
	char *limit_message; /* the CLI's words for it */

	size_t errors;   /* error events: codex error/turn.failed (reconnects too), claude's
			  * API errors, retries and failed results, usage limits */
	size_t warnings; /* codex's non-fatal error items (config warnings, model reroutes) */
	size_t progress; /* lines whose activity was TOOL, RESULT or MESSAGE */
	size_t lines;    /* lines fed */

	const char *tail[PD_AGENT_TAIL]; /* the last plain non-blank lines, oldest first */
	size_t ntail;
} pd_agent_summary;

typedef struct pd_agent_stream pd_agent_stream;

/* A reader for one run. Returns 0, PD_EINVALID (an unknown kind) or PD_ENOMEM. */
int pd_agent_stream_new(pd_agent_stream **out, pd_agent_kind kind);

/* Feed one line of output, without its newline: `len` bytes, which may hold
 * anything (NUL bytes, invalid UTF-8). `cut` says the engine truncated it,
 * so it is not read as JSON. `now` is the time the line arrived (limit
 * times such as "resets 7pm" are read relative to it). Fills *act (kind
 * PD_ACT_NONE when the line says nothing to show). Returns 0, or PD_ENOMEM
 * only: what a line says never makes it fail. After the call, the previous
 * activity's strings and the summary's tail pointers are no longer valid. */
int pd_agent_stream_feed(pd_agent_stream *s, const char *line, size_t len, bool cut,
			 time_t now, pd_agent_activity *act);

/* The summary so far; it belongs to the stream and changes with each feed. */
const pd_agent_summary *pd_agent_stream_summary(const pd_agent_stream *s);

void pd_agent_stream_free(pd_agent_stream *s);

typedef enum pd_agent_text_mode {
	PD_TEXT_ONE_LINE = 0, /* line breaks become spaces */
	PD_TEXT_FIRST_LINE,   /* only the first non-blank line */
	PD_TEXT_KEEP_LINES    /* line breaks, tabs and spaces kept as they are */
} pd_agent_text_mode;

/* text[0..len) (any bytes) as display text in out (cap > 0 bytes, the NUL
 * included): escape sequences dropped, invalid UTF-8 as '?', control
 * characters and runs of spaces as one space, trimmed, cut on a character
 * boundary. Returns its length, never more than len. The reader's own
 * strings come through here; the front ends can use it for raw log lines. */
size_t pd_agent_text_clean(char *out, size_t cap, const char *text, size_t len,
			   pd_agent_text_mode mode);

/* Does `text` say that a usage limit was hit? Matched loosely, as the
 * wording changes between versions: claude's "You've hit your session
 * limit · resets 1:10am (UTC)" (weekly, Opus, "resets Sep 24, 5pm", "resets
 * in 47 minutes"), "5-hour limit reached", the older "Claude AI usage limit
 * reached|EPOCH", an API key's "would exceed your account's rate limit",
 * codex's "You've hit your usage limit. ... try again at 7:48 AM." (or "at
 * Dec 4th, 2026 11:35 AM", "in 2 hours"), and a "usage_limit_reached"
 * error body ("resets_at": EPOCH or "resets_in_seconds": N). A warning such
 * as "You've used 93% of your session limit" is not a limit.
 *
 * On true, *resets_at (may be NULL) is when it lifts, or 0 when the text
 * does not say or cannot be placed. A time of day is the next one at or
 * after `now` (the stated minute counts until it is over); without a zone
 * it is the machine's local time (localtime_r/mktime, as both CLIs print
 * local time); "(UTC)" and "(GMT)" are UTC; another zone name is used only
 * when it is the local zone ($TZ, or /etc/localtime's link when TZ is
 * unset), else the time is unknown (0): the core never changes TZ. */
bool pd_agent_limit_parse(const char *text, time_t now, time_t *resets_at);

#endif
