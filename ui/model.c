/* model.c - the dashboard's view-model (model.h): state, selection,
 * panning. No curses, no drawing. */
#define _GNU_SOURCE /* strcasestr */
#include "model.h"
#include "packetdeck/activity.h"
#include "canvas.h"
#include "packetdeck/pathutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ui_model_init(ui_model *m, const pd_pktdir *pd, bool watch, bool ascii)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->pd = pd;
	m->watch = watch;
	m->ascii = ascii;
	m->running = PD_NO_TRACK;
	m->git_for = PD_NO_TRACK;
	m->phase = watch ? "watching" : "starting";
	m->order = pd_dag_order(pd->dag, &m->norder);
	m->task = strdup("");
	m->rank = calloc(pd->manifest->ntracks + 1, sizeof(size_t));
	m->label_w = calloc(pd->manifest->ntracks + 1, sizeof(int));
	if (!m->task || !m->rank || !m->label_w || pd_layout_make(&m->layout, pd->dag) < 0)
		return -1;
	m->node_w = 8;
	for (i = 0; i < m->norder; i++) {
		const pd_track *t = &pd->manifest->tracks[m->order[i]];
		char id[24];
		int w;

		m->rank[m->order[i]] = i;
		/* "✓ 12 name": a one-column glyph, the id and the name */
		snprintf(id, sizeof(id), "%ld", t->id);
		w = 3 + (int)strlen(id) + ui_text_width(t->name);
		m->label_w[m->order[i]] = w < UI_NODE_MAX ? w : UI_NODE_MAX;
		if (w > m->node_w)
			m->node_w = m->label_w[m->order[i]];
	}
	m->sel = m->norder ? m->order[0] : 0;
	m->run_started = time(NULL);
	return ui_model_refresh(m, NULL, 0, NULL);
}

void ui_model_free(ui_model *m)
{
	pd_layout_free(m->layout);
	pd_snapshot_free(m->snap);
	pd_worktree_info_clear(&m->git);
	pd_packet_free(m->packet);
	free(m->packet_problem);
	free(m->rank);
	free(m->label_w);
	free(m->task);
	free(m->notice);
	free(m->action);
	free(m->filter);
	memset(m, 0, sizeof(*m));
}

int ui_model_refresh(ui_model *m, const size_t *which, size_t n, bool *changed)
{
	bool any = true;
	size_t i;

	if (!m->snap) {
		if (pd_snapshot_take(&m->snap, m->pd) < 0)
			return -1;
	} else if (pd_snapshot_reread(m->snap, m->pd, which, n, &any) < 0) {
		return -1;
	}
	if (changed)
		*changed = any;
	if (!any)
		return 0;
	m->git_known = false; /* a checkpoint may name a new commit */
	if (m->watch) {
		const pd_snapshot *s = m->snap;

		m->running = PD_NO_TRACK;
		for (i = 0; i < s->ntracks; i++)
			if (s->tracks[i].state == PD_STATE_RUNNING)
				m->running = i;
		m->phase = s->completed == s->ntracks ? "completed" : m->running != PD_NO_TRACK ? "running"
			   : s->run.held ? "running" : "watching";
	}
	return 0;
}

const pd_packet *ui_model_packet(ui_model *m)
{
	pd_diags diags = PD_DIAGS_INIT;

	if (m->packet_known && m->packet_for == m->sel)
		return m->packet;
	pd_packet_free(m->packet);
	m->packet = NULL;
	free(m->packet_problem);
	m->packet_problem = NULL;
	if (pd_pktdir_packet(m->pd, m->sel, &m->packet, &diags) < 0) {
		const pd_diag *d = diags.count ? &diags.items[0] : NULL;
		const char *where = d && d->where ? d->where : "";
		const char *rel = pd_path_below(where, m->pd->manifest->dir);

		if (rel)
			where = rel; /* the pane is narrow: the file, not its whole path */
		if (asprintf(&m->packet_problem, "%s%s%s", where, *where ? ": " : "",
			     d ? d->message : pd_error_last()) < 0)
			m->packet_problem = NULL;
	}
	pd_diags_free(&diags);
	m->packet_for = m->sel;
	m->packet_known = true;
	return m->packet;
}

