/* dagview.c - the dependency graph pane: layers left to right, edges in
 * box-drawing lines, a glyph and colour per state, the running track
 * animated; and the list view in execution order (`g`). Draws only what
 * the pane shows, so a graph of 10 000 tracks costs what is visible plus
 * one pass over its edges. */
#include "view.h"

#include <stdio.h>
#include <string.h>

static const char *spinner(unsigned frame, bool ascii)
{
	static const char *const utf8[] = {"◐", "◓", "◑", "◒"};
	static const char *const plain[] = {"|", "/", "-", "\\"};

	return ascii ? plain[frame % 4] : utf8[frame % 4];
}

static const char *glyph(const ui_model *m, size_t i, unsigned frame)
{
	pd_state s = ui_model_state(m, i);

	return s == PD_STATE_RUNNING ? spinner(frame, m->ascii) : ui_state_glyph(s, m->ascii);
}

/* "✓ 12 name" */
static void label(char *buf, size_t cap, const ui_model *m, size_t i, unsigned frame)
{
	const pd_track *t = &m->pd->manifest->tracks[i];

	snprintf(buf, cap, "%s %ld %s", glyph(m, i, frame), t->id, t->name);
}

void ui_dag_draw(ui_canvas *c, ui_rect r, ui_model *m, unsigned frame)
{
	const pd_layout *l = m->layout;
	int oy, ox, first, last, layer;
	size_t k;

	ui_model_follow(m, r.h, r.w);
	oy = r.y - m->pan_y;
	ox = r.x - m->pan_x;
	first = m->pan_x / UI_LAYER_W(m);
	last = (m->pan_x + r.w) / UI_LAYER_W(m) + 1;
	/* edges first: nodes are drawn over them */
	for (k = 0; k < l->layer_start[l->nlayers]; k++) {
		size_t t = l->order[k], nd, j;
		const size_t *deps = pd_dag_deps(m->pd->dag, t, &nd);
		int yt, xt;

		if (l->layer[t] < first)
			continue; /* its edges end left of the pane */
		ui_model_node_pos(m, t, &yt, &xt);
		for (j = 0; j < nd; j++) {
			int yd, xd, x0, xv = xt - 2;
			ui_style s = ui_model_state(m, deps[j]) == PD_STATE_COMPLETE ? UI_EDGE : UI_DIM;

			if (l->layer[deps[j]] > last)
				continue;
			ui_model_node_pos(m, deps[j], &yd, &xd);
			x0 = xd + m->label_w[deps[j]] + 1;
			ui_line(c, r, oy + yd, ox + x0, UI_LEFT, s);
			if (l->layer[t] == l->layer[deps[j]] + 1) {
				ui_hline(c, r, oy + yd, ox + x0, ox + xv, s);
			} else {
				/* a longer edge runs on the free row below its source */
				int xl = xd + m->node_w + 2;

				ui_hline(c, r, oy + yd, ox + x0, ox + xl, s);
				ui_vline(c, r, ox + xl, oy + yd, oy + yd + 1, s);
				ui_hline(c, r, oy + yd + 1, ox + xl, ox + xv, s);
				yd++;
			}
			ui_vline(c, r, ox + xv, oy + yd, oy + yt, s);
			ui_hline(c, r, oy + yt, ox + xv, ox + xt - 1, s);
			/* full lines at both ends, not half ones */
			ui_line(c, r, oy + yt, ox + xt - 1, UI_RIGHT, s);
		}
	}
	/* nodes of the visible layers, and of their visible rows only */
	for (layer = first < 0 ? 0 : first; layer < l->nlayers && layer <= last; layer++) {
		size_t a = l->layer_start[layer], b = l->layer_start[layer + 1];
		size_t top = m->pan_y > 0 ? (size_t)m->pan_y / 2 : 0;

		for (k = a + top; k < b && (int)(k - a) * 2 < m->pan_y + r.h; k++) {
			size_t t = l->order[k];
			int y, x;
			char buf[512];
			ui_style s = t == m->sel ? UI_SELECTED : ui_state_style(ui_model_state(m, t));
			ui_rect node;

			ui_model_node_pos(m, t, &y, &x);
			node = (ui_rect){oy + y, ox + x, 1, m->node_w};
			label(buf, sizeof(buf), m, t, frame);
			if (t == m->sel)
				ui_fill(c, (ui_rect){oy + y, ox + x, 1, m->label_w[t]}, UI_SELECTED);
			{
				/* clip to both the pane and the node's width */
				ui_rect clip = r;

				if (node.x > clip.x)
					clip.w -= node.x - clip.x, clip.x = node.x;
				if (clip.x + clip.w > node.x + m->node_w)
					clip.w = node.x + m->node_w - clip.x;
				ui_put(c, clip, node.y, node.x, m->node_w, s, buf);
			}
		}
	}
}

/* "blocked on 2 (failed)" for a blocked track. */
static void blocked_on(char *buf, size_t cap, const ui_model *m, size_t i)
{
	size_t root = m->snap->tracks[i].root;

	buf[0] = '\0';
	if (ui_model_state(m, i) == PD_STATE_BLOCKED && root != i && root < m->snap->ntracks)
		snprintf(buf, cap, "blocked on %ld (%s)", m->pd->manifest->tracks[root].id,
			 pd_state_name(ui_model_state(m, root)));
}

void ui_list_draw(ui_canvas *c, ui_rect r, ui_model *m, unsigned frame)
{
	size_t k, rank = m->rank[m->sel];

	if (rank < m->list_top)
		m->list_top = rank;
	if (r.h > 0 && rank >= m->list_top + (size_t)r.h)
		m->list_top = rank - (size_t)r.h + 1;
	for (k = m->list_top; k < m->norder && (int)(k - m->list_top) < r.h; k++) {
		size_t t = m->order[k];
		int y = r.y + (int)(k - m->list_top), w;
		char buf[512], why[128];
		pd_state st = ui_model_state(m, t);
		ui_style s = t == m->sel ? UI_SELECTED : ui_state_style(st);

		label(buf, sizeof(buf), m, t, frame);
		if (t == m->sel)
			ui_fill(c, (ui_rect){y, r.x, 1, r.w}, UI_SELECTED);
		w = ui_put(c, r, y, r.x + 1, r.w / 2, s, buf);
		blocked_on(why, sizeof(why), m, t);
		ui_putf(c, r, y, r.x + 2 + (w > r.w / 2 - 12 ? w : r.w / 2 - 12), -1,
			t == m->sel ? UI_SELECTED : UI_DIM, "%-11s %s", pd_state_name(st), why);
	}
}
