/* plan.h - what `run` would do with each track, and why.
 *
 * One step per track in execution order, derived from a snapshot:
 *   skip    complete
 *   run     from its first task (ready; blocked on tracks this run does
 *           first; failed or interrupted without --resume)
 *   resume  from the checkpoint's next task (with --resume)
 *   wait    a track it needs is running elsewhere: wait or abort
 *   halt    the run would stop here: a corrupt marker (never replaced) or,
 *           with --resume, a corrupt checkpoint (never silently restarted)
 * Pure: reads nothing, writes nothing.
 */
#ifndef PD_PLAN_H
#define PD_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "packetdeck/pktdir.h"
#include "packetdeck/snapshot.h"

typedef enum pd_action {
	PD_ACTION_SKIP,
	PD_ACTION_RUN,
	PD_ACTION_RESUME,
	PD_ACTION_WAIT,
	PD_ACTION_HALT
} pd_action;

typedef struct pd_step {
	size_t track;         /* manifest index */
	pd_action action;
	const char *from_task; /* run/resume: the first task to execute (NULL: none left) */
	char *reason;         /* one line */
} pd_step;

typedef struct pd_plan {
	pd_step *steps;
	size_t nsteps;
} pd_plan;

int pd_plan_make(pd_plan **out, const pd_pktdir *pd, const pd_snapshot *s, bool resume);
void pd_plan_free(pd_plan *p);
const char *pd_action_name(pd_action action);

#endif
