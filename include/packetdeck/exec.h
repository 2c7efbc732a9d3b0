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
	int stop_fd;          /* readable = stop; -1 for none */
	unsigned grace_ms;    /* SIGTERM -> SIGKILL (5000) */
	int output_fd;        /* the commands' stdout and stderr (1) */
	const char *run_id;   /* PACKETDECK_RUN_ID for the commands; may be NULL */
	pd_event_fn on_event; /* may be NULL */
	void *ctx;
	int status_fd;        /* -1, or each checkpoint once durable, as its line of
				 JSON: how `packetdeck run` learns of every one, even
				 of those that follow each other faster than it looks */
} pd_exec_options;

#define PD_EXEC_OPTIONS_INIT {false, -1, 5000, 1, NULL, NULL, NULL, -1}

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
} pd_exec_result;

/* Execute track `index`. Returns 0 when execution took place (the outcome
 * says how it ended), or a negative code when it could not start: the
 * track's lock is held elsewhere (PD_ELOCKED), a task has no commands or
 * the checkpoint is corrupt (PD_EINVALID), I/O (PD_EIO). */
int pd_exec_track(const pd_pktdir *pd, size_t index, const pd_exec_options *o,
		  pd_exec_result *res);

/* The variables every runner and command gets: PACKETDECK_TRACK,
 * _PACKET_DIR, _WORKTREE, _PACKET, and _TASK and _RUN_ID when not NULL.
 * A NULL-terminated list of "NAME=value" (free with pd_argv_free). */
char **pd_track_env(const pd_manifest *m, const pd_track *t, const char *run_id,
		    const char *task);

#endif
