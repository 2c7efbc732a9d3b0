/* lock.h - the locks of a packet dir: run.lock and track-{id}.lock.
 *
 * A lock is an flock(2) on a file that is never unlinked (two processes
 * could otherwise both "hold" it), taken on a close-on-exec descriptor (a
 * runner must not inherit it and outlive us holding it). The file holds the
 * holder's pid, host, start time and run id as JSON, for messages; the
 * flock alone says whether it is held. A holder that dies loses its flock
 * with it: the next taker finds the old content, takes the lock, and says
 * so (a stale lock is taken over, never waited on).
 */
#ifndef PD_LOCK_H
#define PD_LOCK_H

#include <stdbool.h>

typedef struct pd_lockinfo {
	bool held;        /* an flock is held on it right now */
	long pid;         /* from the file's content, 0 if unknown */
	char *host, *since, *run_id;
	bool has_track;   /* run.lock: its holder executes `track` itself now */
	long track;
} pd_lockinfo;

typedef struct pd_lock pd_lock;

/* Take the lock at `path` (creating the file). On PD_ELOCKED, *holder
 * (if not NULL) names who holds it and the message says so. On success,
 * if *stale is not NULL it gets the previous holder's content when one was
 * recorded (a holder that died), `held` false. */
int pd_lock_take(pd_lock **out, const char *path, const char *run_id, pd_lockinfo *holder,
		 pd_lockinfo *stale);

/* Take PACKET_DIR/.packetdeck/run.lock as pd_lock_take does, making the
 * directory when it is absent: what run, merge and adopt hold. */
int pd_run_lock_take(pd_lock **out, const char *packet_dir, const char *run_id,
		     pd_lockinfo *holder, pd_lockinfo *stale);

/* Clear the content and release. NULL is a no-op. */
void pd_lock_release(pd_lock *l);

/* Release, putting back the holder `previous` (pd_lock_take's *stale):
 * a short holder that is not a run (adopt) leaves a dead run's record for
 * the next run, which stops what that run left behind. */
void pd_lock_release_to(pd_lock *l, const pd_lockinfo *previous);

/* A track's lock, in one of two ways (either order of the two, one sees
 * the other):
 *
 * - `packet` (and `run` for an agent, which cannot take a lock itself)
 *   takes .packetdeck/track-{id}.lock, then probes run.lock: a run that
 *   names the track there executes it, and the lock is given back
 *   (PD_ELOCKED). *stale as for pd_lock_take.
 * - `run`, for a track it executes in-process, names the track in the
 *   run.lock it holds, then probes track-{id}.lock: held means executed
 *   elsewhere (PD_ELOCKED, the name taken back). No file per track is
 *   made: a run of 10 000 tracks allocates 10 000 fewer inodes.
 *
 * A reader (status, the dashboard) sees a track running when its lock is
 * held or a held run.lock names it. */
int pd_track_lock_take(pd_lock **out, const char *packet_dir, long track, const char *run_id,
		       pd_lockinfo *stale);
int pd_track_claim(pd_lock *run, const char *packet_dir, long track);
/* The run no longer executes a track (run.lock's record without one). */
void pd_track_unclaim(pd_lock *run);

/* Is `lock_path` held, and by whom? Opens it read-only and creates
 * nothing: read-only commands stay read-only. */
int pd_lock_probe(pd_lockinfo *out, const char *lock_path);
/* The same for PACKET_DIR/.packetdeck/run.lock. */
int pd_run_lock_probe(pd_lockinfo *out, const char *packet_dir);

void pd_lockinfo_clear(pd_lockinfo *l);

/* "took over the WHAT of pid 123 on host since ..., which is no longer
 * running" into buf: the notice for a stale lock taken over. */
const char *pd_lock_takeover_text(const pd_lockinfo *stale, const char *what, char *buf,
				  unsigned cap);

/* "pid 123 on host since 2026-...Z" into buf. */
const char *pd_lockinfo_text(const pd_lockinfo *l, char *buf, unsigned cap);

#endif
