/* view.c - the dashboard's frame, detail pane and output pane, drawn from
 * the model into a canvas (view.h). The DAG and list panes are
 * dagview.c's; dialogs are dialog.c's. */
#include "view.h"
#include "logtail.h"
#include "packetdeck/activity.h"
#include "packetdeck/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ui_style ui_state_style(pd_state s)
{
	static const ui_style map[] = {UI_COMPLETE, UI_RUNNING, UI_FAILED,
				       UI_INTERRUPTED, UI_READY, UI_BLOCKED, UI_BLOCKED};

	return (unsigned)s < sizeof(map) / sizeof(*map) ? map[s] : UI_NORMAL;
}

char *ui_duration(char buf[16], long s)
{
	if (s < 0)
		s = 0;
	if (s > 99L * 3600)
		s = 99L * 3600;
	if (s < 3600)
		snprintf(buf, 24, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, 24, "%ldh%02ldm", s / 3600, s / 60 % 60);
	return buf;
}

void ui_view_regions(const ui_canvas *c, ui_regions *r)
{
	int out_h, body_h, detail_w;

	memset(r, 0, sizeof(*r));
	if (c->rows < UI_MIN_ROWS || c->cols < UI_MIN_COLS) {
		r->too_small = true;
		return;
	}
	out_h = c->rows / 3 - 1;              /* output lines */
	body_h = c->rows - 3 - out_h;         /* between the top and the output's rule */
	detail_w = c->cols >= 110 ? 40 : 34;
	r->dag = (ui_rect){1, 1, body_h, c->cols - detail_w - 3};
	r->detail = (ui_rect){1, c->cols - detail_w - 1, body_h, detail_w};
	r->output = (ui_rect){body_h + 2, 1, out_h, c->cols - 2};
}

static void header(ui_canvas *c, const ui_model *m, const ui_view_extra *x)
{
	ui_rect all = {0, 0, 1, c->cols};
	char left[300], right[80];
	long secs = (long)(x->now - m->run_started);
	int w;

	snprintf(left, sizeof(left), "packetdeck · %s · %s", m->pd->manifest->feature, m->phase);
	snprintf(right, sizeof(right), "%zu/%zu complete · %02ld:%02ld:%02ld", m->snap->completed,
		 m->snap->ntracks, secs / 3600, secs / 60 % 60, secs % 60);
	w = ui_text_width(right);
	ui_put(c, all, 0, 2, c->cols - w - 8, UI_TITLE, " ");
	w = ui_put(c, all, 0, 3, c->cols - w - 10, UI_TITLE, left) + 3;
	ui_put(c, all, 0, w, 1, UI_TITLE, " ");
	w = ui_text_width(right);
	ui_putf(c, all, 0, c->cols - w - 3, -1, UI_TITLE, " %s ", right);
}

/* The task list of a track with each task's state. */
static int tasks(ui_canvas *c, ui_rect r, int y, ui_model *m, size_t i, const ui_view_extra *x)
{
	const pd_packet *p = ui_model_packet(m);
	const pd_track_status *ts = &m->snap->tracks[i];
	pd_state st = ui_model_state(m, i);
	size_t done = ts->tasks_done, k, first = 0, rows;
	int bar = r.w - 16, filled;

	if (!p) {
		if (m->packet_problem)
			ui_putf(c, r, y++, r.x, -1, UI_FAILED, "packet: %s", m->packet_problem);
		return y;
	}
	filled = p->ntasks ? (int)((long)bar * (long)done / (long)p->ntasks) : 0;
	ui_put(c, r, y, r.x, -1, UI_NORMAL, "tasks");
	{
		int b;
		const char *full = m->ascii ? "#" : "█", *empty = m->ascii ? "." : "░";

		for (b = 0; b < bar; b++)
			ui_put(c, r, y, r.x + 6 + b, 1, b < filled ? UI_BAR : UI_DIM, b < filled ? full : empty);
	}
	ui_putf(c, r, y++, r.x + 7 + bar, -1, UI_NORMAL, "%zu/%zu", done, p->ntasks);
	rows = y < r.y + r.h - 3 ? (size_t)(r.y + r.h - 3 - y) : 1;
	if (done > rows / 2)
		first = done - rows / 2;
	if (first + rows > p->ntasks)
		first = p->ntasks > rows ? p->ntasks - rows : 0;
	for (k = first; k < p->ntasks && k < first + rows; k++) {
		const pd_task *t = &p->tasks[k];
		bool current = k == done && st == PD_STATE_RUNNING;
		bool failed = k == done && st == PD_STATE_FAILED;
		const char *g = k < done ? ui_state_glyph(PD_STATE_COMPLETE, m->ascii)
				: current ? ui_state_glyph(PD_STATE_RUNNING, m->ascii)
				: failed ? ui_state_glyph(PD_STATE_FAILED, m->ascii)
				: ui_state_glyph(PD_STATE_READY, m->ascii);
		ui_style s = k < done ? UI_COMPLETE : current ? UI_RUNNING : failed ? UI_FAILED : UI_DIM;
		char when[16] = "";

		if (current && m->track_started)
			ui_duration(when, (long)(x->now - m->track_started));
		ui_putf(c, r, y, r.x, r.w - 8, s, "%s %s %s", g, t->id, t->title ? t->title : "");
		ui_put(c, r, y++, r.x + r.w - 7, -1, UI_DIM, when);
	}
	return y;
}

