/* watch.h - notice changes in a directory (the packet dir) without polling.
 *
 * inotify on the directory and on its state dir (.packetdeck, watched from
 * the moment it exists): a marker, checkpoint, failure record or lock
 * created, renamed into place, written or removed makes the descriptor
 * readable, and pd_watch_next says which file it was. Where inotify is
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

/* The next change: 1 with *name the entry's name relative to the dir
 * ("track-3.checkpoint.json", ".packetdeck/track-3.lock"); 1 with *name
 * NULL when changes were lost (the queue overflowed, or the state dir just
 * appeared): look at everything again; 0 when nothing is pending. *name
 * is valid until the next call. */
int pd_watch_next(pd_watch *w, const char **name);

/* Consume what is pending; true if anything changed. */
bool pd_watch_drain(pd_watch *w);

void pd_watch_free(pd_watch *w);

#endif
