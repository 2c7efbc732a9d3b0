/* snapshot.c - derive track states and root causes from files (snapshot.h). */
#include "packetdeck/snapshot.h"
#include "packetdeck/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pd_state_name(pd_state state)
{
	static const char *names[] = {"complete", "running",  "failed",
				      "interrupted", "ready", "blocked", "limited"};

	return (unsigned)state < sizeof(names) / sizeof(*names) ? names[state] : "unknown";
}

static bool newer_or_same(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec);
}

/* How many tasks the checkpoint says are done; a checkpoint naming a task
 * the packet lacks is corrupt. */
static void count_done(pd_track_status *ts, pd_track_files *f, const pd_pktdir *pd, size_t track)
{
	pd_checkpoint *c = &f->checkpoint;
	long i;

	if (c->state != PD_FILE_OK)
		return;
	if (!c->next_task) {
		ts->tasks_done = pd_pktdir_ntasks(pd, track);
		return;
	}
	if ((i = pd_pktdir_task_index(pd, track, c->next_task)) >= 0) {
		ts->tasks_done = (size_t)i;
		return;
	}
	c->state = PD_FILE_CORRUPT;
	free(c->problem);
	c->problem = malloc(strlen(c->path) + strlen(c->next_task) + 64);
	if (c->problem)
		sprintf(c->problem, "%s: next_task \"%s\" is not a task of this packet", c->path,
			c->next_task);
}

static const pd_track_files no_files; /* every file absent */

static void clear_files(pd_track_files *f)
{
	pd_marker_clear(&f->marker);
	pd_checkpoint_clear(&f->checkpoint);
	pd_failure_clear(&f->failure);
	pd_lockinfo_clear(&f->lock);
	pd_limit_clear(&f->limit);
}

static bool no_file(const pd_track_files *f)
{
	const pd_lockinfo *l = &f->lock;

	return f->marker.state == PD_FILE_ABSENT && !f->marker.unfinished &&
	       f->checkpoint.state == PD_FILE_ABSENT &&
	       f->failure.state == PD_FILE_ABSENT && f->limit.state == PD_FILE_ABSENT && !l->held && !l->pid && !l->host && !l->since &&
	       !l->run_id;
}