/* 950, 12.3k, 4.5M */
static const char *count(char buf[24], long n)
{
	if (n >= 1000000)
		snprintf(buf, 24, "%.1fM", (double)n / 1e6);
	else if (n >= 10000)
		snprintf(buf, 24, "%ldk", n / 1000);
	else if (n >= 1000)
		snprintf(buf, 24, "%.1fk", (double)n / 1e3);
	else
		snprintf(buf, 24, "%ld", n);
	return buf;
}

static void detail(ui_canvas *c, ui_rect r, ui_model *m, const ui_view_extra *x)
{
	const pd_track *t = &m->pd->manifest->tracks[m->sel];
	const pd_track_status *ts = &m->snap->tracks[m->sel];
	const pd_track_files *tf = ts->files;
	pd_state st = ui_model_state(m, m->sel);
	int y = r.y, w;
	size_t nd, j;
	const size_t *deps = pd_dag_deps(m->pd->dag, m->sel, &nd);

	ui_putf(c, r, y++, r.x, -1, UI_TITLE, "Track %ld · %s", t->id, t->name);
	w = ui_putf(c, r, y, r.x, -1, ui_state_style(st), "%s %s", ui_state_glyph(st, m->ascii),
		    pd_state_name(st));
	if (st == PD_STATE_RUNNING && m->sel == m->running && m->task[0])
		ui_putf(c, r, y, r.x + w, -1, UI_NORMAL, " · task %s", m->task);
	y++;
	ui_putf(c, r, y++, r.x, -1, UI_NORMAL, "branch   %s", t->branch);
	ui_putf(c, r, y++, r.x, -1, UI_DIM, "worktree %s", t->worktree);
	ui_model_refresh_git(m);
	if (m->git.exists)
		ui_putf(c, r, y++, r.x, -1, UI_NORMAL, "HEAD     %.7s %s%s", m->git.head[0] ? m->git.head : "none",
			m->git.subject ? m->git.subject : "", m->git_dirty ? " (dirty)" : "");
	else
		ui_put(c, r, y++, r.x, -1, UI_DIM, "HEAD     (no worktree yet)");
	w = ui_put(c, r, y, r.x, -1, UI_NORMAL, nd ? "deps    " : "deps     none");
	for (j = 0; j < nd; j++) {
		pd_state ds = ui_model_state(m, deps[j]);

		w += ui_putf(c, r, y, r.x + w, -1, ui_state_style(ds), " %s%ld",
			     ui_state_glyph(ds, m->ascii), m->pd->manifest->tracks[deps[j]].id);
	}
	y++;
	if (st == PD_STATE_BLOCKED && ts->root != m->sel && ts->root < m->snap->ntracks)
		ui_putf(c, r, y++, r.x, -1, UI_BLOCKED, "blocked on track %ld (%s)",
			m->pd->manifest->tracks[ts->root].id, pd_state_name(ui_model_state(m, ts->root)));
	if (st == PD_STATE_FAILED && tf->failure.state == PD_FILE_OK)
		ui_putf(c, r, y++, r.x, -1, UI_FAILED, "failed%s%s: %s", tf->failure.task ? " at " : "",
			tf->failure.task ? tf->failure.task : "", tf->failure.message);
	if (tf->marker.state == PD_FILE_CORRUPT && tf->marker.problem) {
		/* the problem without the marker's path: "commit 0123456 is not ..." */
		const char *why = strstr(tf->marker.problem, ".json: ");

		ui_putf(c, r, y++, r.x, -1, UI_FAILED, "marker %s: %s",
			tf->marker.refused ? "refused" : "corrupt", why ? why + 7 : tf->marker.problem);
	}
	else if (tf->marker.unfinished)
		ui_putf(c, r, y++, r.x, -1, UI_BLOCKED, "not complete: marker says status \"%s\"",
			tf->marker.unfinished);
	else if (st == PD_STATE_COMPLETE && tf->marker.unverified)
		ui_put(c, r, y++, r.x, -1, UI_DIM, "marker unverified: no repository to check it in");
	if (tf->checkpoint.state == PD_FILE_OK && tf->checkpoint.commit_problem && st != PD_STATE_COMPLETE)
		ui_putf(c, r, y++, r.x, -1, UI_FAILED, "checkpoint: %s", tf->checkpoint.commit_problem);
	if (m->sel == m->running && m->action && m->action[0]) {
		char d[16];

		w = ui_putf(c, r, y, r.x, -1, UI_DIM, "now %5s ", ui_duration(d, (long)(x->now - m->action_since)));
		ui_put(c, r, y++, r.x + w, -1, UI_RUNNING, m->action);
	}
	if (m->sel == m->running && m->has_usage) {
		char in[24], out[24];

		w = ui_putf(c, r, y, r.x, -1, UI_DIM, "agent    %ld turn%s · %s/%s tok", m->turns,
			    m->turns == 1 ? "" : "s", count(in, m->tokens_in), count(out, m->tokens_out));
		if (m->has_cost)
			ui_putf(c, r, y, r.x + w, -1, UI_DIM, " · $%.2f", m->cost);
		y++;
	}
	if (st == PD_STATE_LIMITED && tf->limit.state == PD_FILE_OK) {
		char lim[80];

		ui_put(c, r, y++, r.x, -1, UI_BLOCKED, pd_limit_text(&tf->limit, lim, sizeof(lim)));
	}
	y = tasks(c, r, y, m, m->sel, x);
	if (tf->checkpoint.state == PD_FILE_OK)
		ui_putf(c, r, r.y + r.h - 2, r.x, -1, UI_DIM, "checkpoint %s · %.7s · %s",
			tf->checkpoint.last_completed_task,
			tf->checkpoint.commit ? tf->checkpoint.commit : "-",
			tf->checkpoint.timestamp ? tf->checkpoint.timestamp : "");
	if (m->sel == m->running && m->track_started) {
		char d[16];

		ui_putf(c, r, r.y + r.h - 1, r.x, -1, UI_DIM, "elapsed %s",
			ui_duration(d, (long)(x->now - m->track_started)));
	} else if (tf->marker.state == PD_FILE_OK) {
		ui_putf(c, r, r.y + r.h - 1, r.x, -1, UI_DIM, "completed %s",
			tf->marker.timestamp ? tf->marker.timestamp : "");
	}
	(void)y;
}

