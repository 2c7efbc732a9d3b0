/* dash_notify.c - the dashboard calls the person back: on the events that
 * need one (notify.h's pd_notify_wanted: blocked, a handoff, a failure, a
 * usage limit, the end) the bell and a desktop notification (termnotify.h)
 * and the --notify command; and always the terminal's title and taskbar
 * progress ("packetdeck 3/6 · api"), restored at the end. */
#include "dash_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dash_notify_start(dash *d)
{
	FILE *out = d->o.out ? d->o.out : stdout;

	if (d->o.notify && pd_notifier_new(&d->notifier, d->o.notify, d->pd->manifest->dir) < 0)
		d->notifier = NULL; /* run checked the template before */
	ui_termnotify_start(&d->tn, d->o.watch ? -1 : fileno(out), !d->o.no_bell);
	d->done = d->m.snap ? d->m.snap->completed : 0;
}

static const char *track_name(const dash *d, long id)
{
	long i = id >= 0 ? pd_dag_find(d->pd->dag, id) : -1;

	return i >= 0 ? d->pd->manifest->tracks[i].name : "";
}

void dash_notify_event(dash *d, const pd_event *e)
{
	ui_progress_state state = UI_PROGRESS_NORMAL;
	size_t total = d->pd->manifest->ntracks;
	const char *track = track_name(d, e->track);

	switch (e->type) {
	case PD_EV_RUN_STARTED:
	case PD_EV_HANDOFF_SUGGESTED:
	case PD_EV_RUN_COMPLETED:
		d->done = e->completed;
		state = e->type == PD_EV_HANDOFF_SUGGESTED ? UI_PROGRESS_PAUSED : UI_PROGRESS_NORMAL;
		break;
	case PD_EV_TRACK_COMPLETED:
		d->done++;
		break;
	case PD_EV_TRACK_STARTED:
		break;
	case PD_EV_BLOCKED:
	case PD_EV_LIMITED:
		state = UI_PROGRESS_PAUSED;
		break;
	case PD_EV_TRACK_FAILED:
	case PD_EV_ABORTED:
		state = UI_PROGRESS_ERROR;
		break;
	default:
		return;
	}
	ui_termnotify_status(&d->tn, d->done, total, track, state);
	if (!pd_notify_wanted(e->type))
		return;
	{
		char msg[400];

		pd_notify_message(e, msg, sizeof(msg));
		ui_termnotify_alert(&d->tn, "packetdeck", msg);
		if (d->notifier && pd_notifier_send(d->notifier, e) < 0 && !d->notify_failed) {
			d->notify_failed = true;
			free(d->m.notice);
			d->m.notice = strdup(pd_error_last());
		}
	}
}

int dash_notify_timeout(const dash *d)
{
	return pd_notifier_timeout_ms(d->notifier);
}

void dash_notify_reap(dash *d)
{
	pd_notifier_reap(d->notifier);
}

void dash_notify_end(dash *d)
{
	ui_termnotify_end(&d->tn);
	pd_notifier_free(d->notifier);
	d->notifier = NULL;
}