void ui_model_refresh_git(ui_model *m)
{
	const pd_track *t = &m->pd->manifest->tracks[m->sel];

	if (m->git_known && m->git_for == m->sel)
		return;
	pd_worktree_info_clear(&m->git);
	m->git_dirty = false;
	if (pd_worktree_inspect(&m->git, t->worktree_path) == 0 && m->git.exists)
		pd_worktree_dirty(t->worktree_path, &m->git_dirty);
	m->git_for = m->sel;
	m->git_known = true;
}

static size_t index_of(const ui_model *m, long id)
{
	long i = id >= 0 ? pd_dag_find(m->pd->dag, id) : -1;

	return i < 0 ? PD_NO_TRACK : (size_t)i;
}

static void set_str(char **dst, const char *src)
{
	char *s = strdup(src ? src : "");

	if (s) {
		free(*dst);
		*dst = s;
	}
}

void ui_model_event(ui_model *m, const pd_event *e)
{
	size_t i = index_of(m, e->track);

	switch (e->type) {
	case PD_EV_RUN_STARTED:
		m->phase = "running"; /* the clock keeps counting from the dashboard's start */
		break;
	case PD_EV_TRACK_STARTED:
		set_str(&m->action, "");
		m->has_usage = m->has_cost = false;
		m->running = i;
		m->phase = "running";
		m->track_started = time(NULL);
		set_str(&m->task, "");
		if (i != PD_NO_TRACK)
			m->sel = i; /* follow the run */
		m->out_scroll = 0;
		break;
	case PD_EV_TASK_STARTED:
		set_str(&m->task, e->task);
		break;
	case PD_EV_CHECKPOINT:
		set_str(&m->task, e->next_task);
		break;
	case PD_EV_TRACK_COMPLETED:
		m->completed_run++;
		/* fall through */
	case PD_EV_TRACK_FAILED:
		m->running = PD_NO_TRACK;
		set_str(&m->task, "");
		if (e->type == PD_EV_TRACK_FAILED)
			m->phase = "failed";
		break;
	case PD_EV_BLOCKED:
		m->phase = "blocked";
		if (i != PD_NO_TRACK)
			m->sel = i;
		break;
	case PD_EV_WAITING:
		m->phase = "waiting";
		break;
	case PD_EV_HANDOFF_SUGGESTED:
		m->phase = "handoff";
		break;
	case PD_EV_ABORTED:
		m->phase = "aborted";
		set_str(&m->notice, e->reason);
		break;
	case PD_EV_RUN_COMPLETED:
		m->phase = "completed";
		break;
	case PD_EV_NOTICE:
		set_str(&m->notice, e->message);
		break;
	case PD_EV_AGENT_ACTIVITY: {
		pd_activity_kind k = pd_activity_kind_from_name(e->kind);
		char line[PD_AGENT_SUMMARY_MAX + 64];

		if (k == PD_ACT_TOOL) {
			pd_activity_line(line, sizeof(line), k, e->tool, e->summary, -1, false, m->ascii);
			set_str(&m->action, line);
			m->action_since = time(NULL);
		} else if (k == PD_ACT_RESULT) {
			set_str(&m->action, "");
		}
		break;
	}
	case PD_EV_LIMITED:
		m->phase = "limited";
		m->running = PD_NO_TRACK; /* not running: its files say limited */
		set_str(&m->action, "");
		break;
	case PD_EV_AGENT_USAGE:
		m->has_usage = true;
		m->turns = e->turns;
		m->tokens_in = e->input_tokens;
		m->tokens_out = e->output_tokens;
		m->has_cost = e->has_cost;
		m->cost = e->cost_usd;
		break;
	default:
		break;
	}
}

pd_state ui_model_state(const ui_model *m, size_t index)
{
	pd_state s = m->snap->tracks[index].state;

	if (index == m->running && s != PD_STATE_COMPLETE)
		return PD_STATE_RUNNING;
	return s;
}

