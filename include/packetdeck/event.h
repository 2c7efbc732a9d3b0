/* event.h - what happens during a run, as values: printed as lines by the
 * headless front end, as JSON with --json, appended to .packetdeck/events.jsonl,
 * drawn by the dashboard. The core emits them through a callback and never
 * prints.
 *
 * Types and fields (DESIGN §4; task_started and notice are additions):
 *   run_started (feature, total, order)   track_skipped (track, reason)
 *   blocked (track, missing)              waiting (track, next_poll_s, deadline)
 *   track_started (track, runner)         task_started (track, task, title)
 *   checkpoint (track, task, next_task, commit)
 *   track_completed (track, commit)       track_failed (track, task, message, exit_status)
 *   handoff_suggested (completed, total)  aborted (reason)
 *   run_completed (completed, total)      notice (track, message)
 *   agent_activity (track, kind, tool, summary, exit_code, is_error): what
 *       an agent is doing, one per line of its stream that says something;
 *       kind "tool" (a call starts), "result" (its outcome), "message"
 *       (its text), "error" (an API error, a retry, a warning)
 *   agent_usage (track, turns, input_tokens, output_tokens, cost_usd)
 *   limited (track, resets_at or null, message): a usage limit; the track
 *       starts again from its checkpoint at resets_at (or every poll
 *       interval when unknown), until the wait timeout
 * and of `packetdeck merge` (merge.h):
 *   merge_started (feature, branch, strategy, path, total, order)
 *   track_planned (track, branch, commit)   track_incomplete (track, reason)
 *   track_merged (track, commit; reason "up to date" when nothing to merge)
 *   merge_conflict (track, files)           merge_manual (branch, path)
 *   qa_started (gate, completed = its index, total)   qa_output (gate, message)
 *   qa_passed (gate)   qa_skipped (gate, reason)   qa_failed (gate, message, exit_status)
 *   merge_completed (branch, path, commit, completed = tracks merged, total)
 *   merge_aborted (branch, reason)
 */
#ifndef PD_EVENT_H
#define PD_EVENT_H

#include <stddef.h>

typedef enum pd_event_type {
	PD_EV_RUN_STARTED,
	PD_EV_TRACK_SKIPPED,
	PD_EV_BLOCKED,
	PD_EV_WAITING,
	PD_EV_TRACK_STARTED,
	PD_EV_TASK_STARTED,
	PD_EV_CHECKPOINT,
	PD_EV_TRACK_COMPLETED,
	PD_EV_TRACK_FAILED,
	PD_EV_HANDOFF_SUGGESTED,
	PD_EV_ABORTED,
	PD_EV_RUN_COMPLETED,
	PD_EV_NOTICE,
	PD_EV_AGENT_ACTIVITY,
	PD_EV_AGENT_USAGE,
	PD_EV_LIMITED,
	/* packetdeck merge (merge.h) */
	PD_EV_MERGE_STARTED,
	PD_EV_TRACK_PLANNED,
	PD_EV_TRACK_INCOMPLETE,
	PD_EV_TRACK_MERGED,
	PD_EV_MERGE_CONFLICT,
	PD_EV_MERGE_MANUAL,
	PD_EV_QA_STARTED,
	PD_EV_QA_OUTPUT,
	PD_EV_QA_PASSED,
	PD_EV_QA_SKIPPED,
	PD_EV_QA_FAILED,
	PD_EV_MERGE_COMPLETED,
	PD_EV_MERGE_ABORTED
} pd_event_type;

typedef struct pd_event {
	pd_event_type type;
	long track;              /* -1 when none */
	const char *feature;
	const char *task, *title, *next_task, *commit;
	const char *message;     /* track_failed, notice */
	const char *reason;      /* track_skipped, aborted */
	const char *runner;
	int exit_status;
	size_t completed, total;
	const long *ids;         /* run_started: the order; blocked: the missing tracks */
	size_t nids;
	long next_poll_s;
	const char *deadline;    /* UTC timestamp */
	const char *name;        /* the track's name, for people */
	const char *hint;        /* track_failed: what to do, when more than "fix it" */
	/* agent_activity */
	const char *kind;        /* "tool", "result", "message", "error" */
	const char *tool;        /* "Bash", "Edit", codex's "command_execution"; NULL */
	const char *summary;     /* one display-safe line */
	int exit_code;           /* a command's exit status; -1 unknown */
	int is_error;            /* a failed call, an error */
	/* agent_usage */
	long turns, input_tokens, output_tokens;
	double cost_usd;
	int has_cost;
	/* limited */
	const char *resets_at;   /* UTC timestamp; NULL: not known */
	/* merge */
	const char *branch;      /* the integration branch; track_planned: the track's */
	const char *strategy;    /* merge_started */
	const char *path;        /* the integration worktree */
	const char *gate;        /* qa_*: the post_merge_qa entry */
	const char *const *files; /* merge_conflict: the conflicted files */
	size_t nfiles;
} pd_event;

#define PD_EVENT_INIT(t) {.type = (t), .track = -1, .exit_code = -1}

typedef void (*pd_event_fn)(void *ctx, const pd_event *e);

/* "track_failed", ... */
const char *pd_event_name(pd_event_type t);

/* The event as one line of JSON (no newline), with "event" and "ts" first;
 * NULL when out of memory. The caller frees it. */
char *pd_event_json(const pd_event *e);

#endif
