/* cli_status.c - `packetdeck status PACKET_DIR`: the seed's progress display.
 *
 *   ✓ Track 1: core-api (complete)
 *   → Track 3: tests (next)
 *     Track 4: documentation (blocked on 3)
 *   Completed: 2/4
 */
#include "cli.h"
#include "packetdeck/merge.h"
#include "packetdeck/snapshot.h"

#include <stdlib.h>

static const char help[] =
	"usage: packetdeck status [--json] [--ascii] PACKET_DIR\n"
	"\n"
	"Show each track's state, in execution order, read from the files in\n"
	"PACKET_DIR (completion markers are the truth; checkpoints, failure records\n"
	"and locks say the rest). Changes nothing.\n"
	"\n"
	"  ✓ complete   ▶ running elsewhere   ✗ failed   → next to run\n"
	"  ! corrupt completion marker, or one whose commit is not on the track's\n"
	"    branch in its repository (never counted as complete)\n"
	"  a marker whose status says the track is under way (\"in_progress\") is\n"
	"    shown as not complete: (next; not complete: its marker says ...)\n"
	"  \"Unverified: track 1, 2\": complete by markers whose commits could not be\n"
	"    checked (no repository found for them)\n"
	"  a blocked track names its root cause: (blocked on 3) or (blocked on 3 (failed))\n"
	"  while a run executes the dir: \"Run in progress: pid N on HOST since TIME\"\n"
	"\n"
	"  --json    one JSON document instead of lines\n"
	"  --ascii   + * x > ? instead of the symbols above\n"
	"\n"
	"exit status: 0 shown, 2 invalid packet dir or usage.\n";

typedef struct glyphs {
	const char *complete, *running, *failed, *next, *corrupt;
} glyphs;

static const glyphs unicode = {"✓", "▶", "✗", "→", "!"};
static const glyphs ascii = {"+", "*", "x", ">", "?"};

static void print_text(const pd_pktdir *pd, const pd_snapshot *s, const glyphs *g)
{
	size_t n, k;
	const size_t *order = pd_dag_order(pd->dag, &n);

	for (k = 0; k < n; k++) {
		size_t i = order[k];
		const pd_track *t = &pd->manifest->tracks[i];
		const pd_track_status *ts = &s->tracks[i];
		const pd_track_files *tf = ts->files;
		const pd_track_status *root = &s->tracks[ts->root];
		const char *glyph = " ";
		char lim[80];

		if (tf->marker.state == PD_FILE_CORRUPT)
			glyph = g->corrupt;
		else if (ts->state == PD_STATE_COMPLETE)
			glyph = g->complete;
		else if (ts->state == PD_STATE_RUNNING)
			glyph = g->running;
		else if (ts->state == PD_STATE_FAILED)
			glyph = g->failed;
		else if (i == s->next)
			glyph = g->next;
		printf("%s Track %ld: %s (", glyph, t->id, t->name);
		switch (ts->state) {
		case PD_STATE_COMPLETE:
			printf("complete");
			break;
		case PD_STATE_RUNNING:
			printf("running elsewhere, pid %ld", tf->lock.pid);
			break;
		case PD_STATE_FAILED:
			printf("failed%s%s: %s", tf->failure.task ? " at task " : "",
			       tf->failure.task ? tf->failure.task : "",
			       tf->failure.message ? tf->failure.message : "unreadable failure record");
			break;
		case PD_STATE_INTERRUPTED:
			printf("%sinterrupted after task %s", i == s->next ? "next, " : "",
			       tf->checkpoint.last_completed_task ? tf->checkpoint.last_completed_task
								  : "?");
			break;
		case PD_STATE_LIMITED:
			printf("%s%s", i == s->next && !s->run.held ? "next, " : "",
			       pd_limit_text(&tf->limit, lim, sizeof(lim)));
			break;
		case PD_STATE_READY:
			printf("%s", i == s->next ? "next" : "ready");
			break;
		case PD_STATE_BLOCKED:
			printf("blocked on %ld", pd->manifest->tracks[ts->root].id);
			if (root->state != PD_STATE_READY)
				printf(" (%s)", pd_state_name(root->state));
			break;
		}
		if (tf->marker.state == PD_FILE_CORRUPT)
			printf("; %s: %s", tf->marker.refused ? "completion marker not backed by the branch"
							       : "corrupt completion marker",
			       tf->marker.problem);
		else if (ts->state == PD_STATE_FAILED && tf->marker.state == PD_FILE_OK)
			printf("; its completion marker is refuted by that failure");
		else if (tf->marker.unfinished)
			printf("; not complete: its marker says status \"%s\"", tf->marker.unfinished);
		if (ts->state != PD_STATE_COMPLETE && tf->checkpoint.commit_problem)
			printf("; checkpoint: %s", tf->checkpoint.commit_problem);
		printf(")\n");
	}
	printf("Completed: %zu/%zu\n", s->completed, s->ntracks);
	/* the seed's lines stay as they are; what could not be checked is said after */
	for (n = 0, k = 0; k < s->ntracks; k++)
		if (s->tracks[k].state == PD_STATE_COMPLETE && s->tracks[k].files->marker.unverified)
			printf("%s%ld", n++ ? ", " : "Unverified: track ", pd->manifest->tracks[k].id);
	if (n)
		printf(" (no repository found to check %s in)\n",
		       n == 1 ? "its marker's commit" : "their markers' commits");
	if (s->run.held)
		printf("Run in progress: pid %ld on %s since %s\n", s->run.pid,
		       s->run.host ? s->run.host : "?", s->run.since ? s->run.since : "?");
}

