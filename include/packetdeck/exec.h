/* exec.h - the built-in runner: execute one track's tasks.
 *
 * In the seed's order, after the dependency gate (gate.h): take the
 * track's lock, prepare its worktree (created with its branch if absent;
 * a worktree on another branch is a failure naming both), find the resume
 * point (with `resume` and a checkpoint: its next_task; a corrupt
 * checkpoint halts, never restarts), then for each task run its commands
 * (`Run:` lines and sh/bash blocks) with /bin/sh -c in the worktree, in a
 * process group of their own; after a task passes, sync the worktree's
 * filesystem and write the checkpoint with the worktree's HEAD; after the
 * last, the completion marker. A failing command writes the failure
 * record. A readable `stop_fd` stops the running command's group (SIGTERM,
 * then SIGKILL after `grace_ms`) and leaves the state resumable.
 *
 * Execution says task_started and checkpoint as events; the outcome is
 * the result's (the caller reports it).
 *
 * Every task to run must have commands: that is checked before anything
 * runs (a packet written for an agent needs an agent runner).
 */
#ifndef PD_EXEC_H
#define PD_EXEC_H

#include <stdbool.h>

#include "packetdeck/event.h"
#include "packetdeck/packet.h"
#include "packetdeck/pktdir.h"

typedef struct pd_exec_options {
	bool resume;
	int stop_fd;          /* readable = stop (pd_exec_track only); -1 for none */
	unsigned grace_ms;    /* SIGTERM -> SIGKILL (5000) */
	int output_fd;        /* the commands' stdout and stderr (1) */
	const char *run_id;   /* PACKETDECK_RUN_ID for the commands; may be NULL */
	pd_event_fn on_event; /* task_started, checkpoint (once durable), notice; may be NULL */
	void *ctx;
	char *synced;         /* char[41]: the last commit made durable, kept by the
				 caller across tracks (NULL: this execution's own) */
	struct pd_lock *run_lock; /* the caller's run.lock: the track is claimed in it
				     (pd_track_claim) instead of a lock of its own */
} pd_exec_options;

#define PD_EXEC_OPTIONS_INIT {false, -1, 5000, 1, NULL, NULL, NULL, NULL, NULL}

typedef enum pd_exec_outcome {
	PD_EXEC_COMPLETE,     /* the marker is written */
	PD_EXEC_FAILED,       /* the failure record is written */
	PD_EXEC_INTERRUPTED   /* stopped; checkpoints so far stand */
} pd_exec_outcome;

typedef struct pd_exec_result {
	pd_exec_outcome outcome;
	char task[PD_TASK_ID_MAX + 1]; /* the failing task ("" when not a task's) */
	char message[512];
	int exit_status;
	char commit[41];               /* complete: the commit the marker names ("" none) */
} pd_exec_result;

/* One track's execution as a step machine, for an event loop: begin, then
 * whenever pd_exec_pollfd is readable (or every 100 ms when it is -1 and
 * not done) step, until a step says it is done; then the result.
 *
 * pd_exec_begin checks the resume point and the commands, takes the
 * track's lock, prepares the worktree and starts the first command.
 * Negative when execution could not start: the lock is held elsewhere
 * (PD_ELOCKED), a task has no commands or the checkpoint is corrupt
 * (PD_EINVALID), I/O (PD_EIO). Else 0, and *out may already be done (a
 * worktree on another branch fails the track). */
typedef struct pd_exec pd_exec;

int pd_exec_begin(pd_exec **out, const pd_pktdir *pd, size_t index, const pd_exec_options *o);
/* The running command's pidfd, or -1 (none, or no pidfd on this kernel). */
int pd_exec_pollfd(const pd_exec *x);
/* Reap the command if it exited, go on to what follows (checkpoint, next
 * command, marker) up to the next command started. True when done. */
bool pd_exec_step(pd_exec *x);
/* Stop the running command's group (SIGTERM, SIGKILL after grace_ms): done,
 * interrupted, the checkpoints so far standing. */
void pd_exec_stop(pd_exec *x);
bool pd_exec_done(const pd_exec *x);
const pd_exec_result *pd_exec_result_of(const pd_exec *x);
/* Stops what still runs; releases the track's lock. */
void pd_exec_free(pd_exec *x);

/* The whole of it, blocking, with stop_fd: returns 0 when execution took
 * place (the outcome says how it ended), or pd_exec_begin's error. */
int pd_exec_track(const pd_pktdir *pd, size_t index, const pd_exec_options *o,
		  pd_exec_result *res);

/* The variables every runner and command gets: PACKETDECK_TRACK,
 * _PACKET_DIR, _WORKTREE, _PACKET, and _TASK and _RUN_ID when not NULL.
 * A NULL-terminated list of "NAME=value" (free with pd_argv_free). */
char **pd_track_env(const pd_manifest *m, const pd_track *t, const char *run_id,
		    const char *task);

#endif
