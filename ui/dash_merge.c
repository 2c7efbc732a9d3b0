/* dash_merge.c - `m` after a completed run: the merge (merge.h) in place.
 *
 * The merge runs inside the dashboard's loop, a step at a time, and shows
 * as a card: a line per track (waiting, merged, up to date, conflict) and
 * per gate (waiting, running, passed, skipped, failed), the gate's last
 * line of output, and at the end what happened. A conflict lists its files
 * with [c]ontinue (after resolving them in another terminal) and [a]bort;
 * a failed gate its last lines with the same two. The card can be closed
 * and brought back with `m` while the merge runs or waits for the user.
 */
#define _GNU_SOURCE
#include "dash_int.h"
#include "packetdeck/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN_FILES 8

struct dash_merge {
	pd_merge *mg;
	pd_merge_action action;
	bool running;
	size_t ntracks, ngates;
	char (*track_text)[160];  /* by position in the execution order */
	ui_style *track_style;
	char (*gate_text)[160];   /* by post_merge_qa index */
	ui_style *gate_style;
	char last[200];           /* the running gate's last line */
	char **files;             /* the conflict's files */
	size_t nfiles;
	char *branch, *worktree, *message, *problem;
	pd_merge_outcome outcome;
};

static const char *glyph(const dash *d, char what)
{
	switch (what) {
	case 'y': return d->o.ascii ? "+" : "\u2713";
	case 'n': return d->o.ascii ? "x" : "\u2717";
	case 'r': return d->o.ascii ? ">" : "\u25b8";
	case 's': return d->o.ascii ? "-" : "\u2013";
	default: return d->o.ascii ? "." : "\u00b7";
	}
}

static void files_free(dash_merge *dm)
{
	size_t i;

	for (i = 0; i < dm->nfiles; i++)
		free(dm->files[i]);
	free(dm->files);
	dm->files = NULL;
	dm->nfiles = 0;
}

void dash_merge_free(dash *d)
{
	dash_merge *dm = d->merge;

	if (!dm)
		return;
	pd_merge_free(dm->mg); /* a running gate is stopped; merge.json says where */
	files_free(dm);
	free(dm->track_text);
	free(dm->track_style);
	free(dm->gate_text);
	free(dm->gate_style);
	free(dm->branch);
	free(dm->worktree);
	free(dm->message);
	free(dm->problem);
	free(dm);
	d->merge = NULL;
}

static size_t position_of(const dash *d, long id)
{
	long i = pd_dag_find(d->pd->dag, id);

	return i >= 0 ? pd_dag_position(d->pd->dag, (size_t)i) : (size_t)-1;
}

static size_t gate_index(const dash *d, const char *gate)
{
	const pd_manifest *m = d->pd->manifest;
	size_t i;

	for (i = 0; gate && i < m->npost_merge_qa; i++)
		if (strcmp(m->post_merge_qa[i], gate) == 0)
			return i;
	return (size_t)-1;
}

static void set_track(dash *d, long id, ui_style s, const char *g, const char *fmt, const char *what)
{
	dash_merge *dm = d->merge;
	size_t k = position_of(d, id);
	long i = pd_dag_find(d->pd->dag, id);

	if (k >= dm->ntracks || i < 0)
		return;
	snprintf(dm->track_text[k], sizeof(dm->track_text[k]), "%s track %ld (%.40s) %s%s", g, id,
		 d->pd->manifest->tracks[i].name, fmt, what ? what : "");
	dm->track_style[k] = s;
}

static void set_gate(dash *d, const char *gate, ui_style s, const char *g, const char *state,
		     const char *why)
{
	dash_merge *dm = d->merge;
	size_t k = gate_index(d, gate);

	if (k >= dm->ngates)
		return;
	snprintf(dm->gate_text[k], sizeof(dm->gate_text[k]), "%s gate %.60s: %s%s%.60s", g, gate, state,
		 why ? " · " : "", why ? why : "");
	dm->gate_style[k] = s;
}