static cJSON *file_json(pd_file_state state, const char *problem)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "state", state == PD_FILE_OK ? "ok" : "corrupt");
	if (problem)
		cJSON_AddStringToObject(o, "problem", problem);
	return o;
}

static void add_str(cJSON *o, const char *key, const char *value)
{
	if (value)
		cJSON_AddStringToObject(o, key, value);
	else
		cJSON_AddNullToObject(o, key);
}

static cJSON *track_json(const pd_pktdir *pd, const pd_snapshot *s, size_t i)
{
	const pd_track *t = &pd->manifest->tracks[i];
	const pd_track_status *ts = &s->tracks[i];
	const pd_track_files *tf = ts->files;
	cJSON *o = cJSON_CreateObject(), *deps = cJSON_AddArrayToObject(o, "depends_on"), *f;
	size_t j;

	cJSON_AddNumberToObject(o, "id", (double)t->id);
	cJSON_AddStringToObject(o, "name", t->name);
	cJSON_AddStringToObject(o, "state", pd_state_name(ts->state));
	cJSON_AddBoolToObject(o, "next", i == s->next);
	for (j = 0; j < t->ndeps; j++)
		cJSON_AddItemToArray(deps, cJSON_CreateNumber((double)t->depends_on[j]));
	if (ts->state == PD_STATE_BLOCKED) {
		cJSON_AddNumberToObject(o, "blocked_on", (double)pd->manifest->tracks[ts->root].id);
		cJSON_AddStringToObject(o, "blocked_on_state", pd_state_name(s->tracks[ts->root].state));
	}
	cJSON_AddStringToObject(o, "branch", t->branch);
	cJSON_AddStringToObject(o, "worktree", t->worktree_path);
	cJSON_AddNumberToObject(o, "tasks", (double)pd_pktdir_ntasks(pd, i));
	cJSON_AddNumberToObject(o, "tasks_done", (double)ts->tasks_done);
	if (tf->marker.state != PD_FILE_ABSENT) {
		f = file_json(tf->marker.state, tf->marker.problem);
		add_str(f, "commit", tf->marker.commit);
		add_str(f, "timestamp", tf->marker.timestamp);
		/* verified: its commit is on the branch; false: refused or refuted;
		 * null: no repository to look in */
		if (tf->marker.unverified)
			cJSON_AddNullToObject(f, "verified");
		else
			cJSON_AddBoolToObject(f, "verified", tf->marker.state == PD_FILE_OK &&
								     ts->state == PD_STATE_COMPLETE);
		cJSON_AddItemToObject(o, "marker", f);
	} else if (tf->marker.unfinished) {
		/* a marker that says the track is not complete: not counted */
		f = cJSON_AddObjectToObject(o, "marker");
		cJSON_AddStringToObject(f, "state", "not_complete");
		cJSON_AddStringToObject(f, "status", tf->marker.unfinished);
		add_str(f, "timestamp", tf->marker.timestamp);
	}
	if (tf->checkpoint.state != PD_FILE_ABSENT) {
		f = file_json(tf->checkpoint.state, tf->checkpoint.problem);
		add_str(f, "last_completed_task", tf->checkpoint.last_completed_task);
		add_str(f, "next_task", tf->checkpoint.next_task);
		add_str(f, "commit", tf->checkpoint.commit);
		add_str(f, "timestamp", tf->checkpoint.timestamp);
		if (tf->checkpoint.commit_problem)
			cJSON_AddStringToObject(f, "commit_problem", tf->checkpoint.commit_problem);
		cJSON_AddItemToObject(o, "checkpoint", f);
	}
	if (tf->failure.state != PD_FILE_ABSENT) {
		f = file_json(tf->failure.state, tf->failure.problem);
		add_str(f, "task", tf->failure.task);
		add_str(f, "message", tf->failure.message);
		if (tf->failure.hint)
			cJSON_AddStringToObject(f, "hint", tf->failure.hint);
		cJSON_AddNumberToObject(f, "exit_status", tf->failure.exit_status);
		add_str(f, "timestamp", tf->failure.timestamp);
		cJSON_AddItemToObject(o, "failure", f);
	}
	if (tf->limit.state != PD_FILE_ABSENT) {
		char when[21];

		f = file_json(tf->limit.state, tf->limit.problem);
		add_str(f, "resets_at", tf->limit.resets_at ? pd_timestamp(when, tf->limit.resets_at) : NULL);
		add_str(f, "message", tf->limit.message);
		add_str(f, "timestamp", tf->limit.timestamp);
		cJSON_AddItemToObject(o, "limit", f);
	}
	if (tf->lock.held) {
		f = cJSON_AddObjectToObject(o, "lock");
		cJSON_AddNumberToObject(f, "pid", (double)tf->lock.pid);
		add_str(f, "host", tf->lock.host);
		add_str(f, "since", tf->lock.since);
	}
	return o;
}

