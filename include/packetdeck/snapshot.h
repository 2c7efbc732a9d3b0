/* snapshot.h - every track's state, derived from the files, at one moment.
 *
 * States are never stored; they are read off the packet dir (DESIGN §3):
 *   complete     a valid completion marker whose commit is verified
 *                (verify.h), and no failure record as new as it
 *   limited      .packetdeck/track-N.limit.json: its agent hit a usage limit
 *                and no checkpoint or failure came after it (the waiting
 *                run holds the lock: this comes before running)
 *   running      .packetdeck/track-N.lock held by a live process
 *   failed       a failure record newer than any checkpoint, or as new
 *                as the marker (which it refutes)
 *   interrupted  a checkpoint, no marker, no lock, no newer failure
 *   ready        every dependency complete, nothing started
 *   blocked      some dependency not complete
 * in that order of precedence. For a blocked track, `root` names the first
 * (in execution order) not-complete ancestor whose own dependencies are
 * complete: the track that has to move for this one to move.
 */
#ifndef PD_SNAPSHOT_H
#define PD_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "packetdeck/pktdir.h"
#include "packetdeck/state.h"

typedef enum pd_state {
	PD_STATE_COMPLETE,
	PD_STATE_RUNNING,
	PD_STATE_FAILED,
	PD_STATE_INTERRUPTED,
	PD_STATE_READY,
	PD_STATE_BLOCKED,
	PD_STATE_LIMITED
} pd_state;

#define PD_NO_TRACK ((size_t)-1)

/* What a track's files say. Most tracks of a large dir have none yet:
 * they share one record of absent files instead of a copy each. */
typedef struct pd_track_files {
	pd_marker marker;
	pd_checkpoint checkpoint;
	pd_failure failure;
	pd_lockinfo lock;
	pd_limit limit;
} pd_track_files;

typedef struct pd_track_status {
	pd_state state;
	const pd_track_files *files; /* never NULL */
	size_t tasks_done;   /* per the checkpoint (all, when complete) */
	size_t root;         /* blocked: the root cause's index; else itself */
} pd_track_status;

typedef struct pd_snapshot {
	size_t ntracks;
	pd_track_status *tracks; /* by manifest index */
	size_t completed;
	size_t next;             /* the first actionable track in order, or PD_NO_TRACK */
	pd_lockinfo run;         /* .packetdeck/run.lock: held while a run executes the dir */
} pd_snapshot;

/* Read every track's files. Writes nothing. */
int pd_snapshot_take(pd_snapshot **out, const pd_pktdir *pd);

/* Read again, in place, the files of the tracks at the manifest indexes
 * `which[0..n)` (all of them when `which` is NULL) and the run lock, and
 * settle the graph again. *changed: whether anything shown differs. On
 * error (out of memory) the snapshot stays whole. */
int pd_snapshot_reread(pd_snapshot *s, const pd_pktdir *pd, const size_t *which, size_t n,
		       bool *changed);

void pd_snapshot_free(pd_snapshot *s);

/* "complete", "running", ... */
const char *pd_state_name(pd_state state);

#endif
