/* engine_builtin.c - the built-in runner as the engine drives it: in this
 * process, through exec.h's step machine (one libgit2 for the whole run, a
 * spawn per command, a filesystem sync only for a commit not yet synced).
 *
 * The commands' output comes through one pipe per track to the track's
 * log and on_output; task_started and each checkpoint are the engine's
 * events as exec says them, the checkpoint once it is durable. The track
 * is claimed in the run lock (lock.h's pd_track_claim), which `packetdeck
 * packet` respects as it would the track's own lock. The marker exec
 * writes is verified like any other before the track counts.
 */
#define _GNU_SOURCE /* pipe2 */
#include "engine_int.h"
#include "clock.h"
#include "packetdeck/exec.h"
#include "packetdeck/state.h"
#include "packetdeck/verify.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What exec says, said by the engine (journal, front end) and logged. */
static void exec_event(void *ctx, const pd_event *ev)
{
	pd_engine *e = ctx;
	pd_event copy = *ev;

	if (ev->type == PD_EV_TASK_STARTED)
		pd_engine_log(e, "task %s: %s", ev->task, ev->title ? ev->title : "");
	else if (ev->type == PD_EV_CHECKPOINT)
		e->progress_ms = pd_now_ms();
	pd_engine_emit(e, &copy);
}

static void builtin_start(pd_engine *e)
{
	pd_exec_options o = PD_EXEC_OPTIONS_INIT;
	int p[2], error;

	if (pipe2(p, O_CLOEXEC) != 0) {
		pd_engine_close_track(e);
		pd_engine_failed(e, NULL, "cannot make a pipe", 0, false);
		return;
	}
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	e->out_fd = p[0];
	e->out_w = p[1]; /* kept for every command of the track */
	o.resume = pd_engine_resuming(e);
	o.grace_ms = e->o.grace_ms;
	o.output_fd = p[1];
	o.run_id = e->run_id;
	o.on_event = exec_event;
	o.ctx = e;
	o.synced = e->synced;
	o.run_lock = e->run_lock; /* the track claimed in it: no lock file per track */
	if ((error = pd_exec_begin(&e->exec, e->pd, e->cur, &o)) == PD_ELOCKED) {
		pd_engine_held_elsewhere(e);
		return;
	}
	if (error < 0) {
		char msg[600];

		snprintf(msg, sizeof(msg), "%s", pd_error_last());
		pd_engine_log(e, "%s", msg);
		pd_engine_close_track(e);
		pd_engine_failed(e, NULL, msg, 2, true);
		return;
	}
	e->st = ST_RUNNING;
}

static size_t builtin_pollfds(pd_engine *e, struct pollfd *fds, int *timeout_ms)
{
	size_t n = 0;
	int pidfd = pd_exec_pollfd(e->exec);

	fds[n++] = (struct pollfd){e->out_fd, POLLIN, 0};
	if (pidfd >= 0)
		fds[n++] = (struct pollfd){pidfd, POLLIN, 0};
	/* done: at once; no pidfd: look now and then */
	*timeout_ms = pd_exec_done(e->exec) ? 0 : pidfd >= 0 ? -1 : 100;
	pd_engine_timeout_at(timeout_ms, pd_engine_track_deadline(e));
	return n;
}

/* The track's execution is over: the outcome, the marker verified. */
static void builtin_ended(pd_engine *e)
{
	pd_exec_result r = *pd_exec_result_of(e->exec);
	pd_marker m;
	bool complete = false;

	pd_exec_free(e->exec); /* and the track's lock */
	e->exec = NULL;
	pd_engine_end_child(e); /* drains the output */
	pd_engine_log(e, "runner ended: %s", r.outcome == PD_EXEC_COMPLETE ? "complete"
					     : r.outcome == PD_EXEC_FAILED ? "failed" : "stopped");
	pd_engine_close_track(e);
	if (r.outcome == PD_EXEC_FAILED) {
		pd_engine_failed(e, r.task[0] ? r.task : NULL, r.message, r.exit_status, false);
		return;
	}
	if (r.outcome == PD_EXEC_INTERRUPTED) {
		pd_engine_failed(e, r.task[0] ? r.task : NULL,
				 e->stopped_why[0] ? e->stopped_why : r.message, 128 + SIGTERM, true);
		return;
	}
	if (pd_track_verified(e->pd->verifier, e->pd->manifest, cur_track(e), &m, &complete) < 0) {
		pd_engine_failed(e, NULL, pd_error_last(), 0, false);
	} else if (complete) {
		pd_engine_completed(e, &m);
	} else {
		char msg[700];

		snprintf(msg, sizeof(msg), "the completion marker just written does not count: %s",
			 m.problem ? m.problem : "it is not there");
		pd_engine_failed(e, NULL, msg, 0, true);
	}
	pd_marker_clear(&m);
}

static void builtin_handle(pd_engine *e, bool changed)
{
	(void)changed; /* exec says each checkpoint itself */
	pd_engine_drain_output(e);
	if (!pd_exec_step(e->exec) && pd_engine_deadline_passed(e))
		pd_exec_stop(e->exec);
	if (pd_exec_done(e->exec))
		builtin_ended(e);
}

static void builtin_stop(pd_engine *e)
{
	if (!e->exec)
		return;
	pd_exec_stop(e->exec);
	pd_exec_free(e->exec);
	e->exec = NULL;
	pd_engine_end_child(e);
}

const engine_runner pd_engine_builtin = {"built-in", builtin_start, builtin_pollfds, builtin_handle,
					 builtin_stop};
