/* termnotify.c - the terminal's own notifications (termnotify.h). */
#include "termnotify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* text made safe for an OSC field: control characters and ';' become
 * spaces (when `semi`), invalid UTF-8 '?', cut at UI_NOTIFY_TEXT_MAX */
static void safe(char *out, const char *text, bool semi)
{
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	size_t n = 0;

	while (*p && n < UI_NOTIFY_TEXT_MAX) {
		size_t k = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
		size_t i;

		for (i = 1; k && i < k; i++)
			if ((p[i] & 0xC0) != 0x80)
				k = 0;
		if (k == 0 || (k == 2 && p[0] == 0xC2 && p[1] < 0xA0)) { /* invalid, or C1 */
			out[n++] = k ? ' ' : '?';
			p += k ? k : 1;
			continue;
		}
		if (n + k > UI_NOTIFY_TEXT_MAX)
			break;
		if (k == 1 && (*p < 0x20 || *p == 0x7F || (semi && *p == ';'))) {
			out[n++] = ' ';
			p++;
			continue;
		}
		memcpy(out + n, p, k);
		n += k;
		p += k;
	}
	out[n] = '\0';
}

/* OSC `body` BEL, wrapped for tmux when asked (ESC doubled inside). */
static size_t osc(char *buf, size_t cap, bool tmux, const char *body)
{
	int n = tmux ? snprintf(buf, cap, "\033Ptmux;\033\033]%s\a\033\\", body)
		     : snprintf(buf, cap, "\033]%s\a", body);

	if (n < 0)
		n = 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t ui_notify_desktop(char *buf, size_t cap, bool tmux, const char *title, const char *body)
{
	char t[UI_NOTIFY_TEXT_MAX + 1], b[UI_NOTIFY_TEXT_MAX + 1], seq[2 * UI_NOTIFY_TEXT_MAX + 32];
	size_t n;

	safe(t, title, true);
	safe(b, body, true);
	snprintf(seq, sizeof(seq), "777;notify;%s;%s", t, b);
	n = osc(buf, cap, tmux, seq);
	snprintf(seq, sizeof(seq), "9;%s: %s", t, b);
	return n + osc(buf + n, cap - n, tmux, seq);
}

size_t ui_notify_title(char *buf, size_t cap, bool tmux, size_t done, size_t total, const char *track)
{
	char t[UI_NOTIFY_TEXT_MAX + 1], seq[UI_NOTIFY_TEXT_MAX + 64];

	safe(t, track, false);
	if (*t)
		snprintf(seq, sizeof(seq), "2;packetdeck %zu/%zu · %s", done, total, t);
	else
		snprintf(seq, sizeof(seq), "2;packetdeck %zu/%zu", done, total);
	(void)tmux; /* tmux takes OSC 2 itself: the pane's title, shown as it is set up to */
	return osc(buf, cap, false, seq);
}

size_t ui_notify_progress(char *buf, size_t cap, bool tmux, ui_progress_state state, int pct)
{
	char seq[32];

	if (state == UI_PROGRESS_CLEAR)
		snprintf(seq, sizeof(seq), "9;4;0;");
	else
		snprintf(seq, sizeof(seq), "9;4;%d;%d", (int)state, pct < 0 ? 0 : pct > 100 ? 100 : pct);
	return osc(buf, cap, tmux, seq);
}

static void put(const ui_termnotify *t, const char *s, size_t n)
{
	while (t->fd >= 0 && n > 0) {
		ssize_t w = write(t->fd, s, n);

		if (w <= 0)
			return; /* a notification is never worth blocking or failing for */
		s += w;
		n -= (size_t)w;
	}
}

void ui_termnotify_start(ui_termnotify *t, int fd, bool bell)
{
	static const char push[] = "\033[22;0t";

	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->bell = bell;
	t->tmux = getenv("TMUX") && *getenv("TMUX");
	if (fd >= 0) {
		put(t, push, sizeof(push) - 1);
		t->title_saved = true;
	}
}

void ui_termnotify_alert(ui_termnotify *t, const char *title, const char *body)
{
	char buf[4 * UI_NOTIFY_TEXT_MAX + 128];

	if (t->bell)
		put(t, "\a", 1);
	put(t, buf, ui_notify_desktop(buf, sizeof(buf), t->tmux, title, body));
}

void ui_termnotify_status(ui_termnotify *t, size_t done, size_t total, const char *track,
			  ui_progress_state state)
{
	char buf[2 * UI_NOTIFY_TEXT_MAX + 128];
	size_t n = ui_notify_title(buf, sizeof(buf), t->tmux, done, total, track);

	n += ui_notify_progress(buf + n, sizeof(buf) - n, t->tmux, state,
				total ? (int)(done * 100 / total) : 0);
	put(t, buf, n);
	t->progress_shown = true;
}

void ui_termnotify_end(ui_termnotify *t)
{
	static const char pop[] = "\033[23;0t";
	char buf[64];

	if (t->progress_shown)
		put(t, buf, ui_notify_progress(buf, sizeof(buf), t->tmux, UI_PROGRESS_CLEAR, 0));
	if (t->title_saved)
		put(t, pop, sizeof(pop) - 1);
	t->progress_shown = t->title_saved = false;
}
