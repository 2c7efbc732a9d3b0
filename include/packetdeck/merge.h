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

/* Not yet here: the machine that drives a merge through these states
 * (begin, step, continue, abort), its events and its command. */

#endif
