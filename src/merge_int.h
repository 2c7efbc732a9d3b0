/* merge_int.h - the merge machine's state, shared by merge.c (the checks,
 * the tracks, continue and abort) and mergegates.c (the gates and the
 * end). Internal to the merge. */
#ifndef PD_MERGE_INT_H
#define PD_MERGE_INT_H

#include "mergegit.h"
#include "mergeqa.h"
#include "packetdeck/error.h"
#include "packetdeck/lock.h"
#include "packetdeck/merge.h"
#include "packetdeck/preset.h"

typedef enum stage {
	ST_BEGIN,     /* checks, plan, worktree (or continue, abort) */
	ST_MERGE,     /* the next track */
	ST_INTEGRITY, /* every marker's commit in, the branch checked out */
	ST_GATE,      /* start the next gate */
	ST_GATE_RUN,  /* a gate runs */
	ST_DONE
} stage;

struct pd_merge {
	const pd_pktdir *pd;
	const pd_manifest *m;
	pd_merge_options o;
	const pd_preset *preset; /* the runner's preset, NULL for a template */
	bool builtin;            /* skill gates cannot run */
	pd_lock *lock;
	char *root, *state_dir;
	pd_merge_state s;
	pd_mg *g;
	const size_t *order;
	size_t norder, k, merged_now;
	char (*marks)[41];       /* each track's marker commit, by index */
	long resolved;           /* the track whose resolution --continue committed, or -1 */
	char resolution[41];
	stage st;
	pd_gate_run *run;
	int log_fd;
	pd_merge_outcome outcome;
	char *message;
};

void pd_merge_emit(pd_merge *mg, pd_event *ev);
/* A line in .packetdeck/merge.log. */
void pd_merge_log(pd_merge *mg, const char *fmt, ...) PD_PRINTF(2, 3);
/* Finish with `outcome` and a message; returns true (done). */
bool pd_merge_finish(pd_merge *mg, pd_merge_outcome outcome, const char *fmt, ...) PD_PRINTF(3, 4);
/* Finish with PD_MERGED_ERROR and the last error's message. */
bool pd_merge_fail(pd_merge *mg);
/* Write merge.json with `phase`. */
int pd_merge_save(pd_merge *mg, pd_merge_phase phase);

/* mergegates.c: the stages after the integrity check */
bool pd_merge_step_gate(pd_merge *mg);
bool pd_merge_step_gate_run(pd_merge *mg);

#endif
