/* gate.h - the dependency gate: a track starts only when every track it
 * depends on has a valid completion marker.
 *
 * pd_gate_missing lists the dependencies without one. pd_gate_wait waits
 * for them: it sleeps in poll() on an inotify watch of the packet dir (a
 * marker that appears wakes it at once), rechecks at every poll interval
 * too (the fallback when inotify is missing or misses something), emits a
 * `waiting` event at each interval, and gives up at the deadline or when
 * `stop_fd` becomes readable (a signal, the user).
 */
#ifndef PD_GATE_H
#define PD_GATE_H

#include <stddef.h>

#include <stdbool.h>

#include "packetdeck/event.h"
#include "packetdeck/pktdir.h"

/* The ids of the dependencies of track `index` without a valid marker:
 * *ids is malloc'd (NULL when none). */
int pd_gate_missing(long **ids, size_t *n, const pd_pktdir *pd, size_t index);
/* The same, taking the tracks whose `known[i]` is true as complete without
 * reading their files (known may be NULL). */
int pd_gate_missing_known(long **ids, size_t *n, const pd_pktdir *pd, size_t index, const bool *known);

typedef struct pd_gate_options {
	unsigned poll_s;      /* recheck interval (30) */
	unsigned timeout_s;   /* give up after this long (1800) */
	int stop_fd;          /* readable = stop; -1 for none */
	pd_event_fn on_event; /* `waiting` events; may be NULL */
	void *ctx;
} pd_gate_options;

#define PD_GATE_OPTIONS_INIT {30, 1800, -1, NULL, NULL}

/* 0 once nothing is missing; PD_ETIMEOUT at the deadline; PD_EINTERRUPTED
 * when stop_fd becomes readable (it is not read). */
int pd_gate_wait(const pd_pktdir *pd, size_t index, const pd_gate_options *o);

#endif
