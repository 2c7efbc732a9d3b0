/* notify.h - a person called back: `run --notify TEMPLATE` runs a command
 * of the user's when the run needs a person (blocked, a handoff, a failure,
 * a usage limit) and when it ends (completed, aborted), in the manner of
 * pueue's callback and ccmanager's status hooks.
 *
 * The template is an argv template (runner.h: split by packetdeck, quotes
 * honoured, never a shell) with placeholders {event} {track} {message},
 * each one whole argument ({track} is "-" for an event of no track); the
 * command also gets PACKETDECK_EVENT,
 * PACKETDECK_TRACK ("" when none), PACKETDECK_MESSAGE (one display-safe
 * line) and PACKETDECK_PACKET_DIR. It starts in its own process group,
 * stdin /dev/null, stdout and stderr appended to .packetdeck/notify.log
 * (a header line per call). Sending never waits: the command runs beside
 * the loop, which reaps it (pd_notifier_reap, at least as often as
 * pd_notifier_timeout_ms says); at most PD_NOTIFY_MAX run at once (more are
 * dropped, counted and logged), and one running longer than
 * PD_NOTIFY_TIMEOUT_S is stopped, its group with it.
 */
#ifndef PD_NOTIFY_H
#define PD_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "packetdeck/event.h"

#define PD_NOTIFY_MAX 4
#define PD_NOTIFY_TIMEOUT_S 30

typedef struct pd_notifier pd_notifier;

/* PD_EINVALID (with the reason) for a template that does not split or
 * names an unknown placeholder. */
int pd_notifier_new(pd_notifier **out, const char *template, const char *packet_dir);

/* The events a person is called for. */
bool pd_notify_wanted(pd_event_type type);

/* What the event says to a person, one line ("Track 3 (api) failed: ..."). */
const char *pd_notify_message(const pd_event *e, char *buf, size_t cap);

/* Start the command for `e` (wanted or not: the caller decides). Returns 0
 * (started, or dropped when PD_NOTIFY_MAX run), or PD_EIO when it cannot be
 * started (not found: the reason in pd_error_last, said once by the caller). */
int pd_notifier_send(pd_notifier *n, const pd_event *e);

/* Reap the commands that ended; stop those past their time. */
void pd_notifier_reap(pd_notifier *n);

/* How long the loop may sleep before the next reap: -1 when none runs. */
int pd_notifier_timeout_ms(const pd_notifier *n);

size_t pd_notifier_running(const pd_notifier *n);
size_t pd_notifier_dropped(const pd_notifier *n);

/* Wait up to 2 s for the running ones, then stop them; free. */
void pd_notifier_free(pd_notifier *n);

#endif
