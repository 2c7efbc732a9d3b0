/* gitwt.h - what packetdeck asks of git: branch names, worktrees, HEAD.
 *
 * Through libgit2. Where libgit2 1.5 cannot open a repository (it predates
 * extensions.worktreeConfig and relativeWorktrees, and refuses repositories
 * owned by another user), the same questions go to the `git` command, run
 * with argv (never a shell) and --end-of-options; the result says which
 * way was taken. pd_git_init runs once before the rest (it is idempotent);
 * pd_git_shutdown releases libgit2's globals.
 */
#ifndef PD_GITWT_H
#define PD_GITWT_H

#include <stdbool.h>

int pd_git_init(void);
void pd_git_shutdown(void);

/* Would git accept `name` as a branch name (refs/heads/NAME)? */
bool pd_git_branch_name_valid(const char *name);

typedef struct pd_worktree_info {
	bool exists;        /* `path` exists and is a git worktree or repository */
	char *branch;       /* its current branch, NULL when detached or unknown */
	char head[41];      /* HEAD's commit, "" when the branch has no commit yet */
	char *subject;      /* HEAD's subject line, NULL if none */
	char *git_dir;      /* its git dir (.git/worktrees/NAME for a worktree), absolute */
	char *common_dir;   /* the repository's shared git dir (.git), absolute */
	bool via_cli;       /* libgit2 could not open it: the git command answered */
} pd_worktree_info;

/* Look at `path`. Absent: 0 with exists false. Present but not a git
 * worktree: PD_EINVALID. */
int pd_worktree_inspect(pd_worktree_info *out, const char *path);

void pd_worktree_info_clear(pd_worktree_info *w);

/* Does the worktree at `path` have changes (staged, unstaged or untracked
 * files, ignored ones aside)? For the dashboard; it reads the whole tree,
 * so callers ask on change, not per keystroke. */
int pd_worktree_dirty(const char *path, bool *dirty);

/* A new repository at `path` (created) on branch `branch`, with one
 * commit of an empty tree and a local identity `who` <`email`> in its
 * config, so that commits made in it need nothing from the user's. */
int pd_repo_init(const char *path, const char *branch, const char *who, const char *email,
		 const char *message);

/* Create a worktree at `path` (which must not exist) for `branch` in the
 * repository at `repo`: the branch is created at `start` (a commit or
 * revision; NULL for the repository's HEAD) unless it exists already.
 * *via_cli (may be NULL) tells whether the git command did it. */
int pd_worktree_create(const char *repo, const char *path, const char *branch, const char *start,
		       bool *via_cli);

/* Make sure the worktree at `path` exists and is on `branch`: create it if
 * absent (as pd_worktree_create); if it is on another branch, fail naming
 * both (never an implicit checkout). *info (may be NULL) gets the result. */
int pd_worktree_prepare(const char *repo, const char *path, const char *branch, const char *start,
			pd_worktree_info *info);

#endif
