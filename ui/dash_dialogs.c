/* dash_dialogs.c - what each dialog of the dashboard says and what its
 * choices do: blocked (wait/abort, with countdowns; it closes by itself
 * when the marker appears), handoff (continue/stop, continuing by itself
 * after a timeout), usage limit (wait/abort, counting down to the next
 * try; it closes when the track starts again), failure card, resume menu, quit confirmation, help
 * (from the key table), find. The answers go to the engine. */
#define _GNU_SOURCE
#include "dash_int.h"
#include "../src/clock.h"
#include "keys.h"
#include "logtail.h"
#include "packetdeck/activity.h"
#include "packetdeck/state.h"

#include <stdlib.h>
#include <string.h>

static const pd_track *track_by_id(const dash *d, long id)
{
	long i = pd_dag_find(d->pd->dag, id);

	return i >= 0 ? &d->pd->manifest->tracks[i] : NULL;
}

static void waiting_lines(dash *d)
{
	long next, deadline;
	char a[16], b[16];

	if (!d->e || !pd_engine_waiting(d->e, &next, &deadline))
		return;
	ui_dialog_drop_last(&d->dlg, "waiting"); /* the countdown is always the last line */
	ui_dialog_line(&d->dlg, UI_RUNNING, "waiting: next look in %s · gives up in %s",
		       ui_duration(a, (next + 999) / 1000), ui_duration(b, (deadline + 999) / 1000));
}

void dash_ask_blocked(dash *d)
{
	const long *ids;
	size_t n, i;
	long who = pd_engine_blocked_on(d->e, &ids, &n);
	const pd_track *t = track_by_id(d, who);

	ui_dialog_open(&d->dlg, UI_DLG_BLOCKED, "blocked");
	if (n == 1 && ids[0] == who) {
		ui_dialog_line(&d->dlg, UI_NORMAL, "Track %ld (%s) is being executed elsewhere", who,
			       t ? t->name : "?");
		ui_dialog_line(&d->dlg, UI_DIM, "(its lock is held by another live process)");
	} else {
		ui_dialog_line(&d->dlg, UI_NORMAL, "Track %ld (%s) cannot start: missing markers of", who,
			       t ? t->name : "?");
		for (i = 0; i < n && i < 8; i++) {
			const pd_track *dep = track_by_id(d, ids[i]);

			ui_dialog_line(&d->dlg, UI_BLOCKED, "  track %ld (%s): track-%ld.completion.json", ids[i],
				       dep ? dep->name : "?", ids[i]);
		}
		if (n > 8)
			ui_dialog_line(&d->dlg, UI_DIM, "  and %zu more", n - 8);
	}
	ui_dialog_line(&d->dlg, UI_DIM, "Wait: until %s (looks every %us, at most %us)",
		       n == 1 && ids[0] == who ? "its marker appears or its lock is released"
					       : "their markers appear",
		       d->eo.poll_s, d->eo.wait_timeout_s);
	ui_dialog_choice(&d->dlg, 'w', "[w]ait", CH_WAIT);
	ui_dialog_choice(&d->dlg, 'a', "[a]bort", CH_ABORT);
}

void dash_ask_handoff(dash *d)
{
	size_t k = pd_engine_track(d->e);
	const pd_track *t = &d->pd->manifest->tracks[k];

	ui_dialog_open(&d->dlg, UI_DLG_HANDOFF, "handoff");
	ui_dialog_line(&d->dlg, UI_COMPLETE, "Track %ld (%s) complete. Completed: %zu/%zu", t->id, t->name,
		       d->m.snap->completed, d->m.snap->ntracks);
	ui_dialog_line(&d->dlg, UI_NORMAL, "Suggested: /handoff before the next track, to start it");
	ui_dialog_line(&d->dlg, UI_NORMAL, "with a fresh context. Stop writes .packetdeck/handoff.md.");
	ui_dialog_choice(&d->dlg, 'c', "[c]ontinue", CH_CONTINUE);
	ui_dialog_choice(&d->dlg, 's', "[s]top for handoff", CH_STOP);
	d->handoff_deadline = d->o.handoff_timeout_s ? pd_now_ms() + (long)d->o.handoff_timeout_s * 1000 : 0;
	dash_dialog_tick(d);
}

/* The limit's countdown, always the last line. */
static void limit_lines(dash *d)
{
	pd_engine_limit_info li;
	char a[16];

	if (!d->e || !pd_engine_limit(d->e, &li))
		return;
	ui_dialog_drop_last(&d->dlg, "starts again");
	ui_dialog_line(&d->dlg, UI_RUNNING, "starts again from its checkpoint in %s",
		       ui_duration(a, (li.next_try_ms + 999) / 1000));
}