void ui_model_select(ui_model *m, size_t index)
{
	if (index < m->pd->manifest->ntracks && index != m->sel) {
		m->sel = index;
		m->out_scroll = 0;
	}
}

void ui_model_move(ui_model *m, int delta)
{
	long r;

	if (!m->norder)
		return;
	r = (long)m->rank[m->sel] + delta;
	if (r < 0)
		r = 0;
	if (r >= (long)m->norder)
		r = (long)m->norder - 1;
	ui_model_select(m, m->order[r]);
}

void ui_model_move_layer(ui_model *m, int delta)
{
	const pd_layout *l = m->layout;
	int layer = l->layer[m->sel] + delta;
	size_t n, pos;

	if (layer < 0 || layer >= l->nlayers)
		return;
	n = l->layer_start[layer + 1] - l->layer_start[layer];
	pos = l->pos[m->sel] < n ? l->pos[m->sel] : n - 1;
	ui_model_select(m, l->order[l->layer_start[layer] + pos]);
}

bool ui_model_find(ui_model *m, const char *text)
{
	size_t k, r = m->norder ? m->rank[m->sel] : 0;

	if (!text || !*text)
		return false;
	for (k = 1; k <= m->norder; k++) {
		const pd_track *t = &m->pd->manifest->tracks[m->order[(r + k) % m->norder]];
		char id[24];

		snprintf(id, sizeof(id), "%ld", t->id);
		if (strcasestr(t->name, text) || strcmp(id, text) == 0) {
			ui_model_select(m, t->index);
			return true;
		}
	}
	return false;
}

void ui_model_node_pos(const ui_model *m, size_t index, int *y, int *x)
{
	*y = (int)m->layout->pos[index] * 2;
	*x = m->layout->layer[index] * UI_LAYER_W(m);
}

void ui_model_dag_size(const ui_model *m, int *rows, int *cols)
{
	size_t widest = 0;
	int l;

	for (l = 0; l < m->layout->nlayers; l++) {
		size_t n = m->layout->layer_start[l + 1] - m->layout->layer_start[l];

		widest = n > widest ? n : widest;
	}
	*rows = (int)widest * 2 - 1;
	*cols = m->layout->nlayers * UI_LAYER_W(m) - UI_GUTTER;
}

void ui_model_follow(ui_model *m, int h, int w)
{
	int y, x, rows, cols;

	ui_model_node_pos(m, m->sel, &y, &x);
	if (y < m->pan_y)
		m->pan_y = y - (h > 4 ? 2 : 0);
	if (y >= m->pan_y + h)
		m->pan_y = y - h + (h > 4 ? 3 : 1);
	if (x < m->pan_x)
		m->pan_x = x;
	if (x + m->node_w > m->pan_x + w)
		m->pan_x = x + m->node_w - w;
	ui_model_dag_size(m, &rows, &cols);
	if (m->pan_y > rows - h)
		m->pan_y = rows - h;
	if (m->pan_x > cols - w)
		m->pan_x = cols - w;
	if (m->pan_y < 0)
		m->pan_y = 0;
	if (m->pan_x < 0)
		m->pan_x = 0;
}

size_t ui_model_track_at(const ui_model *m, int y, int x)
{
	const pd_layout *l = m->layout;
	int layer;
	size_t pos;

	if (y < 0 || x < 0 || y % 2 || x % UI_LAYER_W(m) >= m->node_w)
		return PD_NO_TRACK;
	layer = x / UI_LAYER_W(m);
	pos = (size_t)y / 2;
	if (layer >= l->nlayers || pos >= l->layer_start[layer + 1] - l->layer_start[layer])
		return PD_NO_TRACK;
	return l->order[l->layer_start[layer] + pos];
}

const char *ui_state_glyph(pd_state s, bool ascii)
{
	static const char *const utf8[] = {"✓", "▶", "✗", "‖", "·", "○", "◷"};
	static const char *const plain[] = {"+", ">", "x", "=", ".", "o", "~"};

	return ascii ? plain[s] : utf8[s];
}