/* Raw lines read at most to fill the pane with an agent's readable ones
 * (most of a stream's lines show nothing). */
#define RAW_MAX 2048

static ui_style line_style(pd_line_kind k, const char *text)
{
	switch (k) {
	case PD_LINE_TOOL: return UI_TITLE;
	case PD_LINE_OK: return UI_COMPLETE;
	case PD_LINE_FAIL: return UI_FAILED;
	case PD_LINE_ERROR: return UI_BLOCKED;
	case PD_LINE_MESSAGE: return UI_NORMAL;
	default: return strncmp(text, "=== ", 4) == 0 ? UI_DIM : UI_NORMAL;
	}
}

/* Rows the readable lines take at `width` (messages wrap). */
static int rows_of(const pd_readable *rl, size_t n, int width)
{
	int rows = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *p = rl[i].text;

		if (rl[i].kind != PD_LINE_MESSAGE || !*p) {
			rows++;
			continue;
		}
		while (*p) {
			p += ui_wrap_fit(p, width, 1000);
			while (*p == ' ')
				p++;
			rows++;
		}
	}
	return rows;
}

/* The output pane: the selected track's log, its end (or out_scroll raw
 * lines before it). An agent's stream as readable lines, unless out_raw;
 * anything else as it came, escape sequences and control characters
 * dropped. */