/* The card, from the merge's lines. */
void dash_merge_card(dash *d)
{
	dash_merge *dm = d->merge;
	ui_dialog *g = &d->dlg;
	char title[128];
	size_t k;

	if (!dm)
		return;
	snprintf(title, sizeof(title), "merge %s %.90s", d->o.ascii ? "->" : "\u2192",
		 dm->branch ? dm->branch : "");
	ui_dialog_open(g, UI_DLG_MERGE, title);
	g->width = 76;
	if (dm->problem) {
		ui_dialog_wrap(g, UI_FAILED, dm->problem, 70, 4);
		ui_dialog_choice(g, 'x', "close (Esc)", CH_CLOSE);
		return;
	}
	for (k = 0; k < dm->ntracks; k++)
		ui_dialog_line(g, dm->track_style[k], "%s", dm->track_text[k]);
	for (k = 0; k < dm->ngates; k++)
		ui_dialog_line(g, dm->gate_style[k], "%s", dm->gate_text[k]);
	if (dm->running) {
		if (dm->last[0])
			ui_dialog_line(g, UI_DIM, "  %s", dm->last);
		ui_dialog_line(g, UI_DIM, "merging in %s", dm->worktree ? dm->worktree : "?");
		ui_dialog_choice(g, 'x', "hide (m shows it)", CH_CLOSE);
		return;
	}
	switch (dm->outcome) {
	case PD_MERGED_OK:
		if (dm->action == PD_MERGE_ABORT) {
			ui_dialog_line(g, UI_NORMAL, "Aborted: the integration branch and worktree are as before.");
		} else {
			ui_dialog_line(g, UI_COMPLETE, "Merged into %s", dm->branch);
			ui_dialog_line(g, UI_NORMAL, "in %s", dm->worktree);
			ui_dialog_line(g, UI_DIM, "Next: review it, open a pull request, or merge it into main.");
			ui_dialog_line(g, UI_DIM, "The track worktrees and branches are kept.");
		}
		ui_dialog_choice(g, 'x', "close (Esc)", CH_CLOSE);
		ui_dialog_choice(g, 'q', "[q]uit", CH_QUIT);
		return;
	case PD_MERGED_STOPPED:
		if (dm->nfiles) {
			ui_dialog_line(g, UI_FAILED, "Conflicted files:");
			for (k = 0; k < dm->nfiles && k < SHOWN_FILES; k++)
				ui_dialog_line(g, UI_NORMAL, "  %s", dm->files[k]);
			if (dm->nfiles > SHOWN_FILES)
				ui_dialog_line(g, UI_DIM, "  and %zu more", dm->nfiles - SHOWN_FILES);
			ui_dialog_line(g, UI_DIM, "Resolve them in %s (another terminal),", dm->worktree);
			ui_dialog_line(g, UI_DIM, "`git add` them, then continue.");
		} else if (dm->message) {
			ui_dialog_wrap(g, UI_NORMAL, dm->message, 70, 4);
		}
		ui_dialog_choice(g, 'c', "[c]ontinue", CH_MERGE_CONTINUE);
		ui_dialog_choice(g, 'a', "[a]bort", CH_MERGE_ABORT);
		ui_dialog_choice(g, 'x', "close (Esc)", CH_CLOSE);
		return;
	default:
		if (dm->message)
			ui_dialog_wrap(g, UI_FAILED, dm->message, 70, 12);
		if (dm->outcome == PD_MERGED_QA_FAILED || dm->outcome == PD_MERGED_INTERRUPTED ||
		    dm->outcome == PD_MERGED_ERROR)
			ui_dialog_choice(g, 'c', "[c]ontinue", CH_MERGE_CONTINUE);
		if (dm->outcome != PD_MERGED_INCOMPLETE && dm->outcome != PD_MERGED_REFUSED)
			ui_dialog_choice(g, 'a', "[a]bort", CH_MERGE_ABORT);
		if (dm->outcome == PD_MERGED_REFUSED)
			ui_dialog_choice(g, 'c', "[c]ontinue", CH_MERGE_CONTINUE);
		ui_dialog_choice(g, 'x', "close (Esc)", CH_CLOSE);
		return;
	}
}

