/* verify.h - verified completion: is the work a marker claims really there?
 *
 * Agents write their own checkpoints and markers, and an agent can claim
 * work it never committed. Where the track's repository can be found, a
 * marker counts only if its commit exists there and is the tip or an
 * ancestor of the track's branch; otherwise the marker is refused like a
 * corrupt one (never complete, never touched), with a located reason. With
 * no repository to look in (a packet dir read on another machine) the
 * marker is taken as written and flagged unverified.
 *
 * A track also does not count as complete while a failure record is at
 * least as new as its marker: that is how `run` refuses an agent's marker
 * when the branch did not advance past the commit it started at (the
 * record, newer than the marker, keeps every view from counting the track
 * until it is run again).
 *
 * The repository of a track: the project's (pd_manifest_root, not searched
 * upward) when it holds the track's branch, else the one at the track's
 * worktree, else the project's (the branch is then missing), else none.
 * The project's repository is opened once per verifier and kept. Through
 * libgit2, or the git command where libgit2 1.5 cannot open it.
 *
 * Not here: reading the files (state.h), deciding what to run (engine).
 */
#ifndef PD_VERIFY_H
#define PD_VERIFY_H

#include <stdbool.h>

#include "packetdeck/manifest.h"
#include "packetdeck/state.h"

typedef struct pd_verifier pd_verifier;

/* A verifier for the tracks of `m` (which must outlive it). Opens nothing
 * yet. */
int pd_verifier_new(pd_verifier **out, const pd_manifest *m);
void pd_verifier_free(pd_verifier *v);

/* Check the marker `mk` of track `t` (when its state is OK): refused, its
 * state becomes PD_FILE_CORRUPT and its problem says why ("PATH: commit
 * 0123456 is not in the repository"); no repository, mk->unverified is
 * set. Negative only on out-of-memory. */
int pd_verify_marker(pd_verifier *v, const pd_track *t, pd_marker *mk);

/* Flag the checkpoint `c` of track `t` (when OK) whose commit is null or
 * not in the repository: c->commit_problem says so. */
int pd_verify_checkpoint(pd_verifier *v, const pd_track *t, pd_checkpoint *c);

/* The commit at the tip of t's branch into tip[41] ("" when the branch does
 * not exist or has no commit). PD_ENOTFOUND when there is no repository. */
int pd_verify_branch_tip(pd_verifier *v, const pd_track *t, char tip[41]);

/* Has t's branch advanced past `base` (a commit; NULL or "": it had none)?
 * *advanced: its tip is another commit that descends from base. PD_ENOTFOUND
 * when there is no repository. */
int pd_verify_advanced(pd_verifier *v, const pd_track *t, const char *base, bool *advanced);

/* Does a failure record this new refute the marker (it is at least as new)? */
bool pd_failure_refutes(const pd_failure *f, const pd_marker *mk);

/* The one question every view asks: does track `t` count as complete?
 * Reads its marker into *mk (the caller clears it) and verifies it, reads
 * its failure record, and sets *complete. */
int pd_track_verified(pd_verifier *v, const pd_manifest *m, const pd_track *t, pd_marker *mk,
		      bool *complete);

#endif
