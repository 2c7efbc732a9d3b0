/* merge.c - the machine behind `packetdeck merge` (merge.h).
 *
 * One step does one piece: the checks and the plan, the worktree, one
 * track's merge, the integrity check, a gate's start, a gate's output.
 * Where it stands is .packetdeck/merge.json, written before anything that
 * changes git and after it; what is merged is asked of git (a branch tip
 * reachable from HEAD), so continuing after a kill is the same loop again:
 * tracks already in are "up to date", a merge cut short is undone first.
 * The git side is mergegit.c's, a gate mergeqa.c's.
 */
#define _GNU_SOURCE
#include "packetdeck/merge.h"
#include "mergegit.h"
#include "mergeqa.h"
#include "packetdeck/engine.h"
#include "packetdeck/error.h"
#include "packetdeck/fsio.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/lock.h"
#include "packetdeck/pathutil.h"
#include "packetdeck/preset.h"
#include "packetdeck/state.h"
#include "packetdeck/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "merge_int.h"

void pd_merge_emit(pd_merge *mg, pd_event *ev)
{
	if (!ev->feature)
		ev->feature = mg->m->feature;
	if (mg->o.on_event)
		mg->o.on_event(mg->o.ctx, ev);
}

static void notice(pd_merge *mg, const char *fmt, ...) PD_PRINTF(2, 3);
static void notice(pd_merge *mg, const char *fmt, ...)
{
	pd_event ev = PD_EVENT_INIT(PD_EV_NOTICE);
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ev.message = msg;
	pd_merge_emit(mg, &ev);
}

void pd_merge_log(pd_merge *mg, const char *fmt, ...)
{
	char now[21];
	va_list ap;

	if (mg->log_fd < 0)
		return;
	dprintf(mg->log_fd, "== %s ", pd_timestamp(now, time(NULL)));
	va_start(ap, fmt);
	vdprintf(mg->log_fd, fmt, ap);
	va_end(ap);
	dprintf(mg->log_fd, "\n");
}

/* Finish with `outcome`; the message is kept (one line, or a gate's lines). */
bool pd_merge_finish(pd_merge *mg, pd_merge_outcome outcome, const char *fmt, ...)
{
	va_list ap;

	mg->outcome = outcome;
	free(mg->message);
	mg->message = NULL;
	if (fmt) {
		va_start(ap, fmt);
		if (vasprintf(&mg->message, fmt, ap) < 0)
			mg->message = NULL;
		va_end(ap);
	}
	mg->st = ST_DONE;
	return true;
}

bool pd_merge_fail(pd_merge *mg)
{
	return pd_merge_finish(mg, PD_MERGED_ERROR, "%s", pd_error_last());
}

static const pd_track *track_at(const pd_merge *mg, size_t k)
{
	return &mg->m->tracks[mg->order[k]];
}

/* A track's merge commit message: "Merge track N (name)". */
static void merge_message(char *buf, size_t cap, long id, const pd_track *t)
{
	snprintf(buf, cap, "Merge track %ld (%s)", id, t ? t->name : "?");
}

/* The merge of track `id` (t, when known) stopped at `files`. */
static void say_conflict(pd_merge *mg, long id, const pd_track *t, char **files, size_t nfiles)
{
	pd_event ev = PD_EVENT_INIT(PD_EV_MERGE_CONFLICT);

	ev.track = id;
	ev.name = t ? t->name : NULL;
	ev.branch = mg->s.branch;
	ev.path = mg->s.worktree;
	ev.files = (const char *const *)files;
	ev.nfiles = nfiles;
	pd_merge_emit(mg, &ev);
}

char *pd_merge_branch_name(const char *feature)
{
	char *b;

	return asprintf(&b, "feature/%s-integrated", feature) < 0 ? NULL : b;
}

/* Beside the tracks' worktrees: DIR/{feature}-integrated, where DIR holds
 * the first track's worktree (the project root when there are none). */
