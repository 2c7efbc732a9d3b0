/* mergegit.h - the git side of `packetdeck merge` (merge.h), through
 * libgit2: merging one branch into the integration worktree with a merge
 * commit, conflicts, committing a resolution, undoing a merge cut short,
 * and putting a branch and a worktree back as they were. Internal: only
 * merge.c calls it. Commits are "hex" strings of 40 digits; "" for none.
 */
#ifndef PD_MERGEGIT_H
#define PD_MERGEGIT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pd_mg pd_mg; /* the integration worktree, open */

int pd_mg_open(pd_mg **out, const char *worktree);
void pd_mg_close(pd_mg *g);

/* The tip of local branch `branch` in the repository at `repo` into
 * tip[41] ("" when there is no such branch). */
int pd_mg_branch_tip(const char *repo, const char *branch, char tip[41]);

/* HEAD's commit ("" when unborn). */
int pd_mg_head(pd_mg *g, char head[41]);

/* Is `commit` HEAD or an ancestor of it? */
int pd_mg_reachable(pd_mg *g, const char *commit, bool *yes);

typedef enum pd_mg_outcome { PD_MG_MERGED, PD_MG_UP_TO_DATE, PD_MG_CONFLICT } pd_mg_outcome;

/* Merge local branch `branch` into HEAD: up to date when its tip is
 * reachable already; else a merge (never a fast-forward) that, when clean,
 * is committed with `message` (commit[41] gets it); with conflicts the
 * worktree is left as `git merge` leaves it (MERGE_HEAD, markers) and
 * files and nfiles list them (malloc'd; pd_merge_files_free). */
int pd_mg_merge(pd_mg *g, const char *branch, const char *message, pd_mg_outcome *outcome,
		char commit[41], char ***files, size_t *nfiles);

/* Is a merge in progress (MERGE_HEAD), and of which commit? */
int pd_mg_merging(pd_mg *g, bool *yes, char their[41]);

/* The conflicted paths of the index as it is on disk now. */
int pd_mg_conflicts(pd_mg *g, char ***files, size_t *nfiles);

/* Commit the index (no conflicts left) as the merge of MERGE_HEAD into
 * HEAD, with `message`; the merge state is cleaned up. */
int pd_mg_commit_merge(pd_mg *g, const char *message, char commit[41]);

/* Make the worktree `commit` exactly: HEAD's branch set there, index and
 * files checked out by force, untracked files (not ignored ones)
 * removed, the merge state cleaned up. */
int pd_mg_reset(pd_mg *g, const char *commit);

/* Does the worktree have changes (ignored files aside)? */
int pd_mg_dirty(pd_mg *g, bool *dirty);

/* Remove the worktree at `path` of the repository at `repo`: its
 * administrative files and its directory. 0 when there is none. */
int pd_mg_worktree_remove(const char *repo, const char *path);

/* Point local branch `branch` at `commit`, or delete it (commit NULL;
 * 0 when it does not exist). */
int pd_mg_branch_set(const char *repo, const char *branch, const char *commit);

#endif
