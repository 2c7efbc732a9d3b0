/* logtail.h - the last lines of a runner's log, read from its end.
 *
 * The output pane shows .packetdeck/track-N.log: the last `n` lines
 * before the last `skip` ones (scrolling back). The file is read backwards
 * in blocks, so scrolling back has no fixed limit and the cost is what is
 * shown, not the file's size. No curses.
 */
#ifndef UI_LOGTAIL_H
#define UI_LOGTAIL_H

typedef struct ui_lines {
	char **line;   /* oldest first */
	int n;
	long total_known; /* lines seen from the end (>= skip + n when there were enough) */
} ui_lines;

/* Fill `out` with up to `n` lines ending `skip` lines before the file's
 * end (a last line without a newline counts). An absent file gives none. */
int ui_log_tail(ui_lines *out, const char *path, long skip, int n);

void ui_lines_free(ui_lines *l);

#endif
