/* state.h - the files that record a run: markers, checkpoints, failures, locks.
 *
 * Readers never trust a file: each is read bounded (PD_STATE_MAX_BYTES),
 * must be a regular file and strict JSON of the right shape, and anything
 * else comes back as PD_FILE_CORRUPT with the reason, never as valid. A
 * completion marker counts only with "status": "complete"; one whose
 * status says the track is still under way ("in_progress", "pending",
 * "started", "running", ...) is read as absent, its status kept in
 * `unfinished` (not complete, not corrupt). Upstream's
 * older names are read too (.track-{id}-complete.json,
 * checkpoints/track-{id}-checkpoint.json); the current names win.
 *
 * Writers use pd_write_atomic. A completion marker is never replaced: the
 * write fails if one exists (markers are one-way; the seed forbids editing
 * them), unless the one there says the track is not complete. Nothing here deletes a marker or a checkpoint.
 *
 * Locks are lock.h's.
 */
#ifndef PD_STATE_H
#define PD_STATE_H

#include <stdbool.h>
#include <time.h>

#include "packetdeck/error.h"
#include "packetdeck/lock.h"

#define PD_STATE_MAX_BYTES (64u << 10)
#define PD_STATE_DIR ".packetdeck"

typedef enum pd_file_state {
	PD_FILE_ABSENT = 0,
	PD_FILE_OK,
	PD_FILE_CORRUPT
} pd_file_state;

typedef struct pd_marker {
	pd_file_state state;
	char *path;       /* the file read, when present */
	char *commit;     /* NULL when the marker has none */
	char *timestamp;
	char *problem;    /* PD_FILE_CORRUPT: why (also a commit verify.h refused) */
	struct timespec mtime;
	bool unverified;  /* OK, but no repository was found to check its commit in */
	bool refused;     /* CORRUPT because verify.h found no such commit on the branch */
	char *unfinished; /* ABSENT, but `path` is a marker saying the track is not
			   * complete: its status ("in_progress"); NULL otherwise */
} pd_marker;

typedef struct pd_checkpoint {
	pd_file_state state;
	char *path;
	long track;
	char *last_completed_task;
	char *next_task;  /* NULL: null, the last task is done */
	char *commit, *timestamp;
	char *problem;
	struct timespec mtime;
	char *commit_problem; /* OK, but its commit is null or not in the repository (verify.h) */
} pd_checkpoint;

typedef struct pd_failure {
	pd_file_state state;
	char *path;
	long track;
	char *task;       /* NULL when the failure is not a task's */
	char *message;
	char *hint;       /* what to do about it; NULL when absent */
	int exit_status;
	char *timestamp;
	char *problem;
	struct timespec mtime;
} pd_failure;

/* .packetdeck/track-N.start.json: the commit the track's branch was at
 * when a run started its runner (verify.h: an agent's track must advance
 * its branch past it). */
typedef struct pd_start {
	pd_file_state state;
	char *path;
	char *branch;
	char *commit;     /* NULL: the branch had no commit yet */
	char *runner, *timestamp;
	char *problem;
} pd_start;

/* .packetdeck/track-N.limit.json: the track's agent hit a usage limit and
 * a run waits for it to lift (or a run stopped waiting). Removed when the
 * track starts again. */
typedef struct pd_limit {
	pd_file_state state;
	char *path;
	time_t resets_at;         /* when it lifts; 0: not known */
	char *message;            /* the agent's words, one line */
	char *timestamp;          /* when it was hit */
	struct timespec mtime;
	char *problem;
} pd_limit;

/* Readers: 0 with out->state set (ABSENT, OK or CORRUPT); negative only on
 * out-of-memory. */
int pd_marker_read(pd_marker *out, const char *packet_dir, long track);
int pd_checkpoint_read(pd_checkpoint *out, const char *packet_dir, long track);
int pd_failure_read(pd_failure *out, const char *packet_dir, long track);
int pd_start_read(pd_start *out, const char *packet_dir, long track);
int pd_limit_read(pd_limit *out, const char *packet_dir, long track);

/* A checkpoint given as text[0..len) rather than read from its file (the
 * built-in runner's notice of each checkpoint it wrote; text need not be
 * NUL-terminated): the same checks, with `where` naming the source in
 * problems. Negative only on out-of-memory, with nothing to clear. */
int pd_checkpoint_parse(pd_checkpoint *out, const char *text, size_t len, const char *where,
			long track);

void pd_marker_clear(pd_marker *m);
void pd_checkpoint_clear(pd_checkpoint *c);
void pd_failure_clear(pd_failure *f);
void pd_start_clear(pd_start *s);
void pd_limit_clear(pd_limit *l);

/* Writers (seed formats). A NULL timestamp means now. */
int pd_marker_write(const char *packet_dir, long track, const char *commit, const char *timestamp);
int pd_checkpoint_write(const char *packet_dir, long track, const char *last_completed_task,
			const char *next_task, const char *commit, const char *timestamp);
int pd_failure_write(const char *packet_dir, long track, const char *task, const char *message,
		     const char *hint, int exit_status, const char *timestamp);

int pd_start_write(const char *packet_dir, long track, const char *branch, const char *commit,
		   const char *runner);

/* The checkpoint as the one line of JSON pd_checkpoint_write puts in the
 * file (without the newline); malloc'd, NULL when out of memory. */
char *pd_checkpoint_text(long track, const char *last_completed_task, const char *next_task,
			 const char *commit, const char *timestamp);

/* The paths (malloc'd) of a track's files, current names. */
char *pd_marker_path(const char *packet_dir, long track);
char *pd_checkpoint_path(const char *packet_dir, long track);
char *pd_state_file(const char *packet_dir, long track, const char *suffix); /* .packetdeck/track-N.SUFFIX */

/* Every state file present in the packet dir (markers, checkpoints, with
 * upstream's names, failure records, locks) is a regular file, and
 * .packetdeck and checkpoints/ are directories; else a diagnostic each
 * and PD_EINVALID. Part of loading a packet dir. */
int pd_state_files_check(const char *packet_dir, pd_diags *diags);

/* The track a file of the packet dir records, from its name relative to
 * the dir ("track-3.completion.json", ".packetdeck/track-3.lock",
 * upstream's ".track-3-complete.json", and their temporary files); -1 for
 * any other name (a packet named "track-3.md" is not a state file). */
long pd_state_file_track(const char *name);

/* "usage limit until 2026-01-05T12:30:00Z" / "usage limit (reset time not
 * known)", into buf. */
const char *pd_limit_text(const pd_limit *l, char *buf, size_t cap);

/* resets_at 0: not known. pd_limit_remove: absent is fine. */
int pd_limit_write(const char *packet_dir, long track, time_t resets_at, const char *message);
int pd_limit_remove(const char *packet_dir, long track);

/* "2026-01-05T12:30:00Z" for `t` (UTC) into buf[21]. */
char *pd_timestamp(char buf[21], time_t t);

/* The inverse of pd_timestamp: that exact form, else false. */
bool pd_timestamp_parse(const char *text, time_t *out);

#endif