static void on_merge_event(void *ctx, const pd_event *e)
{
	dash *d = ctx;
	dash_merge *dm = d->merge;
	char commit[16];
	size_t i;

	if (!dm)
		return;
	snprintf(commit, sizeof(commit), "%.12s", e->commit ? e->commit : "");
	switch (e->type) {
	case PD_EV_MERGE_STARTED:
		free(dm->branch);
		free(dm->worktree);
		dm->branch = e->branch ? strdup(e->branch) : NULL;
		dm->worktree = e->path ? strdup(e->path) : NULL;
		break;
	case PD_EV_TRACK_INCOMPLETE:
		set_track(d, e->track, UI_FAILED, glyph(d, 'n'), "not complete: ", e->reason);
		break;
	case PD_EV_TRACK_MERGED:
		set_track(d, e->track, e->reason ? UI_DIM : UI_COMPLETE, glyph(d, 'y'),
			  e->reason ? "up to date " : "merged ", commit);
		break;
	case PD_EV_MERGE_CONFLICT:
		set_track(d, e->track, UI_FAILED, glyph(d, 'n'), "conflict", NULL);
		files_free(dm);
		if ((dm->files = calloc(e->nfiles + 1, sizeof(*dm->files))))
			for (i = 0; i < e->nfiles; i++)
				if ((dm->files[dm->nfiles] = strdup(e->files[i])))
					dm->nfiles++;
		break;
	case PD_EV_QA_STARTED:
		set_gate(d, e->gate, UI_RUNNING, glyph(d, 'r'), "running", NULL);
		dm->last[0] = '\0';
		break;
	case PD_EV_QA_OUTPUT:
		snprintf(dm->last, sizeof(dm->last), "%s", e->message ? e->message : "");
		break;
	case PD_EV_QA_PASSED:
		set_gate(d, e->gate, UI_COMPLETE, glyph(d, 'y'), "passed", NULL);
		break;
	case PD_EV_QA_SKIPPED:
		/* the card is narrow: the reason in short */
		set_gate(d, e->gate, UI_DIM, glyph(d, 's'), "skipped",
			 e->reason && strncmp(e->reason, "an agent skill", 14) == 0
				 ? "needs an agent runner (--runner claude or codex)"
				 : e->reason);
		break;
	case PD_EV_QA_FAILED:
		set_gate(d, e->gate, UI_FAILED, glyph(d, 'n'), "failed", NULL);
		break;
	default:
		break;
	}
	if (d->dlg.kind == UI_DLG_MERGE)
		dash_merge_card(d);
	d->dirty = true;
}

static int lines_init(dash *d, dash_merge *dm)
{
	const pd_manifest *m = d->pd->manifest;
	size_t n, k;
	const size_t *order = pd_dag_order(d->pd->dag, &n);

	dm->ntracks = n;
	dm->ngates = m->npost_merge_qa;
	if (!(dm->track_text = calloc(n + 1, sizeof(*dm->track_text))) ||
	    !(dm->track_style = calloc(n + 1, sizeof(*dm->track_style))) ||
	    !(dm->gate_text = calloc(dm->ngates + 1, sizeof(*dm->gate_text))) ||
	    !(dm->gate_style = calloc(dm->ngates + 1, sizeof(*dm->gate_style))))
		return -1;
	for (k = 0; k < n; k++) {
		const pd_track *t = &m->tracks[order[k]];

		snprintf(dm->track_text[k], sizeof(dm->track_text[k]), "%s track %ld (%.40s)", glyph(d, '.'),
			 t->id, t->name);
		dm->track_style[k] = UI_DIM;
	}
	for (k = 0; k < dm->ngates; k++) {
		snprintf(dm->gate_text[k], sizeof(dm->gate_text[k]), "%s gate %.60s", glyph(d, '.'),
			 m->post_merge_qa[k]);
		dm->gate_style[k] = UI_DIM;
	}
	return 0;
}

