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
#include "packetdeck/watch.h"
#include "text.h"

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
	pd_lock *run_lock, *track_lock;
	pd_child *child;
	int pidfd, log_fd, journal_fd;
	int status_fd;                /* the built-in runner's checkpoints, one per line */
	pd_lines status_lines;        /* of it, the line being received */
	char status_buf[1024];
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
void pd_engine_failed(pd_engine *e, const char *task, const char *message, int status, bool record);
void pd_engine_failed_hint(pd_engine *e, const char *task, const char *message, const char *hint,
			   int status, bool record);
void pd_engine_wait_tick(pd_engine *e, bool changed);
void pd_engine_start_track(pd_engine *e);
/* Read what the runner wrote: its output (to the log and on_output) and
 * its status channel (checkpoint events). */
void pd_engine_drain_output(pd_engine *e);
void pd_engine_close_track(pd_engine *e);
int pd_engine_write_handoff(pd_engine *e);
void pd_engine_aborted(pd_engine *e, const char *reason);
/* engine_limit.c: the runner ended at a usage limit? Then it is handled
 * (recorded, waited out or aborted) and true. */
bool pd_engine_limit_hit(pd_engine *e);
void pd_engine_limit_tick(pd_engine *e);
int pd_engine_limit_timeout(const pd_engine *e);

#endif