/* ts->files: the shared record when every file is absent, else its own. */
static int keep_files(pd_track_status *ts, pd_track_files *f)
{
	pd_track_files *own;

	if (no_file(f)) {
		clear_files(f);
		ts->files = &no_files;
		return 0;
	}
	if (!(own = malloc(sizeof(*own)))) {
		clear_files(f);
		ts->files = &no_files;
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	*own = *f;
	ts->files = own;
	return 0;
}

/* The run names the track it executes in its lock: the track's lock, then
 * (lock.h's pd_track_claim). */
static int run_holds(pd_lockinfo *lock, const pd_lockinfo *run, long id)
{
	if (lock->held || !run->held || !run->has_track || run->track != id)
		return 0;
	pd_lockinfo_clear(lock);
	lock->held = true;
	lock->pid = run->pid;
	if ((run->host && !(lock->host = strdup(run->host))) ||
	    (run->since && !(lock->since = strdup(run->since))) ||
	    (run->run_id && !(lock->run_id = strdup(run->run_id))))
		return pd_error_set(PD_ENOMEM, "out of memory");
	return 0;
}

static int read_track(pd_track_status *ts, const pd_pktdir *pd, size_t i, const pd_lockinfo *run)
{
	const pd_manifest *m = pd->manifest;
	const pd_track *t = &m->tracks[i];
	pd_track_files f;
	char *lock;
	int error;

	memset(&f, 0, sizeof(f));
	ts->files = &no_files;
	ts->tasks_done = 0;
	if ((error = pd_marker_read(&f.marker, m->dir, t->id)) < 0 ||
	    (error = pd_checkpoint_read(&f.checkpoint, m->dir, t->id)) < 0 ||
	    (error = pd_failure_read(&f.failure, m->dir, t->id)) < 0 ||
	    (error = pd_limit_read(&f.limit, m->dir, t->id)) < 0) {
		clear_files(&f);
		return error;
	}
	lock = pd_state_file(m->dir, t->id, "lock");
	if (!lock) {
		clear_files(&f);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	error = pd_lock_probe(&f.lock, lock);
	free(lock);
	if (error == 0)
		error = run_holds(&f.lock, run, t->id);
	count_done(ts, &f, pd, i);
	if (pd_verify_marker(pd->verifier, t, &f.marker) < 0 ||
	    pd_verify_checkpoint(pd->verifier, t, &f.checkpoint) < 0) {
		clear_files(&f);
		return PD_ENOMEM;
	}
	if (f.marker.state == PD_FILE_OK && !pd_failure_refutes(&f.failure, &f.marker)) {
		ts->state = PD_STATE_COMPLETE;
		ts->tasks_done = pd_pktdir_ntasks(pd, i);
	} else if (f.limit.state == PD_FILE_OK &&
		   (f.checkpoint.state == PD_FILE_ABSENT || newer_or_same(f.limit.mtime, f.checkpoint.mtime)) &&
		   (f.failure.state == PD_FILE_ABSENT || newer_or_same(f.limit.mtime, f.failure.mtime))) {
		ts->state = PD_STATE_LIMITED;
	} else if (f.lock.held) {
		ts->state = PD_STATE_RUNNING;
	} else if (f.failure.state != PD_FILE_ABSENT &&
		   (f.checkpoint.state == PD_FILE_ABSENT || f.marker.state == PD_FILE_OK ||
		    newer_or_same(f.failure.mtime, f.checkpoint.mtime))) {
		ts->state = PD_STATE_FAILED;
	} else if (f.checkpoint.state != PD_FILE_ABSENT) {
		ts->state = PD_STATE_INTERRUPTED;
	} else {
		ts->state = PD_STATE_READY; /* or blocked: decided with the graph */
	}
	if (keep_files(ts, &f) < 0)
		return PD_ENOMEM;
	return error;
}

/* In execution order, so every dependency is settled before its dependents.
 * Blocked is the graph's verdict, not the files': it is decided afresh. */
static void settle_graph(pd_snapshot *s, const pd_dag *g)
{
	size_t norder, k, j, nd;
	const size_t *order = pd_dag_order(g, &norder);

	s->completed = 0;
	s->next = PD_NO_TRACK;
	for (k = 0; k < norder; k++)
		if (s->tracks[order[k]].state == PD_STATE_BLOCKED)
			s->tracks[order[k]].state = PD_STATE_READY;
	for (k = 0; k < norder; k++) {
		size_t i = order[k], best = PD_NO_TRACK;
		const size_t *deps = pd_dag_deps(g, i, &nd);
		pd_track_status *ts = &s->tracks[i];

		ts->root = i;
		for (j = 0; j < nd; j++) {
			const pd_track_status *d = &s->tracks[deps[j]];
			size_t cause;

			if (d->state == PD_STATE_COMPLETE)
				continue;
			cause = d->state == PD_STATE_BLOCKED ? d->root : deps[j];
			if (best == PD_NO_TRACK || pd_dag_position(g, cause) < pd_dag_position(g, best))
				best = cause;
		}
		if (best != PD_NO_TRACK && ts->state == PD_STATE_READY) {
			ts->state = PD_STATE_BLOCKED;
			ts->root = best;
		}
		if (ts->state == PD_STATE_COMPLETE)
			s->completed++;
		else if (s->next == PD_NO_TRACK &&
			 (ts->state == PD_STATE_READY || ts->state == PD_STATE_INTERRUPTED ||
			  ts->state == PD_STATE_FAILED || ts->state == PD_STATE_LIMITED))
			s->next = i;
	}
}

int pd_snapshot_take(pd_snapshot **out, const pd_pktdir *pd)
{
	const pd_manifest *m = pd->manifest;
	pd_snapshot *s = calloc(1, sizeof(*s));
	size_t i;
	int error = 0;

	*out = NULL;
	if (!s || !(s->tracks = calloc(m->ntracks ? m->ntracks : 1, sizeof(*s->tracks)))) {
		free(s);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	s->ntracks = m->ntracks;
	s->next = PD_NO_TRACK;
	error = pd_run_lock_probe(&s->run, m->dir);
	for (i = 0; i < m->ntracks && error == 0; i++)
		error = read_track(&s->tracks[i], pd, i, &s->run);
	if (error < 0) {
		pd_snapshot_free(s);
		return error;
	}
	settle_graph(s, pd->dag);
	*out = s;
	return 0;
}

static void clear_track(pd_track_status *ts)
{
	if (ts->files && ts->files != &no_files) {
		pd_track_files *own = (pd_track_files *)ts->files;

		clear_files(own);
		free(own);
	}
	ts->files = &no_files;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* Do two readings of a track's files differ in anything shown? (`a` may
 * have been settled: blocked counts as ready.) */
static bool same_files(const pd_track_status *ta, const pd_track_status *tb)
{
	pd_state sa = ta->state == PD_STATE_BLOCKED ? PD_STATE_READY : ta->state;
	const pd_track_files *a = ta->files, *b = tb->files;

	return sa == tb->state && ta->tasks_done == tb->tasks_done &&
	       a->marker.state == b->marker.state && same_str(a->marker.commit, b->marker.commit) &&
	       a->marker.unverified == b->marker.unverified &&
	       same_str(a->marker.problem, b->marker.problem) &&
	       same_str(a->checkpoint.commit_problem, b->checkpoint.commit_problem) &&
	       a->checkpoint.state == b->checkpoint.state &&
	       same_time(a->checkpoint.mtime, b->checkpoint.mtime) &&
	       same_str(a->checkpoint.last_completed_task, b->checkpoint.last_completed_task) &&
	       same_str(a->checkpoint.commit, b->checkpoint.commit) &&
	       a->failure.state == b->failure.state && same_time(a->failure.mtime, b->failure.mtime) &&
	       a->lock.held == b->lock.held && a->lock.pid == b->lock.pid;
}

/* The index of the track a held run lock names, or PD_NO_TRACK. */
static size_t run_track(const pd_lockinfo *run, const pd_pktdir *pd)
{
	long i = run->held && run->has_track ? pd_dag_find(pd->dag, run->track) : -1;

	return i >= 0 ? (size_t)i : PD_NO_TRACK;
}

/* Read track i again: true when it changed. */
static int reread_track(pd_snapshot *s, const pd_pktdir *pd, size_t i, const pd_lockinfo *run,
			bool *changed)
{
	pd_track_status fresh;
	int error;

	if (i >= s->ntracks)
		return 0;
	memset(&fresh, 0, sizeof(fresh));
	if ((error = read_track(&fresh, pd, i, run)) < 0) {
		clear_track(&fresh);
		return error;
	}
	if (same_files(&s->tracks[i], &fresh)) {
		clear_track(&fresh);
		return 0;
	}
	clear_track(&s->tracks[i]);
	s->tracks[i] = fresh;
	*changed = true;
	return 0;
}

int pd_snapshot_reread(pd_snapshot *s, const pd_pktdir *pd, const size_t *which, size_t n,
		       bool *changed)
{
	size_t k, count = which ? n : s->ntracks, named[2];
	pd_lockinfo run;
	bool any = false;
	int error;

	if ((error = pd_run_lock_probe(&run, pd->manifest->dir)) < 0)
		return error;
	for (k = 0; k < count && error == 0; k++)
		error = reread_track(s, pd, which ? which[k] : k, &run, &any);
	/* the track the run lock named, and the one it names now */
	named[0] = run_track(&s->run, pd);
	named[1] = run_track(&run, pd);
	for (k = 0; which && named[0] != named[1] && k < 2 && error == 0; k++)
		error = reread_track(s, pd, named[k], &run, &any);
	if (error < 0) {
		pd_lockinfo_clear(&run);
		return error;
	}
	if (any)
		settle_graph(s, pd->dag);
	if (run.held != s->run.held || run.pid != s->run.pid)
		any = true;
	pd_lockinfo_clear(&s->run);
	s->run = run;
	*changed = any;
	return 0;
}

void pd_snapshot_free(pd_snapshot *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->ntracks; i++)
		clear_track(&s->tracks[i]);
	free(s->tracks);
	pd_lockinfo_clear(&s->run);
	free(s);
}