void dash_show_limited(dash *d)
{
	pd_engine_limit_info li;
	const pd_track *t;
	char when[48];
	struct tm tm;

	if (!d->e || !pd_engine_limit(d->e, &li))
		return;
	t = track_by_id(d, li.track);
	d->limit_seen = li.tries;
	ui_dialog_open(&d->dlg, UI_DLG_LIMITED, "usage limit");
	ui_dialog_line(&d->dlg, UI_BLOCKED, "Track %ld (%s): its agent hit a usage limit", li.track,
		       t ? t->name : "?");
	ui_dialog_wrap(&d->dlg, UI_NORMAL, li.message, 60, 3);
	if (li.resets_at && localtime_r(&li.resets_at, &tm)) {
		strftime(when, sizeof(when), "%a %H:%M %Z", &tm);
		ui_dialog_line(&d->dlg, UI_DIM, "It resets %s; the run waits, then the track goes on.", when);
	} else {
		ui_dialog_line(&d->dlg, UI_DIM, "No reset time given: tried again every %us, for at most %us.",
			       d->eo.poll_s, d->eo.wait_timeout_s);
	}
	ui_dialog_choice(&d->dlg, 'w', "[w]ait", CH_WAIT);
	ui_dialog_choice(&d->dlg, 'a', "[a]bort", CH_ABORT);
	d->dlg.width = 66;
	limit_lines(d);
}

void dash_show_failure(dash *d)
{
	size_t k = pd_engine_track(d->e);
	const pd_track *t = &d->pd->manifest->tracks[k];
	char *log = pd_state_file(d->pd->manifest->dir, t->id, "log");
	const char *task = pd_engine_failure_task(d->e), *hint = pd_engine_failure_hint(d->e);
	ui_lines lines = {0};

	ui_model_select(&d->m, k);
	ui_dialog_open(&d->dlg, UI_DLG_FAILURE, "track failed");
	ui_dialog_line(&d->dlg, UI_FAILED, "Track %ld (%s) failed%s%s", t->id, t->name, *task ? " at task " : "",
		       task);
	ui_dialog_wrap(&d->dlg, UI_NORMAL, pd_engine_failure(d->e), 68, *hint ? 5 : 3);
	if (*hint) {
		char *text = NULL;

		if (asprintf(&text, "What to do: %s", hint) > 0)
			ui_dialog_wrap(&d->dlg, UI_TITLE, text, 68, 3);
		free(text);
	}
	ui_dialog_line(&d->dlg, UI_DIM, "No later track was started. Last lines of the log:");
	/* an agent's stream as its readable lines, read far enough back */
	if (log && ui_log_tail(&lines, log, 0, 200) == 0) {
		pd_readable *rl = NULL;
		size_t nrl = 0, j, want = *hint ? 3 : 6;

		if (pd_activity_render((const char *const *)lines.line, (size_t)lines.n, d->m.ascii, &rl, &nrl,
				       NULL) == 0)
			for (j = nrl > want ? nrl - want : 0; j < nrl; j++)
				ui_dialog_line(&d->dlg, UI_DIM, "  %.100s", rl[j].text);
		pd_readable_free(rl, nrl);
	}
	ui_lines_free(&lines);
	free(log);
	d->dlg.width = 72;
	ui_dialog_choice(&d->dlg, 'r', "[r]esume from checkpoint", CH_RESUME);
	ui_dialog_choice(&d->dlg, 's', "re[s]tart track", CH_RESTART);
	ui_dialog_choice(&d->dlg, 'l', "[l]og", CH_LOG);
	ui_dialog_choice(&d->dlg, 'q', "[q]uit", CH_QUIT);
}

/* Failed and interrupted tracks, in execution order, into the menu. */
static size_t resumable[UI_DLG_MAX_LINES];