/* The merge's state (merge.json), after the tracks. */
/* `busy`: the run lock is held (a merge running now, or a run). */
static void print_merge(const pd_pktdir *pd, bool busy)
{
	const pd_manifest *m = pd->manifest;
	pd_merge_state ms;
	size_t i;

	if (pd_merge_state_read(&ms, m->dir) < 0) {
		printf("Merge: %s\n", pd_error_last());
		return;
	}
	switch (ms.phase) {
	case PD_MERGE_NONE:
		break;
	case PD_MERGE_CONFLICT:
		printf("Merge: stopped at a conflict merging track %ld into %s:", ms.track, ms.branch);
		for (i = 0; i < ms.nfiles; i++)
			printf(" %s", ms.files[i]);
		printf("\n  resolve them in %s, then: packetdeck merge --continue %s (or --abort)\n",
		       ms.worktree, m->dir);
		break;
	case PD_MERGE_MANUAL:
		printf("Merge: waiting for a manual merge into %s in %s, then: packetdeck merge "
		       "--continue %s\n", ms.branch, ms.worktree, m->dir);
		break;
	case PD_MERGE_QA_FAILED:
		printf("Merge: %s has every track; QA gate %s failed (.packetdeck/merge.log); "
		       "packetdeck merge --continue %s runs it again\n", ms.branch,
		       ms.gate < m->npost_merge_qa ? m->post_merge_qa[ms.gate] : "?", m->dir);
		break;
	case PD_MERGE_COMPLETED:
		printf("Merge: completed: %s in %s\n", ms.branch, ms.worktree);
		break;
	default:
		if (busy)
			printf("Merge: %s (%zu/%zu tracks merged) into %s, in progress\n",
			       pd_merge_phase_name(ms.phase), ms.merged, m->ntracks, ms.branch);
		else
			printf("Merge: %s (%zu/%zu tracks merged) into %s, stopped: packetdeck merge "
			       "--continue %s\n", pd_merge_phase_name(ms.phase), ms.merged, m->ntracks,
			       ms.branch, m->dir);
		break;
	}
	pd_merge_state_clear(&ms);
}

