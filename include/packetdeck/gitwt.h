/* gitwt.h - what packetdeck asks of git, through libgit2.
 *
 * For now: the branch-name rule. Worktree creation, HEAD and dirtiness join
 * it with the executor. pd_git_init must run once before the rest (it is
 * cheap and idempotent); pd_git_shutdown releases libgit2's globals.
 */
#ifndef PD_GITWT_H
#define PD_GITWT_H

#include <stdbool.h>

int pd_git_init(void);
void pd_git_shutdown(void);

/* Would git accept `name` as a branch name (refs/heads/NAME)? */
bool pd_git_branch_name_valid(const char *name);

#endif