static char *worktree_for(const pd_merge *mg)
{
	const char *first = mg->m->ntracks ? mg->m->tracks[0].worktree_path : NULL;
	char *dir, *slash, *name, *path;
	size_t i;

	if (!(dir = strdup(first ? first : mg->root)))
		return NULL;
	if (first && (slash = strrchr(dir, '/')) && slash != dir)
		*slash = '\0';
	if (asprintf(&name, "%s-integrated", mg->m->feature) < 0) {
		free(dir);
		return NULL;
	}
	for (i = 0; name[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", name[i]))
			name[i] = '-';
	if (name[0] == '.')
		name[0] = '-';
	path = pd_path_join(dir, name);
	free(dir);
	free(name);
	return path;
}

int pd_merge_save(pd_merge *mg, pd_merge_phase phase)
{
	mg->s.phase = phase;
	return pd_merge_state_write(&mg->s, mg->m->dir);
}

/* Is every track complete (verified)? Says which are not. */
static bool verify_all(pd_merge *mg)
{
	size_t k, bad = 0;

	for (k = 0; k < mg->norder; k++) {
		const pd_track *t = track_at(mg, k);
		pd_marker mk;
		bool complete = false;
		char why[600];

		if (pd_track_verified(mg->pd->verifier, mg->m, t, &mk, &complete) < 0) {
			pd_marker_clear(&mk);
			return !pd_merge_fail(mg);
		}
		if (complete) {
			snprintf(mg->marks[t->index], 41, "%s", mk.commit ? mk.commit : "");
		} else {
			pd_event ev = PD_EVENT_INIT(PD_EV_TRACK_INCOMPLETE);

			if (mk.state == PD_FILE_ABSENT && mk.unfinished)
				snprintf(why, sizeof(why), "status: %s", mk.unfinished);
			else if (mk.state == PD_FILE_ABSENT)
				snprintf(why, sizeof(why), "no completion marker");
			else if (mk.state == PD_FILE_CORRUPT)
				snprintf(why, sizeof(why), "%s", mk.problem ? mk.problem : "marker refused");
			else
				snprintf(why, sizeof(why), "a failure record is newer than its marker");
			ev.track = t->id;
			ev.name = t->name;
			ev.reason = why;
			pd_merge_emit(mg, &ev);
			bad++;
		}
		pd_marker_clear(&mk);
	}
	if (bad)
		return !pd_merge_finish(mg, PD_MERGED_INCOMPLETE, "%zu of %zu tracks are not complete", bad,
			       mg->norder);
	return true;
}

static void say_plan(pd_merge *mg)
{
	pd_event ev = PD_EVENT_INIT(PD_EV_MERGE_STARTED);
	long *ids = calloc(mg->norder + 1, sizeof(*ids));
	size_t k;

	for (k = 0; ids && k < mg->norder; k++)
		ids[k] = track_at(mg, k)->id;
	ev.branch = mg->s.branch;
	ev.strategy = mg->m->merge_strategy;
	ev.path = mg->s.worktree;
	ev.total = mg->norder;
	ev.ids = ids;
	ev.nids = ids ? mg->norder : 0;
	pd_merge_emit(mg, &ev);
	free(ids);
	for (k = 0; k < mg->norder; k++) {
		const pd_track *t = track_at(mg, k);
		pd_event p = PD_EVENT_INIT(PD_EV_TRACK_PLANNED);

		p.track = t->id;
		p.name = t->name;
		p.branch = t->branch;
		p.commit = mg->marks[t->index];
		pd_merge_emit(mg, &p);
	}
}

/* A new merge: record what was there, then make the worktree. */
static bool begin_new(pd_merge *mg)
{
	struct stat st;
	char tip[41];
	char now[21];

	if (pd_mg_branch_tip(mg->root, mg->s.branch, tip) < 0)
		return pd_merge_fail(mg);
	mg->s.branch_existed = tip[0] != '\0';
	snprintf(mg->s.before, sizeof(mg->s.before), "%s", tip);
	mg->s.worktree_existed = lstat(mg->s.worktree, &st) == 0;
	if (mg->s.worktree_existed) {
		bool dirty = false;

		if (pd_mg_open(&mg->g, mg->s.worktree) < 0)
			return pd_merge_fail(mg);
		if (pd_mg_dirty(mg->g, &dirty) < 0)
			return pd_merge_fail(mg);
		if (dirty)
			return pd_merge_finish(mg, PD_MERGED_REFUSED,
				      "%s: the integration worktree has uncommitted changes; commit or "
				      "stash them first",
				      mg->s.worktree);
		pd_mg_close(mg->g);
		mg->g = NULL;
	}
	mg->s.merged = 0;
	mg->s.track = -1;
	mg->s.gate = 0;
	free(mg->s.started);
	mg->s.started = strdup(pd_timestamp(now, time(NULL)));
	if (pd_merge_save(mg, PD_MERGE_MERGING) < 0)
		return pd_merge_fail(mg);
	return false;
}

static bool open_worktree(pd_merge *mg)
{
	pd_worktree_info w;
	const char *start = mg->m->shared_setup_commit;

	memset(&w, 0, sizeof(w));
	if (pd_worktree_prepare(mg->root, mg->s.worktree, mg->s.branch, start && *start ? start : NULL,
				&w) < 0) {
		pd_worktree_info_clear(&w);
		return pd_merge_fail(mg);
	}
	pd_worktree_info_clear(&w);
	if (pd_mg_open(&mg->g, mg->s.worktree) < 0)
		return pd_merge_fail(mg);
	return false;
}

/* Continuing: put the worktree where the loop can take it up. */
static bool resume(pd_merge *mg)
{
	bool merging = false, dirty = false;
	char their[41], head[41], **files = NULL;
	size_t nfiles = 0;

	if (pd_mg_merging(mg->g, &merging, their) < 0 || pd_mg_dirty(mg->g, &dirty) < 0)
		return pd_merge_fail(mg);
	if (mg->s.phase == PD_MERGE_CONFLICT && merging) {
		long i = pd_dag_find(mg->pd->dag, mg->s.track);
		const pd_track *t = i >= 0 ? &mg->m->tracks[i] : NULL;

		if (pd_mg_conflicts(mg->g, &files, &nfiles) < 0)
			return pd_merge_fail(mg);
		if (nfiles) {
			say_conflict(mg, mg->s.track, t, files, nfiles);
			pd_merge_files_free(files, nfiles);
			return pd_merge_finish(mg, PD_MERGED_STOPPED,
				      "%zu file%s still conflicted in %s: resolve and `git add` them, then: "
				      "packetdeck merge --continue %s (or --abort)",
				      nfiles, nfiles == 1 ? "" : "s", mg->s.worktree, mg->m->dir);
		}
		{
			char msg[512];

			merge_message(msg, sizeof(msg), mg->s.track, t);
			if (pd_mg_commit_merge(mg->g, msg, mg->resolution) < 0 || pd_sync_fs(mg->s.worktree) < 0)
				return pd_merge_fail(mg);
			mg->merged_now++;
			mg->resolved = mg->s.track;
			pd_merge_log(mg, "resolution of track %ld committed: %s", mg->s.track, mg->resolution);
		}
	} else if (mg->s.phase == PD_MERGE_MERGING && (merging || dirty)) {
		/* a merge cut short, never handed to the user: undone, made again */
		if (pd_mg_head(mg->g, head) < 0 || pd_mg_reset(mg->g, head) < 0)
			return pd_merge_fail(mg);
		notice(mg, "undid a merge cut short in %s; merging again", mg->s.worktree);
	}
	mg->s.track = -1;
	pd_merge_files_free(mg->s.files, mg->s.nfiles);
	mg->s.files = NULL;
	mg->s.nfiles = 0;
	if (pd_merge_save(mg, PD_MERGE_MERGING) < 0)
		return pd_merge_fail(mg);
	return false;
}

static bool do_abort(pd_merge *mg)
{
	pd_event ev = PD_EVENT_INIT(PD_EV_MERGE_ABORTED);
	struct stat st;

	if (mg->s.phase == PD_MERGE_NONE)
		return pd_merge_finish(mg, PD_MERGED_REFUSED, "%s: no merge to abort", mg->m->dir);
	if (mg->s.worktree_existed && lstat(mg->s.worktree, &st) == 0) {
		if (pd_mg_open(&mg->g, mg->s.worktree) < 0 ||
		    (mg->s.before[0] && pd_mg_reset(mg->g, mg->s.before) < 0))
			return pd_merge_fail(mg);
	} else if (!mg->s.worktree_existed && pd_mg_worktree_remove(mg->root, mg->s.worktree) < 0) {
		return pd_merge_fail(mg);
	}
	if (mg->g) {
		pd_mg_close(mg->g);
		mg->g = NULL;
	}
	if (pd_mg_branch_set(mg->root, mg->s.branch, mg->s.branch_existed ? mg->s.before : NULL) < 0 ||
	    pd_merge_state_remove(mg->m->dir) < 0)
		return pd_merge_fail(mg);
	pd_merge_log(mg, "merge aborted: %s %s", mg->s.branch,
	      mg->s.branch_existed ? "put back where it was" : "deleted");
	ev.branch = mg->s.branch;
	ev.path = mg->s.worktree;
	ev.reason = mg->s.branch_existed ? "branch and worktree put back as they were"
					 : "branch and worktree removed";
	pd_merge_emit(mg, &ev);
	return pd_merge_finish(mg, PD_MERGED_OK, NULL);
}

static bool step_begin(pd_merge *mg)
{
	pd_merge_phase was = mg->s.phase;

	if (mg->o.action == PD_MERGE_ABORT)
		return do_abort(mg);
	if (mg->o.action == PD_MERGE_CONTINUE && was == PD_MERGE_NONE)
		return pd_merge_finish(mg, PD_MERGED_REFUSED, "%s: no merge to continue (start one without --continue)",
			      mg->m->dir);
	if (mg->o.action == PD_MERGE_START && was != PD_MERGE_NONE && was != PD_MERGE_COMPLETED)
		return pd_merge_finish(mg, PD_MERGED_REFUSED,
			      "%s: a merge is in progress (%s, since %s): packetdeck merge --continue %s, or --abort",
			      mg->m->dir, pd_merge_phase_name(was), mg->s.started ? mg->s.started : "?",
			      mg->m->dir);
	if (!verify_all(mg))
		return true;
	say_plan(mg);
	if (mg->o.action == PD_MERGE_START && begin_new(mg))
		return true;
	if (open_worktree(mg))
		return true;
	if (mg->o.action == PD_MERGE_CONTINUE && resume(mg))
		return true;
	mg->k = 0;
	mg->st = ST_MERGE;
	mg->s.phase = was == PD_MERGE_QA || was == PD_MERGE_QA_FAILED ? was : PD_MERGE_MERGING;
	return false;
}

/* strategy "manual": the user merges; continuing checks that they did */
static bool stop_manual(pd_merge *mg, size_t missing)
{
	pd_event ev = PD_EVENT_INIT(PD_EV_MERGE_MANUAL);

	if (pd_merge_save(mg, PD_MERGE_MANUAL) < 0)
		return pd_merge_fail(mg);
	ev.branch = mg->s.branch;
	ev.path = mg->s.worktree;
	ev.total = mg->norder;
	ev.completed = mg->norder - missing;
	pd_merge_emit(mg, &ev);
	return pd_merge_finish(mg, PD_MERGED_STOPPED,
		      "merge_strategy is manual: merge the %zu remaining track branch%s into %s in %s by "
		      "hand, then: packetdeck merge --continue %s",
		      missing, missing == 1 ? "" : "es", mg->s.branch, mg->s.worktree, mg->m->dir);
}

static bool step_merge(pd_merge *mg)
{
	const pd_track *t;
	pd_mg_outcome out;
	char msg[512], commit[41] = "", tip[41], **files = NULL;
	size_t nfiles = 0, k, missing = 0;
	bool in = false;

	if (mg->k >= mg->norder) {
		mg->st = ST_INTEGRITY;
		return false;
	}
	if (strcmp(mg->m->merge_strategy, "manual") == 0) {
		for (k = 0; k < mg->norder; k++) {
			if (pd_mg_branch_tip(mg->root, track_at(mg, k)->branch, tip) < 0 ||
			    pd_mg_reachable(mg->g, tip, &in) < 0)
				return pd_merge_fail(mg);
			missing += !in;
		}
		if (missing)
			return stop_manual(mg, missing);
		mg->k = mg->norder;
		return false;
	}
	t = track_at(mg, mg->k);
	if (pd_mg_branch_tip(mg->root, t->branch, tip) < 0)
		return pd_merge_fail(mg);
	if (!tip[0])
		return pd_merge_finish(mg, PD_MERGED_ERROR, "track %ld: branch %s is not in the repository at %s",
			      t->id, t->branch, mg->root);
	merge_message(msg, sizeof(msg), t->id, t);
	mg->s.track = t->id;
	if (pd_merge_save(mg, mg->s.phase) < 0)
		return pd_merge_fail(mg);
	if (pd_mg_merge(mg->g, t->branch, msg, &out, commit, &files, &nfiles) < 0)
		return pd_merge_fail(mg);
	if (out == PD_MG_CONFLICT) {
		mg->s.files = files;
		mg->s.nfiles = nfiles;
		if (pd_merge_save(mg, PD_MERGE_CONFLICT) < 0)
			return pd_merge_fail(mg);
		pd_merge_log(mg, "track %ld (%s): conflict in %zu file(s)", t->id, t->name, nfiles);
		say_conflict(mg, t->id, t, files, nfiles);
		return pd_merge_finish(mg, PD_MERGED_STOPPED,
			      "track %ld (%s) conflicts in %zu file%s: resolve them in %s, then: packetdeck "
			      "merge --continue %s (or --abort)",
			      t->id, t->name, nfiles, nfiles == 1 ? "" : "s", mg->s.worktree, mg->m->dir);
	}
	if (out == PD_MG_MERGED) {
		/* the commit is on disk before the state that counts it */
		if (pd_sync_fs(mg->s.worktree) < 0)
			return pd_merge_fail(mg);
		mg->merged_now++;
		pd_merge_log(mg, "track %ld (%s) merged: %s", t->id, t->name, commit);
	}
	mg->s.track = -1;
	mg->s.merged = ++mg->k;
	if (pd_merge_save(mg, mg->s.phase) < 0)
		return pd_merge_fail(mg);
	{
		pd_event ev = PD_EVENT_INIT(PD_EV_TRACK_MERGED);
		bool resolved = out == PD_MG_UP_TO_DATE && t->id == mg->resolved;

		ev.track = t->id;
		ev.name = t->name;
		ev.branch = t->branch;
		ev.commit = out == PD_MG_MERGED ? commit : resolved ? mg->resolution : tip;
		ev.reason = out == PD_MG_UP_TO_DATE && !resolved ? "up to date" : NULL;
		ev.completed = mg->k;
		ev.total = mg->norder;
		pd_merge_emit(mg, &ev);
	}
	return false;
}

static bool step_integrity(pd_merge *mg)
{
	pd_worktree_info w;
	bool in = false, dirty = false;
	size_t k;

	memset(&w, 0, sizeof(w));
	if (pd_worktree_inspect(&w, mg->s.worktree) < 0) {
		pd_worktree_info_clear(&w);
		return pd_merge_fail(mg);
	}
	if (!w.branch || strcmp(w.branch, mg->s.branch) != 0) {
		pd_merge_finish(mg, PD_MERGED_ERROR, "%s: on %s, not on %s", mg->s.worktree,
		       w.branch ? w.branch : "a detached HEAD", mg->s.branch);
		pd_worktree_info_clear(&w);
		return true;
	}
	pd_worktree_info_clear(&w);
	for (k = 0; k < mg->norder; k++) {
		const pd_track *t = track_at(mg, k);
		const char *c = mg->marks[t->index];

		if (c[0] && (pd_mg_reachable(mg->g, c, &in) < 0 || !in))
			return in ? pd_merge_fail(mg)
				  : pd_merge_finish(mg, PD_MERGED_ERROR,
					   "track %ld: its marker's commit %.12s is not in %s", t->id, c,
					   mg->s.branch);
	}
	if (pd_mg_dirty(mg->g, &dirty) < 0)
		return pd_merge_fail(mg);
	if (dirty)
		notice(mg, "%s has uncommitted changes", mg->s.worktree);
	/* gates start over when tracks were merged now; else where they stopped */
	if (mg->merged_now || (mg->s.phase != PD_MERGE_QA && mg->s.phase != PD_MERGE_QA_FAILED))
		mg->s.gate = 0;
	mg->st = ST_GATE;
	return false;
}

bool pd_merge_step(pd_merge *mg)
{
	switch (mg->st) {
	case ST_BEGIN:
		return step_begin(mg);
	case ST_MERGE:
		return step_merge(mg);
	case ST_INTEGRITY:
		return step_integrity(mg);
	case ST_GATE:
		return pd_merge_step_gate(mg);
	case ST_GATE_RUN:
		return pd_merge_step_gate_run(mg);
	case ST_DONE:
		break;
	}
	return true;
}

int pd_merge_pollfd(const pd_merge *mg)
{
	return mg->st == ST_GATE_RUN && mg->run ? pd_gate_fd(mg->run) : -1;
}

void pd_merge_interrupt(pd_merge *mg, const char *why)
{
	if (mg->st == ST_DONE)
		return;
	if (mg->run) {
		pd_gate_stop(mg->run, mg->o.grace_ms);
		pd_merge_log(mg, "gate %s stopped: %s", mg->m->post_merge_qa[mg->s.gate], why);
	}
	pd_merge_finish(mg, PD_MERGED_INTERRUPTED, "%s; the merge can be continued (--continue) or aborted (--abort)",
	       why);
}

pd_merge_outcome pd_merge_outcome_of(const pd_merge *mg, const char **message)
{
	if (message)
		*message = mg->message;
	return mg->outcome;
}

int pd_merge_exit_status(const pd_merge *mg)
{
	switch (mg->outcome) {
	case PD_MERGED_OK:
		return PD_EXIT_OK;
	case PD_MERGED_QA_FAILED:
	case PD_MERGED_ERROR:
		return PD_EXIT_FAILED;
	case PD_MERGED_REFUSED:
		return PD_EXIT_USAGE;
	case PD_MERGED_INCOMPLETE:
	case PD_MERGED_INTERRUPTED:
		return PD_EXIT_ABORTED;
	case PD_MERGED_STOPPED:
		return PD_EXIT_MERGE_STOPPED;
	}
	return PD_EXIT_FAILED;
}

const char *pd_merge_branch(const pd_merge *mg)
{
	return mg->s.branch;
}

const char *pd_merge_worktree(const pd_merge *mg)
{
	return mg->s.worktree;
}

int pd_merge_new(pd_merge **out, const pd_pktdir *pd, const pd_merge_options *o)
{
	pd_merge *mg;
	pd_lockinfo holder, stale;
	char id[40];
	int error;

	*out = NULL;
	if (!(mg = calloc(1, sizeof(*mg))))
		return pd_error_set(PD_ENOMEM, "out of memory");
	mg->pd = pd;
	mg->m = pd->manifest;
	mg->o = *o;
	mg->log_fd = -1;
	mg->s.track = -1;
	mg->resolved = -1;
	mg->order = pd_dag_order(pd->dag, &mg->norder);
	mg->builtin = !o->runner || !*o->runner || strcmp(o->runner, "builtin") == 0;
	mg->preset = mg->builtin ? NULL : pd_preset_find(o->runner);
	if (mg->preset && mg->preset->builtin)
		mg->builtin = true;
	memset(&holder, 0, sizeof(holder));
	memset(&stale, 0, sizeof(stale));
	if ((error = pd_git_init()) < 0)
		goto fail;
	error = PD_ENOMEM;
	if (!(mg->root = pd_manifest_root(mg->m)) ||
	    asprintf(&mg->state_dir, "%s/" PD_STATE_DIR, mg->m->dir) < 0 ||
	    !(mg->marks = calloc(mg->m->ntracks + 1, sizeof(*mg->marks)))) {
		pd_error_set(PD_ENOMEM, "out of memory");
		goto fail;
	}
	snprintf(id, sizeof(id), "merge-%ld", (long)getpid());
	if ((error = pd_run_lock_take(&mg->lock, mg->m->dir, id, &holder, &stale)) < 0)
		goto fail;
	if ((error = pd_merge_state_read(&mg->s, mg->m->dir)) < 0)
		goto fail;
	if (!mg->s.branch) {
		error = PD_ENOMEM;
		if (!(mg->s.branch = pd_merge_branch_name(mg->m->feature)) || !(mg->s.worktree = worktree_for(mg))) {
			pd_error_set(PD_ENOMEM, "out of memory");
			goto fail;
		}
	}
	if (!pd_git_branch_name_valid(mg->s.branch)) {
		error = pd_error_set(PD_EINVALID, "%s: feature %s gives the integration branch %s, which git refuses",
				     mg->m->path, mg->m->feature, mg->s.branch);
		goto fail;
	}
	{
		char p[4096];

		snprintf(p, sizeof(p), "%s/merge.log", mg->state_dir);
		mg->log_fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
	}
	pd_merge_log(mg, "packetdeck merge %s of %s",
	      o->action == PD_MERGE_START ? "started" : o->action == PD_MERGE_CONTINUE ? "continued" : "abort",
	      mg->m->feature);
	pd_lockinfo_clear(&holder);
	if (stale.pid) {
		char msg[600];

		notice(mg, "%s", pd_lock_takeover_text(&stale, "run lock", msg, sizeof(msg)));
	}
	pd_lockinfo_clear(&stale);
	*out = mg;
	return 0;
fail:
	pd_lockinfo_clear(&holder);
	pd_lockinfo_clear(&stale);
	pd_merge_free(mg);
	return error;
}

void pd_merge_free(pd_merge *mg)
{
	if (!mg)
		return;
	if (mg->run) {
		pd_gate_stop(mg->run, mg->o.grace_ms);
		pd_gate_free(mg->run);
	}
	pd_mg_close(mg->g);
	pd_lock_release(mg->lock);
	if (mg->log_fd >= 0)
		close(mg->log_fd);
	pd_merge_state_clear(&mg->s);
	free(mg->marks);
	free(mg->root);
	free(mg->state_dir);
	free(mg->message);
	free(mg);
}