static void output(ui_canvas *c, ui_rect r, ui_model *m)
{
	char *path = pd_state_file(m->pd->manifest->dir, m->pd->manifest->tracks[m->sel].id, "log");
	int width = r.w - 2, n = m->out_raw ? r.h : r.h * 4 + 16, i, y;
	pd_readable *rl = NULL;
	size_t nrl = 0, k;
	bool stream = false;
	ui_lines lines;

	if (!path)
		return;
	if (m->out_scroll < 0)
		m->out_scroll = 0;
	for (;;) {
		if (ui_log_tail(&lines, path, m->out_scroll, n) != 0) {
			free(path);
			return;
		}
		if (lines.n < n && m->out_scroll > 0 && lines.n < r.h) {
			/* scrolled past the start: show the first page */
			m->out_scroll = lines.total_known > r.h ? lines.total_known - r.h : 0;
			ui_lines_free(&lines);
			continue;
		}
		if (m->out_raw || pd_activity_render((const char *const *)lines.line, (size_t)lines.n, m->ascii,
						     &rl, &nrl, &stream) < 0)
			stream = false;
		if (!stream || lines.n < n || n >= RAW_MAX || rows_of(rl, nrl, width) >= r.h)
			break;
		pd_readable_free(rl, nrl); /* too few to fill the pane: read further back */
		rl = NULL;
		ui_lines_free(&lines);
		n *= 4;
	}
	if (lines.n == 0)
		ui_put(c, r, r.y, r.x + 1, -1, UI_DIM, "(no output yet)");
	if (!stream) {
		int shown = lines.n < r.h ? lines.n : r.h;

		for (i = 0; i < shown; i++) {
			const char *raw = lines.line[lines.n - shown + i];
			size_t len = strlen(raw);
			char *text = malloc(len + 1);

			if (!text)
				break;
			pd_agent_text_clean(text, len + 1, raw, len, PD_TEXT_ONE_LINE);
			ui_put(c, r, r.y + r.h - shown + i, r.x + 1, width, line_style(PD_LINE_PLAIN, text), text);
			free(text);
		}
	} else {
		/* from the bottom up: the last lines, messages wrapped */
		y = r.y + r.h - 1;
		for (k = nrl; k-- > 0 && y >= r.y;) {
			const char *p = rl[k].text;
			ui_style st = line_style(rl[k].kind, p);
			int rows = rows_of(&rl[k], 1, width), row;

			for (row = 0; row < rows; row++) {
				size_t fit = rl[k].kind == PD_LINE_MESSAGE ? ui_wrap_fit(p, width, 1000) : strlen(p);
				char seg[1024];

				fit = fit < sizeof(seg) ? fit : sizeof(seg) - 1;
				memcpy(seg, p, fit);
				seg[fit] = '\0';
				p += fit;
				while (*p == ' ')
					p++;
				if (y - rows + 1 + row >= r.y)
					ui_put(c, r, y - rows + 1 + row, r.x + 1, width, st, seg);
			}
			y -= rows;
		}
	}
	pd_readable_free(rl, nrl);
	ui_lines_free(&lines);
	free(path);
}

void ui_view_draw(ui_canvas *c, ui_model *m, const ui_view_extra *x)
{
	ui_regions g;
	ui_rect all = {0, 0, c->rows, c->cols};
	char title[128];

	ui_canvas_clear(c);
	ui_view_regions(c, &g);
	if (g.too_small) {
		ui_putf(c, all, c->rows / 2, 0, -1, UI_NORMAL,
			"packetdeck needs at least %dx%d (this is %dx%d); q quits", UI_MIN_COLS, UI_MIN_ROWS,
			c->cols, c->rows);
		return;
	}
	ui_frame(c, all, UI_FRAME, NULL);
	ui_vline(c, all, g.detail.x - 1, 0, g.dag.y + g.dag.h, UI_FRAME);
	ui_hline(c, all, g.output.y - 1, 0, c->cols - 1, UI_FRAME);
	header(c, m, x);
	snprintf(title, sizeof(title), "output · track %ld%s%s", m->pd->manifest->tracks[m->sel].id,
		 m->out_raw ? " · raw (v: readable)" : "", m->out_scroll ? " · scrolled back" : "");
	ui_put(c, all, g.output.y - 1, 2, -1, x->output_focus ? UI_SELECTED : UI_TITLE, " ");
	ui_put(c, all, g.output.y - 1, 3, -1, x->output_focus ? UI_SELECTED : UI_TITLE, title);
	ui_put(c, all, g.output.y - 1, 3 + ui_text_width(title), -1, x->output_focus ? UI_SELECTED : UI_TITLE, " ");
	if (m->list)
		ui_list_draw(c, g.dag, m, x->frame);
	else
		ui_dag_draw(c, g.dag, m, x->frame);
	detail(c, g.detail, m, x);
	output(c, g.output, m);
	if (m->notice && *m->notice)
		ui_put(c, (ui_rect){g.output.y - 1, c->cols / 2, 1, c->cols / 2 - 2}, g.output.y - 1,
		       c->cols / 2, -1, UI_DIM, m->notice);
	ui_put(c, all, c->rows - 1, 2, -1, UI_DIM, " ");
	{
		int w = ui_put(c, (ui_rect){c->rows - 1, 0, 1, c->cols - 3}, c->rows - 1, 3, -1, UI_DIM,
			       x->keys_hint);

		ui_put(c, (ui_rect){c->rows - 1, 0, 1, c->cols - 2}, c->rows - 1, 3 + w, 1, UI_DIM, " ");
	}
}