bool dash_resume_menu(dash *d)
{
	size_t k;
	int n = 0;

	if (d->e && pd_engine_ask(d->e) != PD_ASK_DONE)
		return false; /* a run is under way: it decides */
	dash_stale(d, PD_NO_TRACK); /* what failed is read now, not at the next event */
	dash_fresh(d);
	ui_dialog_open(&d->dlg, UI_DLG_RESUME, "resume");
	for (k = 0; k < d->m.norder && n < UI_DLG_MAX_LINES; k++) {
		size_t i = d->m.order[k];
		const pd_track_status *ts = &d->m.snap->tracks[i];
		const pd_track_files *tf = ts->files;
		const pd_track *t = &d->pd->manifest->tracks[i];

		if (ts->state != PD_STATE_FAILED && ts->state != PD_STATE_INTERRUPTED)
			continue;
		resumable[n++] = i;
		ui_dialog_item(&d->dlg, "%s track %ld %-14.14s %s %-6s %s%.40s",
			       ui_state_glyph(ts->state, d->m.ascii), t->id, t->name,
			       tf->checkpoint.state == PD_FILE_OK ? "after" : "from",
			       tf->checkpoint.state == PD_FILE_OK ? tf->checkpoint.last_completed_task : "start",
			       ts->state == PD_STATE_FAILED && tf->failure.state == PD_FILE_OK ? "· " : "",
			       ts->state == PD_STATE_FAILED && tf->failure.state == PD_FILE_OK
				       ? tf->failure.message : "");
	}
	if (n == 0) {
		ui_dialog_close(&d->dlg);
		return false;
	}
	ui_dialog_line(&d->dlg, UI_NORMAL, "Failed or interrupted tracks (j/k, Enter resumes):");
	ui_dialog_choice(&d->dlg, 'r', "[r]esume from checkpoint", CH_RESUME);
	ui_dialog_choice(&d->dlg, 's', "re[s]tart track", CH_RESTART);
	ui_dialog_choice(&d->dlg, 'q', "[q]uit", CH_QUIT);
	d->dlg.width = 72;
	return true;
}

void dash_show_help(dash *d)
{
	const ui_key *k;

	ui_dialog_open(&d->dlg, UI_DLG_HELP, "keys");
	for (k = ui_keys(); k->action != UI_ACT_NONE; k++)
		ui_dialog_line(&d->dlg, UI_NORMAL, "%-11s %s", k->names, k->what);
	ui_dialog_line(&d->dlg, UI_DIM, "mouse: click a track, a choice, or the output pane");
	ui_dialog_choice(&d->dlg, 'x', "close (Esc)", CH_CLOSE);
}

/* What quitting now exits with: the merge's status once one was made. */
static int quit_status(const dash *d)
{
	return d->merge ? d->status : d->e ? pd_engine_exit_status(d->e) : 0;
}

void dash_ask_quit(dash *d)
{
	bool merging = dash_merge_running(d);
	if ((!d->e || pd_engine_ask(d->e) == PD_ASK_DONE) && !merging) {
		dash_quit(d, quit_status(d));
		return;
	}
	ui_dialog_open(&d->dlg, UI_DLG_QUIT, "quit");
	if (merging)
		ui_dialog_line(&d->dlg, UI_NORMAL, "The merge is running: quitting stops it");
	else if (pd_engine_running(d->e))
		ui_dialog_line(&d->dlg, UI_NORMAL, "Track %ld is running: quitting stops its runner",
			       d->pd->manifest->tracks[pd_engine_track(d->e)].id);
	else
		ui_dialog_line(&d->dlg, UI_NORMAL, "The run is not finished: quit?");
	ui_dialog_line(&d->dlg, UI_DIM, merging ? "(packetdeck merge --continue DIR goes on from there)"
					       : "(resumable: run again, with --resume to continue the track)");
	ui_dialog_choice(&d->dlg, 'y', "[y]es, quit", CH_YES);
	ui_dialog_choice(&d->dlg, 'n', "[n]o", CH_NO);
	d->dlg.hi = 1;
}

void dash_dialog_tick(dash *d)
{
	long now = pd_now_ms();

	if (d->dlg.kind == UI_DLG_BLOCKED) {
		if (d->e && pd_engine_ask(d->e) != PD_ASK_BLOCKED && !pd_engine_waiting(d->e, &now, &now)) {
			ui_dialog_close(&d->dlg); /* resolved: the marker appeared, or it gave up */
		} else {
			waiting_lines(d);
		}
		d->dirty = true;
	} else if (d->dlg.kind == UI_DLG_LIMITED) {
		pd_engine_limit_info li;

		if (!d->e || !pd_engine_limit(d->e, &li))
			ui_dialog_close(&d->dlg); /* it starts again, or the run ended */
		else
			limit_lines(d);
		d->dirty = true;
	} else if (d->dlg.kind == UI_DLG_HANDOFF && d->handoff_deadline) {
		if (now >= d->handoff_deadline) {
			dash_dialog_choose(d, CH_CONTINUE);
		} else {
			char left[16];

			ui_dialog_drop_last(&d->dlg, "continuing");
			ui_dialog_line(&d->dlg, UI_DIM, "continuing by itself in %s",
				       ui_duration(left, (d->handoff_deadline - now + 999) / 1000));
		}
		d->dirty = true;
	}
}

