/* watch.h - notice changes in a directory (the packet dir) without polling.
 *
 * inotify on the directory: a marker or checkpoint created, renamed into
 * place, written or removed makes the descriptor readable. Where inotify is
 * unavailable (or out of watches) there is no descriptor, and callers fall
 * back to their periodic rescan, which they keep in any case.
 */
#ifndef PD_WATCH_H
#define PD_WATCH_H

#include <stdbool.h>

typedef struct pd_watch pd_watch;

/* Never fails for want of inotify: pd_watch_fd is then -1. */
int pd_watch_open(pd_watch **out, const char *dir);

/* The descriptor to poll for POLLIN, or -1. */
int pd_watch_fd(const pd_watch *w);

/* Consume what is pending; true if anything changed. */
bool pd_watch_drain(pd_watch *w);

void pd_watch_free(pd_watch *w);

#endif
