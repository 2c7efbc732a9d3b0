/* engine.c - the sequential executor as a non-blocking state machine (engine.h).
 *
 * Not here: printing, terminals, decisions (the driver's), a running track
 * (engine_run.c; the built-in runner in engine_builtin.c, its task loop in
 * exec.c), the handoff note's text (handoff.c).
 */
#define _GNU_SOURCE /* asprintf, getrandom */
#include "packetdeck/engine.h"
#include "packetdeck/exec.h"
#include "packetdeck/fsio.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/lock.h"
#include "packetdeck/pathutil.h"
#include "packetdeck/runner.h"
#include "packetdeck/state.h"
#include "packetdeck/verify.h"
#include "packetdeck/watch.h"
#include "engine_int.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void pd_engine_emit(pd_engine *e, pd_event *ev)
{
	char *line;
	long i;

	if (ev->track >= 0 && !ev->name && (i = pd_dag_find(e->pd->dag, ev->track)) >= 0)
		ev->name = e->pd->manifest->tracks[i].name;
	line = pd_event_json(ev);

	if (line && e->journal_fd >= 0) {
		size_t len = strlen(line);

		line[len] = '\n'; /* the NUL becomes the newline: one write, one line */
		if (write(e->journal_fd, line, len + 1) < 0)
			(void)0; /* the journal is a convenience; the state files are the truth */
		line[len] = '\0';
	}
	free(line);
	if (e->o.on_event)
		e->o.on_event(e->o.ctx, ev);
}

void pd_engine_finish(pd_engine *e, int status)
{
	e->st = ST_DONE;
	e->exit_status = status;
	pd_lock_release(e->track_lock);
	e->track_lock = NULL;
	if (status == 0) {
		pd_event ev = PD_EVENT_INIT(PD_EV_RUN_COMPLETED);

		ev.completed = e->completed;
		ev.total = e->pd->manifest->ntracks;
		pd_engine_emit(e, &ev);
	}
}

void pd_engine_aborted(pd_engine *e, const char *reason)
{
	pd_event ev = PD_EVENT_INIT(PD_EV_ABORTED);

	snprintf(e->failure, sizeof(e->failure), "%s", reason);
	ev.reason = reason;
	pd_engine_emit(e, &ev);
	pd_engine_finish(e, 3);
}

/* A failure of the current track: recorded (unless the runner did), said
 * as an event, and the run stops. */
void pd_engine_failed(pd_engine *e, const char *task, const char *message, int status, bool record)
{
	pd_engine_failed_hint(e, task, message, NULL, status, record);
}

void pd_engine_failed_hint(pd_engine *e, const char *task, const char *message, const char *hint,
			   int status, bool record)
{
	pd_event ev = PD_EVENT_INIT(PD_EV_TRACK_FAILED);

	pd_engine_log_keep(e); /* how it went, for the failure's reader */
	if (record)
		pd_failure_write(e->pd->manifest->dir, cur_track(e)->id, task, message, hint, status, NULL);
	snprintf(e->failure_task, sizeof(e->failure_task), "%s", task ? task : "");
	snprintf(e->failure, sizeof(e->failure), "%s", message);
	snprintf(e->failure_hint, sizeof(e->failure_hint), "%s", hint ? hint : "");
	ev.track = cur_track(e)->id;
	ev.task = task;
	ev.message = message;
	ev.hint = hint && *hint ? hint : NULL;
	ev.exit_status = status;
	pd_engine_emit(e, &ev);
	pd_engine_finish(e, 1);
}

static int open_append(pd_engine *e, const char *name, long track)
{
	char *path = track >= 0 ? pd_state_file(e->pd->manifest->dir, track, name)
				: pd_path_join(e->state_dir, name);
	int fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644) : -1;

	free(path);
	return fd;
}

