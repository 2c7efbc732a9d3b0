/* dirset.h - the names of a directory's regular files, read in one pass.
 *
 * For checking that thousands of manifest entries name regular files in
 * the packet dir: one readdir instead of one stat per entry. Only entries
 * whose type readdir reports as DT_REG are in the set; symlinks and
 * entries of unknown type are not, so callers fall back to a stat for
 * them. Internal to the core.
 */
#ifndef PD_DIRSET_H
#define PD_DIRSET_H

#include <stdbool.h>

typedef struct pd_dirset pd_dirset;

/* Read the directory open as `dir_fd` (the descriptor stays open and its
 * position is not used). NULL on failure: callers then stat each name. */
pd_dirset *pd_dirset_read(int dir_fd);

bool pd_dirset_has_regular(const pd_dirset *s, const char *name);

void pd_dirset_free(pd_dirset *s);

#endif