void dash_dialog_choose(dash *d, int choice)
{
	size_t item = d->dlg.nitems ? resumable[d->dlg.item] : PD_NO_TRACK;

	d->dirty = true;
	switch (choice) {
	case CH_WAIT:
		if (d->dlg.kind == UI_DLG_LIMITED)
			break; /* it waits anyway: the header keeps the count */
		pd_engine_answer(d->e, PD_ANSWER_WAIT);
		while (d->dlg.nchoices && d->dlg.choices[0].id == CH_WAIT) /* only abort is left */
			memmove(d->dlg.choices, d->dlg.choices + 1, sizeof(ui_choice) * (size_t)--d->dlg.nchoices);
		d->dlg.hi = 0;
		waiting_lines(d);
		return;
	case CH_ABORT:
		if (pd_engine_ask(d->e) == PD_ASK_BLOCKED || d->dlg.kind == UI_DLG_LIMITED)
			pd_engine_answer(d->e, PD_ANSWER_ABORT);
		else
			pd_engine_interrupt(d->e, "aborted while waiting");
		break;
	case CH_CONTINUE:
	case CH_STOP:
		d->handoff_deadline = 0;
		pd_engine_answer(d->e, choice == CH_STOP ? PD_ANSWER_STOP : PD_ANSWER_CONTINUE);
		break;
	case CH_RESUME:
	case CH_RESTART:
		ui_dialog_close(&d->dlg);
		if (item != PD_NO_TRACK)
			ui_model_select(&d->m, item);
		if (dash_engine_start(d, true, choice == CH_RESTART
					       ? d->pd->manifest->tracks[item != PD_NO_TRACK ? item : pd_engine_track(d->e)].id
					       : -1) < 0)
			dash_quit(d, d->status);
		return;
	case CH_LOG:
		dash_open_log(d);
		return; /* the card stays */
	case CH_QUIT:
		dash_quit(d, quit_status(d));
		break;
	case CH_MERGE_CONTINUE:
	case CH_MERGE_ABORT:
		ui_dialog_close(&d->dlg);
		dash_merge_start(d, choice == CH_MERGE_ABORT ? PD_MERGE_ABORT : PD_MERGE_CONTINUE);
		return;
	case CH_YES:
		dash_merge_interrupt(d, "stopped from the dashboard");
		if (d->e)
			pd_engine_interrupt(d->e, "stopped from the dashboard");
		dash_quit(d, PD_EXIT_ABORTED);
		break;
	default:
		break;
	}
	ui_dialog_close(&d->dlg);
}

void dash_dialog_key(dash *d, int key, int action)
{
	ui_dialog *g = &d->dlg;
	int c;

	if (g->kind == UI_DLG_FIND) {
		size_t n = strlen(g->input);

		if (action == UI_ACT_ESCAPE) {
			ui_dialog_close(g);
		} else if (action == UI_ACT_ENTER) {
			free(d->m.filter);
			d->m.filter = strdup(g->input);
			if (!ui_model_find(&d->m, g->input)) {
				free(d->m.notice);
				d->m.notice = strdup("no match");
			}
			ui_dialog_close(g);
		} else if ((key == 127 || key == 8 || key == 263 /* KEY_BACKSPACE */) && n) {
			g->input[n - 1] = '\0';
		} else if (key >= 0x20 && key < 0x7f && n + 1 < sizeof(g->input)) {
			g->input[n] = (char)key;
			g->input[n + 1] = '\0';
		}
		return;
	}
	if ((c = ui_dialog_by_key(g, key)) >= 0 && !(g->kind == UI_DLG_HELP && key != 'x')) {
		dash_dialog_choose(d, g->choices[c].id);
		return;
	}
	switch (action) {
	case UI_ACT_ENTER:
		if (g->nchoices)
			dash_dialog_choose(d, g->choices[g->hi].id);
		break;
	case UI_ACT_LEFT:
		g->hi = g->hi > 0 ? g->hi - 1 : g->nchoices - 1;
		break;
	case UI_ACT_RIGHT:
	case UI_ACT_FOCUS:
		g->hi = g->nchoices ? (g->hi + 1) % g->nchoices : 0;
		break;
	case UI_ACT_DOWN:
		if (g->item + 1 < g->nitems)
			g->item++;
		break;
	case UI_ACT_UP:
		if (g->item > 0)
			g->item--;
		break;
	case UI_ACT_ESCAPE:
	case UI_ACT_QUIT:
		if (g->kind == UI_DLG_HELP || g->kind == UI_DLG_QUIT || g->kind == UI_DLG_FAILURE ||
		    g->kind == UI_DLG_MERGE) {
			ui_dialog_close(g);
		} else if (g->kind == UI_DLG_RESUME) {
			ui_dialog_close(g);
			if (!d->e) /* the menu at start: start as asked on the command line */
				if (dash_engine_start(d, d->o.engine.resume, -1) < 0)
					dash_quit(d, d->status);
		}
		break;
	case UI_ACT_HELP:
		if (g->kind == UI_DLG_HELP)
			ui_dialog_close(g);
		break;
	default:
		break;
	}
}