int pd_engine_new(pd_engine **out, const pd_pktdir *pd, const pd_engine_options *o)
{
	pd_engine_options defaults = PD_ENGINE_OPTIONS_INIT;
	pd_engine *e = calloc(1, sizeof(*e));
	unsigned char rnd[8];
	size_t i;

	*out = NULL;
	if (!e)
		return pd_error_set(PD_ENOMEM, "out of memory");
	e->pd = pd;
	e->o = o ? *o : defaults;
	e->journal_fd = e->log_fd = e->pidfd = e->out_fd = e->out_w = -1;
	e->order = pd_dag_order(pd->dag, &e->norder);
	if (!(e->known_complete = calloc(pd->manifest->ntracks + 1, sizeof(*e->known_complete)))) {
		free(e);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	e->preset = pd_preset_find(e->o.runner);
	e->runner = e->preset && e->preset->builtin ? &pd_engine_builtin : &pd_engine_process;
	e->st = ST_NEXT;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		for (i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)(pd_now_ms() >> (i * 3)) ^ (unsigned char)getpid();
	for (i = 0; i < sizeof(rnd); i++)
		sprintf(e->run_id + 2 * i, "%02x", rnd[i]);
	if (asprintf(&e->state_dir, "%s/" PD_STATE_DIR, pd->manifest->dir) < 0) {
		free(e);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	*out = e;
	return 0;
}

/* Processes that carry the run id `run_id` in their environment: stop
 * them (SIGTERM to each one's group, SIGKILL after grace_ms) and say so.
 * A run that died leaves its runner running (in its own group, orphaned),
 * and a runner may leave children behind in groups or sessions of their
 * own: either would go on changing a worktree under the next runner. */
static void stop_leftovers(pd_engine *e, const char *run_id, unsigned grace_ms)
{
	pid_t pids[64];
	size_t n = pd_find_run_processes(run_id, pids, 64), i, len = 0;
	char msg[600];

	if (n == 0)
		return;
	len += (size_t)snprintf(msg, sizeof(msg), "stopping %zu leftover process%s of run %s:", n,
				n == 1 ? "" : "es", run_id);
	for (i = 0; i < n && len < sizeof(msg) - 16; i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, " %ld", (long)pids[i]);
	{
		pd_event ev = PD_EVENT_INIT(PD_EV_NOTICE);

		ev.message = msg;
		pd_engine_emit(e, &ev);
	}
	pd_stop_processes(pids, n, grace_ms);
}

int pd_engine_start(pd_engine *e)
{
	pd_lockinfo stale;
	size_t i;
	int error;

	error = pd_run_lock_take(&e->run_lock, e->pd->manifest->dir, e->run_id, NULL, &stale);
	if (error < 0 || (error = pd_write_lock_home(e->state_dir)) < 0)
		return error;
	e->journal_fd = open_append(e, "events.jsonl", -1);
	/* one watch for the whole run: closing an inotify instance waits for
	 * the kernel (milliseconds), too slow to do per track */
	if ((error = pd_watch_open(&e->watch, e->pd->manifest->dir)) < 0)
		return error;
	for (i = 0; i < e->pd->manifest->ntracks; i++) {
		pd_marker m;
		bool complete;

		if (pd_track_verified(e->pd->verifier, e->pd->manifest, &e->pd->manifest->tracks[i], &m,
				      &complete) == 0 && complete)
			e->completed++;
		pd_marker_clear(&m);
	}
	{
		pd_event ev = PD_EVENT_INIT(PD_EV_RUN_STARTED);
		long *ids = malloc((e->norder ? e->norder : 1) * sizeof(*ids));

		for (i = 0; ids && i < e->norder; i++)
			ids[i] = e->pd->manifest->tracks[e->order[i]].id;
		ev.feature = e->pd->manifest->feature;
		ev.completed = e->completed;
		ev.total = e->pd->manifest->ntracks;
		ev.ids = ids;
		ev.nids = ids ? e->norder : 0;
		ev.runner = e->o.runner;
		pd_engine_emit(e, &ev);
		free(ids);
	}
	if (stale.pid) {
		pd_event ev = PD_EVENT_INIT(PD_EV_NOTICE);
		char msg[600];

		ev.message = pd_lock_takeover_text(&stale, "run lock", msg, sizeof(msg));
		pd_engine_emit(e, &ev);
		stop_leftovers(e, stale.run_id, e->o.grace_ms);
	}
	pd_lockinfo_clear(&stale);
	pd_engine_advance(e);
	return 0;
}

pd_ask pd_engine_ask(const pd_engine *e)
{
	switch (e->st) {
	case ST_BLOCKED:
		return PD_ASK_BLOCKED;
	case ST_HANDOFF:
		return PD_ASK_HANDOFF;
	case ST_DONE:
		return PD_ASK_DONE;
	default:
		return PD_ASK_NONE;
	}
}

long pd_engine_blocked_on(const pd_engine *e, const long **ids, size_t *n)
{
	*ids = e->blocked_ids;
	*n = e->nblocked;
	return cur_track(e)->id;
}

bool pd_engine_waiting(const pd_engine *e, long *next_poll_ms, long *deadline_ms)
{
	long now = pd_now_ms();

	if (e->st != ST_WAITING)
		return false;
	*next_poll_ms = e->next_poll > now ? e->next_poll - now : 0;
	*deadline_ms = e->wait_deadline > now ? e->wait_deadline - now : 0;
	return true;
}

bool pd_engine_running(const pd_engine *e)
{
	return e->st == ST_RUNNING;
}

size_t pd_engine_track(const pd_engine *e)
{
	return e->cur;
}

int pd_engine_exit_status(const pd_engine *e)
{
	return e->exit_status;
}

const char *pd_engine_failure(const pd_engine *e)
{
	return e->failure;
}

const char *pd_engine_failure_hint(const pd_engine *e)
{
	return e->failure_hint;
}

const char *pd_engine_failure_task(const pd_engine *e)
{
	return e->failure_task;
}

const char *pd_engine_handoff_path(const pd_engine *e)
{
	return e->handoff_path ? e->handoff_path : "";
}

/* blocked_ids: the current track itself, executed by another process. */
static void blocked_on_itself(pd_engine *e)
{
	free(e->blocked_ids);
	e->nblocked = 0;
	if ((e->blocked_ids = malloc(sizeof(long))))
		e->blocked_ids[e->nblocked++] = cur_track(e)->id;
}

/* Say the current track is blocked on blocked_ids; the front end asks. */
static void enter_blocked(pd_engine *e)
{
	pd_event ev = PD_EVENT_INIT(PD_EV_BLOCKED);

	ev.track = cur_track(e)->id;
	ev.ids = e->blocked_ids;
	ev.nids = e->nblocked;
	pd_engine_emit(e, &ev);
	e->st = ST_BLOCKED;
}

/* Is the current track still blocked? Fills blocked_ids. `fresh`: its
 * marker was read just now (by pd_engine_advance), not while waiting. */
static bool still_blocked(pd_engine *e, bool fresh)
{
	const pd_track *t = cur_track(e);
	pd_lockinfo li;
	char *lock = pd_state_file(e->pd->manifest->dir, t->id, "lock");

	pd_marker m;
	bool done;

	free(e->blocked_ids);
	e->blocked_ids = NULL;
	e->nblocked = 0;
	done = false;
	if (!fresh) {
		/* completed meanwhile (by whoever held it): not blocked, it is skipped */
		if (pd_track_verified(e->pd->verifier, e->pd->manifest, t, &m, &done) < 0)
			done = false;
		pd_marker_clear(&m);
	}
	if (done) {
		free(lock);
		return false;
	}
	if (lock && pd_lock_probe(&li, lock) == 0 && li.held) {
		blocked_on_itself(e);
		pd_lockinfo_clear(&li);
		free(lock);
		return true;
	}
	free(lock);
	pd_gate_missing_known(&e->blocked_ids, &e->nblocked, e->pd, e->cur, e->known_complete);
	return e->nblocked > 0;
}

void pd_engine_advance(pd_engine *e)
{
	while (e->st == ST_NEXT) {
		const pd_track *t;
		pd_marker m;
		bool complete;

		if (e->k >= e->norder) {
			pd_engine_finish(e, 0);
			return;
		}
		e->cur = e->order[e->k];
		e->resume_cur = false;
		e->limit_tries = 0;
		e->limit_deadline_ms = 0;
		t = cur_track(e);
		if (pd_track_verified(e->pd->verifier, e->pd->manifest, t, &m, &complete) < 0) {
			pd_marker_clear(&m);
			pd_engine_failed(e, NULL, pd_error_last(), 0, false);
			return;
		}
		if (complete) {
			pd_event ev = PD_EVENT_INIT(PD_EV_TRACK_SKIPPED);

			e->known_complete[e->cur] = true;
			ev.track = t->id;
			ev.reason = "complete";
			ev.commit = m.commit;
			pd_engine_emit(e, &ev);
			pd_marker_clear(&m);
			e->k++;
			continue;
		}
		if (m.state == PD_FILE_CORRUPT) {
			char msg[600];

			snprintf(msg, sizeof(msg), "%s (%s); packetdeck never "
						   "replaces a marker: inspect it and move it away",
				 m.refused ? "completion marker not backed by the branch"
					   : "corrupt completion marker",
				 m.problem ? m.problem : "unreadable");
			pd_marker_clear(&m);
			pd_engine_failed(e, NULL, msg, 0, false);
			return;
		}
		pd_marker_clear(&m);
		if (still_blocked(e, true)) {
			enter_blocked(e);
			return;
		}
		pd_engine_start_track(e);
	}
}

void pd_engine_held_elsewhere(pd_engine *e)
{
	pd_engine_log(e, "%s", pd_error_last());
	pd_engine_close_track(e);
	blocked_on_itself(e);
	enter_blocked(e);
}

int pd_engine_answer(pd_engine *e, pd_answer a)
{
	if (e->st == ST_BLOCKED && a == PD_ANSWER_ABORT) {
		char why[200];

		snprintf(why, sizeof(why), "track %ld is blocked: %s", cur_track(e)->id,
			 e->nblocked == 1 && e->blocked_ids[0] == cur_track(e)->id
				 ? "it is being executed by another process"
				 : "dependencies are not complete");
		pd_engine_aborted(e, why);
		return 0;
	}
	if (e->st == ST_BLOCKED && a == PD_ANSWER_WAIT) {
		e->wait_deadline = pd_now_ms() + (long)e->o.wait_timeout_s * 1000L;
		pd_timestamp(e->deadline_text, time(NULL) + (time_t)e->o.wait_timeout_s);
		e->next_poll = pd_now_ms();
		e->st = ST_WAITING;
		pd_engine_wait_tick(e, false);
		return 0;
	}
	if (e->st == ST_LIMITED && a == PD_ANSWER_ABORT) {
		char why[200];

		snprintf(why, sizeof(why), "track %ld: waiting out its usage limit was aborted",
			 cur_track(e)->id);
		pd_engine_aborted(e, why);
		return 0;
	}
	if (e->st == ST_LIMITED && a == PD_ANSWER_WAIT)
		return 0;
	if (e->st == ST_HANDOFF && a == PD_ANSWER_CONTINUE) {
		e->k++;
		e->st = ST_NEXT;
		pd_engine_advance(e);
		return 0;
	}
	if (e->st == ST_HANDOFF && a == PD_ANSWER_STOP) {
		int error = pd_engine_write_handoff(e);

		pd_engine_finish(e, error < 0 ? 1 : 5);
		return error;
	}
	return pd_error_set(PD_EINVALID, "no such question is pending");
}

/* Waiting: recheck now if `changed` or the poll interval is due. */
void pd_engine_wait_tick(pd_engine *e, bool changed)
{
	long now = pd_now_ms();

	if (!changed && now < e->next_poll && now < e->wait_deadline)
		return;
	if (!still_blocked(e, false)) {
		e->st = ST_NEXT;
		pd_engine_advance(e);
		return;
	}
	if (now >= e->wait_deadline) {
		char why[200];

		snprintf(why, sizeof(why), "track %ld: waited %u s and it is still blocked",
			 cur_track(e)->id, e->o.wait_timeout_s);
		pd_engine_aborted(e, why);
		return;
	}
	if (now >= e->next_poll) {
		pd_event ev = PD_EVENT_INIT(PD_EV_WAITING);

		while (e->next_poll <= now)
			e->next_poll += (long)(e->o.poll_s ? e->o.poll_s : 1) * 1000L;
		ev.track = cur_track(e)->id;
		ev.next_poll_s = (e->next_poll - now + 999) / 1000;
		ev.deadline = e->deadline_text;
		pd_engine_emit(e, &ev);
	}
}

/* After a runner ended or was stopped, what it left behind that still
 * carries the run id is stopped within this long. */
#define LEFTOVER_GRACE_MS 1000u

/* Has this process any child (running or not yet reaped)? Without one,
 * nothing the runner started can be left: what it orphaned is ours
 * (subreaper), so looking through /proc can be spared. */
static bool have_children(void)
{
	siginfo_t si;

	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 || errno != ECHILD;
}

void pd_engine_end_child(pd_engine *e)
{
	pd_engine_drain_output(e); /* what it wrote just before it exited */
	if (e->child) {
		pd_child_free(e->child); /* and its output pipe */
		e->child = NULL;
		e->out_fd = -1;
	}
	if (have_children())
		stop_leftovers(e, e->run_id, LEFTOVER_GRACE_MS);
}

void pd_engine_interrupt(pd_engine *e, const char *why)
{
	if (e->st == ST_DONE)
		return;
	if (e->st == ST_RUNNING) {
		char line[200];
		int n;

		e->runner->stop(e);
		n = snprintf(line, sizeof(line), "\n=== packetdeck: runner stopped (%.150s) ===\n", why);
		pd_engine_log_keep(e);
		if (e->log_fd >= 0 && write(e->log_fd, line, (size_t)n) < 0)
			(void)0;
	}
	pd_engine_close_track(e);
	pd_engine_aborted(e, why);
}

void pd_engine_release(pd_engine *e)
{
	if (e->st != ST_DONE || !e->run_lock)
		return;
	pd_write_lock_home(NULL);
	pd_lock_release(e->run_lock);
	e->run_lock = NULL;
}

void pd_engine_free(pd_engine *e)
{
	if (!e)
		return;
	if (e->child) {
		pd_child_stop(e->child, e->o.grace_ms);
		pd_child_free(e->child);
		e->child = NULL;
		e->out_fd = -1;
		stop_leftovers(e, e->run_id, LEFTOVER_GRACE_MS);
	}
	pd_exec_free(e->exec); /* stops its command */
	pd_engine_close_track(e);
	pd_lock_release(e->track_lock);
	if (e->run_lock)
		pd_write_lock_home(NULL);
	pd_lock_release(e->run_lock);
	pd_watch_free(e->watch);
	if (e->journal_fd >= 0)
		close(e->journal_fd);
	pd_agent_stream_free(e->stream);
	free(e->agent_buf);
	free(e->blocked_ids);
	free(e->known_complete);
	free(e->state_dir);
	free(e->handoff_path);
	free(e);
}