void dash_merge_start(dash *d, pd_merge_action action)
{
	pd_merge_options mo = {0};
	dash_merge *dm;
	int error;

	if (d->merge && d->merge->running)
		return;
	dash_merge_free(d);
	if (!(dm = calloc(1, sizeof(*dm))) || (d->merge = dm, lines_init(d, dm) < 0)) {
		dash_merge_free(d);
		free(d->m.notice);
		d->m.notice = strdup("out of memory");
		return;
	}
	if (d->e)
		pd_engine_release(d->e); /* the run is over: the merge takes the run lock */
	dm->action = action;
	mo.action = action;
	mo.runner = d->o.engine.runner;
	mo.self_exe = d->o.engine.self_exe;
	mo.grace_ms = d->o.engine.grace_ms;
	mo.on_event = on_merge_event;
	mo.ctx = d;
	if ((error = pd_merge_new(&dm->mg, d->pd, &mo)) < 0) {
		dm->problem = strdup(pd_error_last());
		dm->outcome = PD_MERGED_REFUSED;
		d->status = error == PD_ELOCKED ? PD_EXIT_LOCKED : PD_EXIT_USAGE;
	} else {
		dm->running = true;
		d->m.phase = action == PD_MERGE_ABORT ? "aborting the merge" : "merging";
	}
	dash_merge_card(d);
	d->dirty = true;
}

int dash_merge_pollfd(const dash *d, bool *now)
{
	int fd;

	*now = false;
	if (!d->merge || !d->merge->running)
		return -1;
	fd = pd_merge_pollfd(d->merge->mg);
	*now = fd < 0;
	return fd;
}

bool dash_merge_running(const dash *d)
{
	return d->merge && d->merge->running;
}

void dash_merge_step(dash *d)
{
	dash_merge *dm = d->merge;
	const char *msg = NULL;

	if (!dm || !dm->running || !pd_merge_step(dm->mg))
		return;
	dm->running = false;
	dm->outcome = pd_merge_outcome_of(dm->mg, &msg);
	free(dm->message);
	dm->message = msg ? strdup(msg) : NULL;
	d->status = pd_merge_exit_status(dm->mg);
	switch (dm->outcome) {
	case PD_MERGED_OK: d->m.phase = dm->action == PD_MERGE_ABORT ? "merge aborted" : "merged"; break;
	case PD_MERGED_STOPPED: d->m.phase = "merge stopped"; break;
	default: d->m.phase = "merge failed"; break;
	}
	/* done with git: the run lock goes, so that a shell can go on */
	pd_merge_free(dm->mg);
	dm->mg = NULL;
	dash_merge_card(d);
	d->dirty = true;
}

void dash_merge_interrupt(dash *d, const char *why)
{
	if (d->merge && d->merge->running) {
		pd_merge_interrupt(d->merge->mg, why);
		dash_merge_step(d);
	}
}

/* `m`: the card again while a merge is on; else a new merge once the run
 * has completed. */
void dash_merge_key(dash *d)
{
	if (d->merge && (d->merge->running || d->merge->outcome != PD_MERGED_OK)) {
		dash_merge_card(d);
	} else if (d->e && pd_engine_ask(d->e) == PD_ASK_DONE && pd_engine_exit_status(d->e) == PD_EXIT_OK) {
		dash_merge_start(d, PD_MERGE_START);
	} else {
		free(d->m.notice);
		d->m.notice = strdup(d->m.watch ? "watching: read-only (packetdeck merge DIR merges)"
						: "merge: once every track has completed");
	}
	d->dirty = true;
}

/* After the terminal is restored: where the merge stands, on stdout. */
void dash_merge_closing(const dash *d)
{
	const dash_merge *dm = d->merge;

	if (!dm)
		return;
	if (dm->problem)
		printf("Merge: %s\n", dm->problem);
	else if (dm->outcome == PD_MERGED_OK && dm->action != PD_MERGE_ABORT)
		printf("Merged into %s (worktree %s)\n", dm->branch ? dm->branch : "?",
		       dm->worktree ? dm->worktree : "?");
	else if (dm->outcome == PD_MERGED_OK)
		printf("Merge aborted\n");
	else
		printf("Merge stopped: %s\n", dm->message ? dm->message : "see packetdeck status");
}
