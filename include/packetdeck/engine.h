/* engine.h - the sequential executor (the seq command) as a state machine.
 *
 * The engine never blocks and never reads a terminal: its driver (the
 * headless front end, the dashboard) polls the descriptors it names, hands
 * back what became ready, and answers its questions. Everything that
 * happens is an event (event.h), also appended to .packetdeck/events.jsonl.
 *
 *   start: take .packetdeck/run.lock (another run: PD_ELOCKED naming it; a
 *          dead run's lock: taken over, with a notice)
 *   for each track in the stable topological order:
 *     complete -> skip; corrupt marker -> halt
 *     executed elsewhere (its lock held) or a dependency incomplete ->
 *          ask PD_ASK_BLOCKED: wait (woken at once when a marker appears or
 *          the lock is released, rechecked every poll interval, until the
 *          deadline) or abort
 *     else prepare its worktree, start its runner in the worktree (own
 *          process group, stdin /dev/null, PACKETDECK_* set), append its
 *          output to .packetdeck/track-{id}.log, turn checkpoint files into
 *          events as they appear, and when it exits verify the marker
 *          (verify.h; exit 0 without a valid one is a protocol violation:
 *          failed; an agent's branch must have advanced since the start
 *          recorded in .packetdeck/track-{id}.start.json); an agent without
 *          progress for the idle timeout, or any runner past the track
 *          timeout, is stopped and fails
 *     its agent hit a usage limit -> limited (limit.json, event limited):
 *          abort, or wait until the reset and start it again from its
 *          checkpoint (engine_limit.c)
 *     failed -> stop: no later track starts
 *     complete and tracks remain -> ask PD_ASK_HANDOFF: continue or stop
 *   all complete -> run_completed
 *
 * The built-in runner (`packetdeck packet`) takes its track's lock itself;
 * for other runners the engine holds it while they run.
 */
#ifndef PD_ENGINE_H
#define PD_ENGINE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "packetdeck/event.h"
#include "packetdeck/pktdir.h"

/* Exit statuses (DESIGN §4), the engine's and the program's. */
enum {
	PD_EXIT_OK = 0,      /* all complete, or valid */
	PD_EXIT_FAILED = 1,  /* a track failed */
	PD_EXIT_USAGE = 2,   /* invalid input or usage */
	PD_EXIT_ABORTED = 3, /* user, blocked dependency, wait timeout, signal */
	PD_EXIT_LOCKED = 4,  /* packet dir locked by another run */
	PD_EXIT_HANDOFF = 5, /* stopped for handoff */
	PD_EXIT_MERGE_STOPPED = 6 /* merge: stopped at a conflict or for a manual merge */
};

typedef struct pd_engine pd_engine;

/* Called with each chunk of a runner's output (already in the log). An
 * agent's output comes a line at a time, and only its lines of text: the
 * lines of its JSON stream come as agent_activity events instead. */
typedef void (*pd_output_fn)(void *ctx, long track, const char *data, size_t len);

typedef struct pd_engine_options {
	const char *runner;     /* "builtin", "claude", "codex" or an argv template */
	const char *self_exe;   /* this program, for the built-in runner */
	bool resume;            /* resume failed/interrupted tracks from their checkpoint */
	long restart_track;     /* with resume: this track (id) starts from its first task (-1: none) */
	unsigned poll_s;        /* while waiting: recheck interval (30) */
	unsigned wait_timeout_s;/* while waiting: give up after (1800) */
	unsigned grace_ms;      /* stopping a runner: SIGTERM -> SIGKILL (5000) */
	unsigned idle_timeout_s;  /* an agent with no progress this long fails (1800; 0: never);
				   * error events (reconnects, retries) are not progress */
	unsigned track_timeout_s; /* a track's runner is stopped after this long (0: never) */
	bool on_limit_abort;      /* an agent's usage limit aborts the run (else: waited out) */
	pd_event_fn on_event;
	pd_output_fn on_output;
	void *ctx;
} pd_engine_options;

