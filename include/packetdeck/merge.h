/* merge.h - `packetdeck merge`: the /merge-work-packets step.
 *
 * Every track must be complete (verified: its marker's commit is on its
 * branch). Then the track branches are merged, in dependency order, into
 * the integration branch `feature/{feature}-integrated`, checked out in an
 * integration worktree of its own beside the tracks' worktrees (the user's
 * checkout of project_root is never switched or touched), each with a merge
 * commit "Merge track N (name)". A conflict stops the merge with git's own
 * conflict state in that worktree (conflict markers; `git status` shows
 * them) for the user to resolve; continuing commits the resolution and
 * goes on; aborting restores the branch and the worktree as they were
 * before the merge (a branch or worktree the merge made is removed). Then
 * every marker's commit must be an ancestor of the integration branch, and
 * the post_merge_qa gates run in order in the integration worktree, the
 * first failure stopping them. Track worktrees and branches are only read.
 *
 * The merge's state is .packetdeck/merge.json, written atomically before
 * each step that changes git and after it, so a merge killed anywhere can
 * be continued or aborted: what is merged is read from git itself (a
 * track's branch tip reachable from the integration branch), and a merge
 * cut short (not yet handed to the user) is undone and made again.
 *
 * The run lock (.packetdeck/run.lock) is to be held throughout, so no
 * run and no other merge changes the packet dir meanwhile.
 */
#ifndef PD_MERGE_H
#define PD_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "packetdeck/event.h"
#include "packetdeck/pktdir.h"

typedef enum pd_merge_phase {
	PD_MERGE_NONE,      /* no merge.json: nothing in progress */
	PD_MERGE_MERGING,   /* merging the tracks (or stopped while doing so) */
	PD_MERGE_CONFLICT,  /* stopped at a conflict: the user resolves */
	PD_MERGE_MANUAL,    /* merge_strategy "manual": the user merges by hand */
	PD_MERGE_QA,        /* running the gates (or stopped while doing so) */
	PD_MERGE_QA_FAILED, /* a gate failed */
	PD_MERGE_COMPLETED
} pd_merge_phase;

/* .packetdeck/merge.json */
typedef struct pd_merge_state {
	pd_merge_phase phase;
	char *branch;          /* the integration branch */
	char *worktree;        /* its worktree, absolute */
	bool branch_existed;   /* before this merge began ... */
	char before[41];       /* ... at this commit */
	bool worktree_existed;
	size_t merged;         /* tracks merged so far, in execution order */
	long track;            /* CONFLICT: the track being merged; else -1 */
	char **files;          /* CONFLICT: its conflicted files */
	size_t nfiles;
	size_t gate;           /* QA, QA_FAILED: the gate's index */
	char *started;         /* UTC timestamp */
	char *problem;         /* read: why the file was refused (then phase NONE) */
} pd_merge_state;

/* Read the state (phase NONE when there is no file). A file that does
 * not parse: PD_EINVALID, with the reason. */
int pd_merge_state_read(pd_merge_state *out, const char *packet_dir);
int pd_merge_state_write(const pd_merge_state *s, const char *packet_dir);
void pd_merge_state_clear(pd_merge_state *s);
/* Remove the file (the merge is over: aborted). */
int pd_merge_state_remove(const char *packet_dir);
void pd_merge_files_free(char **files, size_t n);
/* "merging", "conflict", ...; "none" */
const char *pd_merge_phase_name(pd_merge_phase p);

/* How a post_merge_qa entry runs. */
typedef enum pd_gate_kind {
	PD_GATE_PYTEST, /* "pytest": pytest --verbose */
	PD_GATE_SKILL,  /* an upstream agent skill: through the agent runner */
	PD_GATE_SHELL   /* anything else: sh -c ENTRY, the manifest author's own */
} pd_gate_kind;

pd_gate_kind pd_gate_classify(const char *entry);

/* The machine that drives a merge, non-blocking in the manner of the
 * engine: pd_merge_new takes the run lock; then, until pd_merge_step says
 * it is done, poll pd_merge_pollfd (for input; -1: step again at once) and
 * call pd_merge_step. Events go to on_event as they happen. */
typedef enum pd_merge_action {
	PD_MERGE_START,    /* a new merge (or the next one after a completed merge) */
	PD_MERGE_CONTINUE, /* after a conflict, a manual merge, a failed gate, a kill */
	PD_MERGE_ABORT     /* put everything back as it was before the merge */
} pd_merge_action;

typedef struct pd_merge_options {
	pd_merge_action action;
	bool no_qa;           /* skip the post_merge_qa gates (said as qa_skipped) */
	const char *runner;   /* for gates that are agent skills: a preset or template;
			       * NULL or "builtin": such gates are skipped */
	const char *self_exe; /* {self} in templates */
	unsigned grace_ms;    /* a gate stopped: SIGTERM, then SIGKILL after this */
	pd_event_fn on_event;
	void *ctx;
} pd_merge_options;

typedef enum pd_merge_outcome {
	PD_MERGED_OK,          /* merged (and the gates passed or were skipped); or aborted */
	PD_MERGED_INCOMPLETE,  /* a track is not complete: nothing was touched */
	PD_MERGED_STOPPED,     /* a conflict or a manual merge: the user goes on */
	PD_MERGED_QA_FAILED,   /* a gate failed */
	PD_MERGED_REFUSED,     /* the request cannot be done as things are (said why) */
	PD_MERGED_ERROR,       /* git or the file system failed */
	PD_MERGED_INTERRUPTED  /* pd_merge_interrupt */
} pd_merge_outcome;

typedef struct pd_merge pd_merge;

/* Take the run lock (PD_ELOCKED, saying who holds it) and begin. `pd`
 * must outlive the merge. */
int pd_merge_new(pd_merge **out, const pd_pktdir *pd, const pd_merge_options *o);
/* The descriptor to wait on for input, or -1: call pd_merge_step now. */
int pd_merge_pollfd(const pd_merge *mg);
/* Do the next piece of work; true once the merge has finished. */
bool pd_merge_step(pd_merge *mg);
/* Stop (a signal, the user): a running gate is stopped; the state file
 * keeps what is needed to continue. */
void pd_merge_interrupt(pd_merge *mg, const char *why);
/* How it ended, and why in one line (NULL when all went well). */
pd_merge_outcome pd_merge_outcome_of(const pd_merge *mg, const char **message);
/* The exit status for it: 0, 1 gate failed, 2 refused, 3 incomplete or
 * interrupted, 6 stopped for the user (PD_EXIT_MERGE_STOPPED). */
int pd_merge_exit_status(const pd_merge *mg);
/* The integration branch and worktree (once known), for what is next. */
const char *pd_merge_branch(const pd_merge *mg);
const char *pd_merge_worktree(const pd_merge *mg);
void pd_merge_free(pd_merge *mg);

/* The integration branch's name for `feature`: feature/{feature}-integrated
 * (malloc'd). */
char *pd_merge_branch_name(const char *feature);

#endif
