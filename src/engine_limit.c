/* engine_limit.c - a usage limit waited out: when an agent's track ends
 * because its CLI hit a usage limit (agentstream.h reads it, with the time
 * it lifts), the track is not failed. It is recorded as limited
 * (.packetdeck/track-N.limit.json, so status, plan and watch show it), the
 * `limited` event is emitted, and then, as the options say, the run
 * aborts (exit 3) or waits: until the reset (plus a margin for clocks that
 * differ), or, when the reset is not known or has passed, for the poll
 * interval at a time up to the wait timeout. When the time comes the track
 * starts again from its checkpoint, by itself; a limit hit again waits
 * again.
 *
 * Not here: reading the limit (agentstream.c, agentlimit.c), asking a
 * person (the driver shows pd_engine_limit and may answer abort).
 */
#include "engine_int.h"
#include "clock.h"
#include "packetdeck/state.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Seconds after the stated reset before the track starts again. */
#define LIMIT_MARGIN_S 5

/* When to try next, from now; sets the deadline for unknown resets. */
static void schedule(pd_engine *e)
{
	long now_ms = pd_now_ms();
	time_t now = time(NULL);

	if (e->limit_resets > now) {
		e->limit_next_ms = now_ms + ((long)(e->limit_resets - now) + LIMIT_MARGIN_S) * 1000L;
		return;
	}
	if (!e->limit_deadline_ms)
		e->limit_deadline_ms = now_ms + (long)e->o.wait_timeout_s * 1000L;
	e->limit_next_ms = now_ms + (long)(e->o.poll_s ? e->o.poll_s : 1) * 1000L;
	if (e->limit_next_ms > e->limit_deadline_ms)
		e->limit_next_ms = e->limit_deadline_ms;
}

bool pd_engine_limit_hit(pd_engine *e)
{
	const pd_agent_summary *s = e->stream ? pd_agent_stream_summary(e->stream) : NULL;
	const pd_track *t = cur_track(e);
	pd_event ev = PD_EVENT_INIT(PD_EV_LIMITED);
	char when[21], why[500];

	if (!s || !s->limited)
		return false;
	e->limit_resets = s->resets_at;
	snprintf(e->limit_msg, sizeof(e->limit_msg), "%s",
		 s->limit_message ? s->limit_message : "usage limit reached");
	e->limit_tries++;
	if (pd_limit_write(e->pd->manifest->dir, t->id, e->limit_resets, e->limit_msg) < 0) {
		pd_event n = PD_EVENT_INIT(PD_EV_NOTICE);

		n.track = t->id;
		n.message = pd_error_last();
		pd_engine_emit(e, &n);
	}
	ev.track = t->id;
	ev.resets_at = e->limit_resets ? pd_timestamp(when, e->limit_resets) : NULL;
	ev.message = e->limit_msg;
	pd_engine_emit(e, &ev);
	if (e->o.on_limit_abort) {
		snprintf(why, sizeof(why), "track %ld hit a usage limit%s%s (--on-limit abort): %.300s", t->id,
			 e->limit_resets ? " until " : "", e->limit_resets ? when : "", e->limit_msg);
		pd_engine_aborted(e, why);
		return true;
	}
	schedule(e);
	e->st = ST_LIMITED;
	return true;
}

void pd_engine_limit_tick(pd_engine *e)
{
	long now = pd_now_ms();
	char why[300];

	if (now < e->limit_next_ms)
		return;
	if (e->limit_deadline_ms && now >= e->limit_deadline_ms && e->limit_resets <= time(NULL)) {
		snprintf(why, sizeof(why), "track %ld: still at its usage limit after waiting %u s "
					   "(--wait-timeout)", cur_track(e)->id, e->o.wait_timeout_s);
		pd_engine_aborted(e, why);
		return;
	}
	/* again, from its checkpoint */
	e->resume_cur = true;
	pd_engine_start_track(e);
}

int pd_engine_limit_timeout(const pd_engine *e)
{
	long left = e->limit_next_ms - pd_now_ms();

	return left < 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int)left;
}

bool pd_engine_limit(const pd_engine *e, pd_engine_limit_info *out)
{
	if (e->st != ST_LIMITED)
		return false;
	out->track = cur_track(e)->id;
	out->resets_at = e->limit_resets;
	out->next_try_ms = pd_engine_limit_timeout(e);
	out->message = e->limit_msg;
	out->tries = e->limit_tries;
	return true;
}