#define PD_ENGINE_OPTIONS_INIT                                                                 \
	{.runner = "builtin", .restart_track = -1, .poll_s = 30, .wait_timeout_s = 1800,         \
	 .grace_ms = 5000, .idle_timeout_s = 1800}

typedef enum pd_ask {
	PD_ASK_NONE,     /* nothing to decide: poll */
	PD_ASK_BLOCKED,  /* wait or abort (see pd_engine_blocked_on) */
	PD_ASK_HANDOFF,  /* continue or stop for /handoff */
	PD_ASK_DONE      /* finished: pd_engine_exit_status */
} pd_ask;

typedef enum pd_answer {
	PD_ANSWER_WAIT,
	PD_ANSWER_ABORT,
	PD_ANSWER_CONTINUE,
	PD_ANSWER_STOP
} pd_answer;

/* `pd` must outlive the engine. */
int pd_engine_new(pd_engine **out, const pd_pktdir *pd, const pd_engine_options *o);

/* Take the run lock and begin. PD_ELOCKED (message names the holder). */
int pd_engine_start(pd_engine *e);

/* The descriptors to poll (at most PD_ENGINE_MAX_FDS) and how long to
 * sleep at most (-1: until one is ready). Returns how many. */
#define PD_ENGINE_MAX_FDS 4
size_t pd_engine_pollfds(pd_engine *e, struct pollfd *fds, int *timeout_ms);

/* After poll (with the same fds and their revents): read, reap, advance. */
int pd_engine_handle(pd_engine *e, const struct pollfd *fds, size_t n);

pd_ask pd_engine_ask(const pd_engine *e);

/* Answer the current question. */
int pd_engine_answer(pd_engine *e, pd_answer a);

/* The track a PD_ASK_BLOCKED is about, and the ids it waits on (the
 * track's own id when it is executed elsewhere). */
long pd_engine_blocked_on(const pd_engine *e, const long **ids, size_t *n);

/* A signal or the user: stop the runner's group (TERM, then KILL after the
 * grace period), record the interruption, finish with status 3. */
void pd_engine_interrupt(pd_engine *e, const char *why);

/* Waiting for a blocked track (after PD_ANSWER_WAIT): true, with the
 * milliseconds to the next look and to the deadline. */
bool pd_engine_waiting(const pd_engine *e, long *next_poll_ms, long *deadline_ms);

/* Waiting out a usage limit: true, with what the agent said and when
 * the track starts again (it does by itself; PD_ANSWER_ABORT stops). */
typedef struct pd_engine_limit_info {
	long track;
	time_t resets_at;    /* 0: not known (retried every poll interval) */
	long next_try_ms;    /* from now */
	const char *message; /* the agent's words */
	unsigned tries;      /* limits hit by this track in this run */
} pd_engine_limit_info;

bool pd_engine_limit(const pd_engine *e, pd_engine_limit_info *out);

/* Is a runner executing a track right now? */
bool pd_engine_running(const pd_engine *e);

/* The manifest index of the track the engine is at (or ended at). */
size_t pd_engine_track(const pd_engine *e);

/* When PD_ASK_DONE: 0 all complete, 1 a track failed, 3 aborted, 5
 * stopped for handoff. */
int pd_engine_exit_status(const pd_engine *e);

/* The last failure, for the closing message ("" if none). */
const char *pd_engine_failure(const pd_engine *e);

/* What to do about the last failure ("" when the usual "fix it, then
 * resume" fits). */
const char *pd_engine_failure_hint(const pd_engine *e);

/* The failing task of the last failure ("" if none or not a task's). */
const char *pd_engine_failure_task(const pd_engine *e);

/* .packetdeck/handoff.md, written when stopping for handoff. */
const char *pd_engine_handoff_path(const pd_engine *e);

/* Once the run is over (PD_ASK_DONE), let go of the run lock, so that a
 * merge can take it while the engine's results are still shown. */
void pd_engine_release(pd_engine *e);
void pd_engine_free(pd_engine *e);

#endif
