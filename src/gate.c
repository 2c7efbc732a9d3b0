/* gate.c - wait for dependencies' completion markers (gate.h). */
#include "packetdeck/gate.h"
#include "packetdeck/state.h"
#include "packetdeck/verify.h"
#include "packetdeck/watch.h"

#include "clock.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

int pd_gate_missing(long **ids, size_t *n, const pd_pktdir *pd, size_t index)
{
	return pd_gate_missing_known(ids, n, pd, index, NULL);
}

int pd_gate_missing_known(long **ids, size_t *n, const pd_pktdir *pd, size_t index, const bool *known)
{
	size_t nd, j;
	const size_t *deps = pd_dag_deps(pd->dag, index, &nd);

	*ids = NULL;
	*n = 0;
	for (j = 0; j < nd; j++) {
		const pd_track *t = &pd->manifest->tracks[deps[j]];
		long id = t->id;
		pd_marker m;
		bool ok;
		int error;

		if (known && known[deps[j]])
			continue;
		error = pd_track_verified(pd->verifier, pd->manifest, t, &m, &ok);

		pd_marker_clear(&m);
		if (error < 0)
			return error;
		if (ok)
			continue;
		if (!*ids && !(*ids = malloc(nd * sizeof(**ids))))
			return pd_error_set(PD_ENOMEM, "out of memory");
		(*ids)[(*n)++] = id;
	}
	return 0;
}

int pd_gate_wait(const pd_pktdir *pd, size_t index, const pd_gate_options *o)
{
	pd_gate_options defaults = PD_GATE_OPTIONS_INIT;
	long start = pd_now_ms(), deadline, next_poll;
	char deadline_text[21];
	pd_watch *w = NULL;
	int error;

	if (!o)
		o = &defaults;
	deadline = start + (long)o->timeout_s * 1000L;
	next_poll = start;
	pd_timestamp(deadline_text, time(NULL) + (time_t)o->timeout_s);
	if ((error = pd_watch_open(&w, pd->manifest->dir)) < 0)
		return error;
	for (;;) {
		struct pollfd fds[2] = {{pd_watch_fd(w), POLLIN, 0}, {o->stop_fd, POLLIN, 0}};
		long *missing = NULL, now;
		size_t n = 0;
		int wait_ms, r;

		if ((error = pd_gate_missing(&missing, &n, pd, index)) < 0)
			break;
		free(missing);
		if (n == 0)
			break; /* error is 0 */
		now = pd_now_ms();
		if (now >= deadline) {
			error = pd_error_set(PD_ETIMEOUT, "dependencies still missing after %u s",
					     o->timeout_s);
			break;
		}
		if (now >= next_poll) {
			pd_event e = PD_EVENT_INIT(PD_EV_WAITING);

			while (next_poll <= now)
				next_poll += (long)(o->poll_s ? o->poll_s : 1) * 1000L;
			e.track = pd->manifest->tracks[index].id;
			e.next_poll_s = (next_poll - now + 999) / 1000;
			e.deadline = deadline_text;
			if (o->on_event)
				o->on_event(o->ctx, &e);
		}
		wait_ms = (int)((next_poll < deadline ? next_poll : deadline) - now);
		r = poll(fds, 2, wait_ms > 0 ? wait_ms : 0);
		if (r < 0 && errno != EINTR) {
			error = pd_error_errno(PD_EIO, "poll");
			break;
		}
		if (r > 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
			error = pd_error_set(PD_EINTERRUPTED, "interrupted while waiting");
			break;
		}
		if (r > 0 && (fds[0].revents & POLLIN))
			pd_watch_drain(w); /* something changed: recheck at once */
	}
	pd_watch_free(w);
	return error;
}