static void merge_json(cJSON *root, const pd_pktdir *pd)
{
	pd_merge_state ms;
	cJSON *o, *files;
	size_t i;

	if (pd_merge_state_read(&ms, pd->manifest->dir) < 0) {
		o = cJSON_AddObjectToObject(root, "merge");
		cJSON_AddStringToObject(o, "phase", "corrupt");
		cJSON_AddStringToObject(o, "problem", pd_error_last());
		return;
	}
	if (ms.phase == PD_MERGE_NONE) {
		cJSON_AddNullToObject(root, "merge");
		pd_merge_state_clear(&ms);
		return;
	}
	o = cJSON_AddObjectToObject(root, "merge");
	cJSON_AddStringToObject(o, "phase", pd_merge_phase_name(ms.phase));
	add_str(o, "branch", ms.branch);
	add_str(o, "worktree", ms.worktree);
	cJSON_AddNumberToObject(o, "merged", (double)ms.merged);
	if (ms.track >= 0)
		cJSON_AddNumberToObject(o, "track", (double)ms.track);
	files = cJSON_AddArrayToObject(o, "conflicts");
	for (i = 0; i < ms.nfiles; i++)
		cJSON_AddItemToArray(files, cJSON_CreateString(ms.files[i]));
	if (ms.phase == PD_MERGE_QA || ms.phase == PD_MERGE_QA_FAILED)
		add_str(o, "gate", ms.gate < pd->manifest->npost_merge_qa ? pd->manifest->post_merge_qa[ms.gate] : NULL);
	add_str(o, "started", ms.started);
	pd_merge_state_clear(&ms);
}

static int print_json(const pd_pktdir *pd, const pd_snapshot *s)
{
	cJSON *root = cJSON_CreateObject(), *tracks;
	size_t n, k;
	const size_t *order = pd_dag_order(pd->dag, &n);

	cJSON_AddStringToObject(root, "feature", pd->manifest->feature);
	cJSON_AddStringToObject(root, "packet_dir", pd->manifest->dir_real);
	cJSON_AddNumberToObject(root, "completed", (double)s->completed);
	cJSON_AddNumberToObject(root, "total", (double)s->ntracks);
	if (s->next != PD_NO_TRACK)
		cJSON_AddNumberToObject(root, "next", (double)pd->manifest->tracks[s->next].id);
	else
		cJSON_AddNullToObject(root, "next");
	if (s->run.held) {
		cJSON *run = cJSON_AddObjectToObject(root, "run");

		cJSON_AddNumberToObject(run, "pid", (double)s->run.pid);
		add_str(run, "host", s->run.host);
		add_str(run, "since", s->run.since);
	} else {
		cJSON_AddNullToObject(root, "run");
	}
	merge_json(root, pd);
	tracks = cJSON_AddArrayToObject(root, "tracks");
	for (k = 0; k < n; k++)
		cJSON_AddItemToArray(tracks, track_json(pd, s, order[k]));
	return cli_print_json(root);
}

int cli_status(int argc, char **argv)
{
	bool json = false, use_ascii = false;
	const cli_opt opts[] = {{"--json", &json, NULL}, {"--ascii", &use_ascii, NULL}, {NULL, NULL, NULL}};
	const char *dir;
	pd_pktdir *pd = NULL;
	pd_snapshot *s = NULL;
	int status = PD_EXIT_OK;

	if (!cli_parse(argc, argv, "status", opts, help, &dir, &status))
		return status;
	if (!cli_load(&pd, dir, &status))
		return status;
	if (pd_snapshot_take(&s, pd) < 0) {
		fprintf(stderr, "packetdeck: %s\n", pd_error_last());
		pd_pktdir_free(pd);
		return PD_EXIT_USAGE;
	}
	if (json)
		status = print_json(pd, s);
	else {
		print_text(pd, s, use_ascii ? &ascii : &unicode);
		print_merge(pd, s->run.held);
	}
	pd_snapshot_free(s);
	pd_pktdir_free(pd);
	return status;
}
