/* gitcli.h - the git command, for what libgit2 1.5 cannot open (gitwt.c,
 * verify.c). Internal to the core. */
#ifndef PD_GITCLI_H
#define PD_GITCLI_H

/* Run git with `args` (NULL-terminated, after "git"; at most 22), without a
 * shell; *out (may be NULL) gets its output (stdout and stderr) with
 * trailing blanks removed. Returns its exit status, or negative if it could
 * not run. */
int pd_git_cli(char **out, const char *const *args);

#endif
