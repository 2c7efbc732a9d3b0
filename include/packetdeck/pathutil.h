/* pathutil.h - lexical path handling and the character rules for names.
 *
 * Lexical only: nothing here touches the filesystem (callers that must
 * follow symlinks use realpath(3) and then pd_path_within).
 */
#ifndef PD_PATHUTIL_H
#define PD_PATHUTIL_H

#include <stdbool.h>

/* "a" + "/" + "b", without doubling a slash. NULL when out of memory. */
char *pd_path_join(const char *a, const char *b);

/* Collapse "//", "." and ".." lexically. For a relative path, *escapes is
 * set when ".." climbs above its start (the result then keeps the leading
 * ".."s); for an absolute one, ".." stops at "/". NULL when out of memory. */
char *pd_path_clean(const char *path, bool *escapes);

/* Is the clean absolute path `child` equal to or below `parent`? */
bool pd_path_within(const char *child, const char *parent);

/* The part of `path` below `dir` ("d/a/b" below "d" is "a/b"), or NULL
 * when path is not strictly below it. */
const char *pd_path_below(const char *path, const char *dir);

/* The first control character (0x00-0x1f, 0x7f) in s, or NULL. */
const char *pd_find_control(const char *s);

/* The first character of s that a shell treats specially and that packet
 * file names, worktree paths and branch names must not contain:
 * ` $ ; & | < > ( ) { } ! \ " ' and control characters. NULL if none. */
const char *pd_find_shell_meta(const char *s);

#endif
