/* plan.c - per-track action and reason (plan.h). */
#define _GNU_SOURCE /* asprintf */
#include "packetdeck/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pd_action_name(pd_action action)
{
	static const char *names[] = {"skip", "run", "resume", "wait", "halt"};

	return (unsigned)action < sizeof(names) / sizeof(*names) ? names[action] : "unknown";
}

static char *PD_PRINTF(1, 2) say(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* Dependencies that this run completes first, as "1, 2". */
static char *pending_deps(const pd_pktdir *pd, const pd_snapshot *s, size_t i)
{
	size_t nd, j, len = 0;
	const size_t *deps = pd_dag_deps(pd->dag, i, &nd);
	char *buf = malloc(nd * 24 + 1);

	if (!buf)
		return NULL;
	buf[0] = '\0';
	for (j = 0; j < nd; j++)
		if (s->tracks[deps[j]].state != PD_STATE_COMPLETE)
			len += (size_t)sprintf(buf + len, "%s%ld", len ? ", " : "",
					       pd->manifest->tracks[deps[j]].id);
	return buf;
}

static void plan_track(pd_step *st, const pd_pktdir *pd, const pd_snapshot *s, size_t i,
		       bool resume)
{
	const pd_track_status *ts = &s->tracks[i];
	const pd_track_files *tf = ts->files;
	const pd_checkpoint *c = &tf->checkpoint;
	size_t ntasks = pd_pktdir_ntasks(pd, i);
	char *deps;

	st->track = i;
	st->from_task = pd_pktdir_task_id(pd, i, 0);
	if (tf->marker.state == PD_FILE_CORRUPT) {
		st->action = PD_ACTION_HALT;
		st->reason = say("completion marker is %s (%s); packetdeck never replaces a "
				 "marker: inspect it and move it away",
				 tf->marker.refused ? "not backed by the branch" : "corrupt",
				 tf->marker.problem ? tf->marker.problem : "unreadable");
		return;
	}
	switch (ts->state) {
	case PD_STATE_COMPLETE:
		st->action = PD_ACTION_SKIP;
		st->from_task = NULL;
		st->reason = say("complete (commit %.12s, %s%s)",
				 tf->marker.commit ? tf->marker.commit : "unknown",
				 tf->marker.timestamp ? tf->marker.timestamp : "no timestamp",
				 tf->marker.unverified ? "; unverified: no repository to check it in" : "");
		return;
	case PD_STATE_RUNNING:
		st->action = PD_ACTION_WAIT;
		st->reason = say("running elsewhere (pid %ld on %s since %s): wait for its marker "
				 "or abort", tf->lock.pid, tf->lock.host ? tf->lock.host : "?",
				 tf->lock.since ? tf->lock.since : "?");
		return;
	case PD_STATE_BLOCKED:
		if (s->tracks[ts->root].state == PD_STATE_RUNNING) {
			st->action = PD_ACTION_WAIT;
			st->reason = say("needs track %ld, running elsewhere: wait for its marker or abort",
					 pd->manifest->tracks[ts->root].id);
			return;
		}
		deps = pending_deps(pd, s, i);
		st->action = PD_ACTION_RUN;
		st->reason = say("%zu task%s, after track%s %s", ntasks, ntasks == 1 ? "" : "s",
				 deps && strchr(deps, ',') ? "s" : "", deps ? deps : "?");
		free(deps);
		return;
	case PD_STATE_READY:
		st->action = PD_ACTION_RUN;
		st->reason = say("ready: %zu task%s", ntasks, ntasks == 1 ? "" : "s");
		return;
	case PD_STATE_FAILED:
	case PD_STATE_INTERRUPTED:
	case PD_STATE_LIMITED:
		break;
	}
	/* failed, interrupted or limited */
	{
		char lim[80];
		char *was = ts->state == PD_STATE_LIMITED
				    ? say("its agent hit a %s", pd_limit_text(&tf->limit, lim, sizeof(lim)))
			    : ts->state == PD_STATE_FAILED
				    ? say("failed at task %s: %s",
					  tf->failure.task ? tf->failure.task : "?",
					  tf->failure.message ? tf->failure.message
							      : (tf->failure.problem ? tf->failure.problem : "?"))
				    : say("interrupted after task %s",
					  c->last_completed_task ? c->last_completed_task : "?");

		if (!resume || c->state == PD_FILE_ABSENT) {
			st->action = PD_ACTION_RUN;
			st->reason = say("%s; runs again from task %s%s", was ? was : "?",
					 st->from_task ? st->from_task : "?",
					 c->state != PD_FILE_ABSENT
						 ? " (--resume continues from its checkpoint)"
						 : "");
		} else if (c->state == PD_FILE_CORRUPT) {
			st->action = PD_ACTION_HALT;
			st->reason = say("%s; its checkpoint is corrupt (%s): --resume halts rather "
					 "than restart", was ? was : "?", c->problem ? c->problem : "?");
		} else {
			st->action = PD_ACTION_RESUME;
			st->from_task = c->next_task ? pd_pktdir_task_id(pd, i, ts->tasks_done) : NULL;
			st->reason = c->next_task
					     ? say("%s; resumes at task %s (%zu of %zu done)", was ? was : "?",
						   c->next_task, ts->tasks_done, ntasks)
					     : say("%s; all %zu tasks checkpointed: writes the completion "
						   "marker", was ? was : "?", ntasks);
		}
		free(was);
	}
}

int pd_plan_make(pd_plan **out, const pd_pktdir *pd, const pd_snapshot *s, bool resume)
{
	size_t norder, k;
	const size_t *order = pd_dag_order(pd->dag, &norder);
	pd_plan *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p || !(p->steps = calloc(norder ? norder : 1, sizeof(*p->steps)))) {
		free(p);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	for (k = 0; k < norder; k++) {
		const pd_packet_summary *sum = &pd->summaries[order[k]];
		pd_step *st = &p->steps[k];

		plan_track(st, pd, s, order[k], resume);
		p->nsteps++;
		if (st->reason && s->tracks[order[k]].files->marker.unfinished &&
		    st->action != PD_ACTION_SKIP && st->action != PD_ACTION_HALT) {
			/* upstream's "in_progress" marker: said, never taken as complete */
			char *more = say("%s; not complete: its marker says status \"%s\"", st->reason,
					 s->tracks[order[k]].files->marker.unfinished);

			free(st->reason);
			st->reason = more;
		}
		if (st->reason && sum->nbare && (st->action == PD_ACTION_RUN || st->action == PD_ACTION_RESUME)) {
			/* what the built-in runner would refuse */
			char *more = say("%s; the built-in runner has nothing to execute here (task %s has no "
					 "Run: line%s): run it with an agent runner (--runner claude)",
					 st->reason, pd_pktdir_task_id(pd, order[k], sum->first_bare),
					 sum->nbare > 1 ? ", nor have others" : "");

			free(st->reason);
			st->reason = more;
		}
		if (!p->steps[k].reason) {
			pd_plan_free(p);
			return pd_error_set(PD_ENOMEM, "out of memory");
		}
	}
	*out = p;
	return 0;
}

void pd_plan_free(pd_plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nsteps; i++)
		free(p->steps[i].reason);
	free(p->steps);
	free(p);
}
