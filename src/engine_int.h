/* engine_int.h - the engine's state, shared by its files (engine.c: the
 * state machine and decisions; engine_run.c: a running track; handoff.c:
 * the handoff note). Internal to the core. */
#ifndef PD_ENGINE_INT_H
#define PD_ENGINE_INT_H

#include "packetdeck/engine.h"
#include "packetdeck/gate.h"
#include "packetdeck/lock.h"
#include "packetdeck/agentstream.h"
#include "packetdeck/packet.h"
#include "packetdeck/preset.h"
#include "packetdeck/runner.h"
#include "packetdeck/state.h"
#include "packetdeck/watch.h"
#include "text.h"

typedef struct engine_runner engine_runner;

typedef enum engine_state {
	ST_NEXT,     /* pick the next track */
	ST_BLOCKED,  /* asking: wait or abort */
	ST_WAITING,  /* waiting for markers or a lock */
	ST_RUNNING,  /* a runner runs the current track */
	ST_HANDOFF,  /* asking: continue or stop */
	ST_LIMITED,  /* waiting out the current track's usage limit */
	ST_DONE
} engine_state;

struct pd_engine {
	const pd_pktdir *pd;
	pd_engine_options o;
	char run_id[17];
	char *state_dir;             /* PACKET_DIR/.packetdeck */
	engine_state st;
	const size_t *order;
	size_t norder, k, cur;       /* position in the order; the current track's index */
	size_t completed;            /* tracks with a valid marker */
	bool *known_complete;        /* by index: seen complete in this run (markers are
				      * one-way): the dependency gate reads them no more */
	pd_lock *run_lock, *track_lock;
	const engine_runner *runner;  /* how tracks are run */
	pd_child *child;              /* a runner process (agent, template) */
	struct pd_exec *exec;         /* the built-in runner, in this process */
	char synced[41];              /* its last commit made durable, kept across tracks */
	int pidfd, log_fd, journal_fd;
	char log_held[1024];          /* the track's log lines until it has a file (log_keep) */
	size_t log_held_len;
	bool track_open;              /* between pd_engine_start_track and _close_track */
	int out_fd, out_w;            /* the runner's output: read end; the built-in's write end */
	pd_watch *watch;
	long *blocked_ids;
	size_t nblocked;
	long wait_deadline, next_poll; /* monotonic ms */
	char deadline_text[21];
	char seen_task[PD_TASK_ID_MAX + 1]; /* the last checkpoint seen: its task */
	char seen_stamp[32];                /* and its timestamp */
	int exit_status;
	char failure[1200], failure_task[PD_TASK_ID_MAX + 1], failure_hint[600];
	char *handoff_path;
	char last_line[256];          /* the runner's last line of output, for messages */
	pd_lines out_lines;           /* of the output, the line being received */
	char out_buf[255];
	const pd_preset *preset;      /* the runner's preset; NULL: a template of the user's */
	pd_agent_stream *stream;      /* an agent's output, read line by line */
	char *agent_buf;              /* its line storage: stream lines are long */
	pd_lines agent_lines;
	long usage_seen[3];           /* turns, input and output tokens last reported */
	bool cost_seen;
	long started_ms, progress_ms; /* monotonic: the runner's start, its last progress */
	char stopped_why[200];        /* why the engine stopped the runner ("" if it did not) */
	bool resume_cur;              /* the current track resumes at its checkpoint (a limit lifted) */
	time_t limit_resets;          /* the current track's limit: when it lifts (0 unknown) */
	long limit_next_ms, limit_deadline_ms; /* monotonic: the next try; giving up (0 none) */
	char limit_msg[300];
	unsigned limit_tries;
};

/* A kind of runner, as the engine drives it: a process with its output
 * (an agent's through its stream reader) in engine_run.c, the built-in
 * runner in this process in engine_builtin.c. */
struct engine_runner {
	const char *kind;
	/* Start the current track's runner (its track_started said, its log
	 * open): ST_RUNNING, or the track failed (said). */
	void (*start)(pd_engine *e);
	size_t (*pollfds)(pd_engine *e, struct pollfd *fds, int *timeout_ms);
	/* Something is ready (`changed`: the packet dir changed): read, reap,
	 * go on; the end of the track is judged here. */
	void (*handle)(pd_engine *e, bool changed);
	/* Stop it now, for good (the run is interrupted). */
	void (*stop)(pd_engine *e);
};

extern const engine_runner pd_engine_process, pd_engine_builtin;

/* The track the engine is at. */
static inline const pd_track *cur_track(const pd_engine *e)
{
	return &e->pd->manifest->tracks[e->cur];
}

void pd_engine_emit(pd_engine *e, pd_event *ev);
/* The runner exited or was stopped: drain what it wrote last, release it,
 * and stop what it left behind (processes that carry the run id, in
 * groups or sessions of their own). */
void pd_engine_end_child(pd_engine *e);
void pd_engine_advance(pd_engine *e);
void pd_engine_finish(pd_engine *e, int status);
/* The track's lock was taken elsewhere between the gate and the start
 * (the error set says by whom, and is logged): blocked on it as the gate
 * would have found, nothing recorded. */
void pd_engine_held_elsewhere(pd_engine *e);
void pd_engine_failed(pd_engine *e, const char *task, const char *message, int status, bool record);
void pd_engine_failed_hint(pd_engine *e, const char *task, const char *message, const char *hint,
			   int status, bool record);
void pd_engine_wait_tick(pd_engine *e, bool changed);
void pd_engine_start_track(pd_engine *e);
/* Read what the runner wrote (out_fd) to the log and on_output (an
 * agent's through its stream reader). */
void pd_engine_drain_output(pd_engine *e);
void pd_engine_close_track(pd_engine *e);
/* "=== TIMESTAMP what ===" into the track's log. The log is made when
 * it has something to say beyond routine (pd_engine_log_keep): the
 * runner's output, or how the track failed or was stopped; until then its
 * lines are held, and a track that completes without a word leaves none
 * (its events are in events.jsonl): a file less to create per track. */
void pd_engine_log(pd_engine *e, const char *fmt, ...) PD_PRINTF(2, 3);
void pd_engine_log_keep(pd_engine *e);
/* Does this attempt resume the track at its checkpoint? */
bool pd_engine_resuming(const pd_engine *e);
/* The track is complete (its marker `m` verified): said, then a handoff
 * suggested or the next track. */
void pd_engine_completed(pd_engine *e, const pd_marker *m);
/* The whole track's deadline (monotonic ms; 0 none). */
long pd_engine_track_deadline(const pd_engine *e);
/* Lower *timeout_ms to reach `due` (monotonic ms; 0: none). */
void pd_engine_timeout_at(int *timeout_ms, long due);
/* Past a deadline (the track's, an agent's idle one)? Then stopped_why
 * says which, logged, and true: the caller stops the runner. */
bool pd_engine_deadline_passed(pd_engine *e);
int pd_engine_write_handoff(pd_engine *e);
void pd_engine_aborted(pd_engine *e, const char *reason);
/* engine_limit.c: the runner ended at a usage limit? Then it is handled
 * (recorded, waited out or aborted) and true. */
bool pd_engine_limit_hit(pd_engine *e);
void pd_engine_limit_tick(pd_engine *e);
int pd_engine_limit_timeout(const pd_engine *e);

#endif
