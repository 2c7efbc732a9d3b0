/* term.c - curses, and only here (term.h). */
#define _XOPEN_SOURCE_EXTENDED 1
#define _GNU_SOURCE
#include "term.h"
#include "keys.h"

#include <curses.h>
#include <langinfo.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

struct ui_term {
	SCREEN *screen;
	FILE *in, *out;
	bool color, own;
};

/* For the crash handlers: what to put back, where. */
static struct termios saved;
static int saved_fd = -1, out_fd = -1;

static void crash(int sig)
{
	static const char reset[] = "\033[?1000l\033[?1002l\033[?1006l\033[?25h\033[?1049l\r\n";

	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSANOW, &saved);
	if (out_fd >= 0 && write(out_fd, reset, sizeof(reset) - 1) < 0)
		(void)0;
	raise(sig); /* SA_RESETHAND: now the default action */
}

static void catch_crashes(void)
{
	static const int sigs[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash;
	sa.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

bool ui_term_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

static void colours(bool color)
{
	/* pair numbers are ui_style + 1 */
	static const short fg[UI_NSTYLES] = {
		[UI_NORMAL] = -1, [UI_DIM] = -1, [UI_EDGE] = COLOR_CYAN, [UI_FRAME] = -1,
		[UI_TITLE] = -1, [UI_COMPLETE] = COLOR_GREEN, [UI_RUNNING] = COLOR_YELLOW,
		[UI_FAILED] = COLOR_RED, [UI_INTERRUPTED] = COLOR_MAGENTA, [UI_READY] = -1,
		[UI_BLOCKED] = -1, [UI_SELECTED] = -1, [UI_KEY] = -1, [UI_CHOICE] = -1,
		[UI_BAR] = COLOR_GREEN};
	int i;

	if (!color || !has_colors())
		return;
	start_color();
	use_default_colors();
	for (i = 0; i < UI_NSTYLES; i++)
		init_pair((short)(i + 1), fg[i], -1);
}

static attr_t attrs(const ui_term *t, int style, short *pair)
{
	static const attr_t a[UI_NSTYLES] = {
		[UI_DIM] = A_DIM, [UI_TITLE] = A_BOLD, [UI_RUNNING] = A_BOLD, [UI_FAILED] = A_BOLD,
		[UI_SELECTED] = A_REVERSE, [UI_KEY] = A_BOLD, [UI_CHOICE] = A_REVERSE | A_BOLD,
		[UI_BLOCKED] = A_DIM};

	*pair = t->color && has_colors() ? (short)(style + 1) : 0;
	return a[style];
}

int ui_term_start(ui_term **out, FILE *in, FILE *outf, bool color)
{
	ui_term *t = calloc(1, sizeof(*t));
	ui_special s;

	*out = NULL;
	if (!t)
		return -1;
	t->in = in ? in : stdin;
	t->out = outf ? outf : stdout;
	t->color = color && !getenv("NO_COLOR");
	if (isatty(fileno(t->in)) && tcgetattr(fileno(t->in), &saved) == 0) {
		saved_fd = fileno(t->in);
		out_fd = fileno(t->out);
		catch_crashes();
	}
	if (!(t->screen = newterm(NULL, t->out, t->in))) {
		free(t);
		return -1;
	}
	set_term(t->screen);
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	colours(t->color);
	s = (ui_special){KEY_UP, KEY_DOWN, KEY_LEFT, KEY_RIGHT, KEY_NPAGE, KEY_PPAGE,
			 KEY_HOME, KEY_END, KEY_ENTER, KEY_RESIZE, KEY_MOUSE};
	ui_keys_bind(&s);
	*out = t;
	return 0;
}

void ui_term_stop(ui_term *t)
{
	if (!t)
		return;
	set_term(t->screen);
	mousemask(0, NULL);
	curs_set(1);
	endwin();
	delscreen(t->screen);
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSANOW, &saved); /* what it was, whatever curses thinks */
	saved_fd = out_fd = -1;
	free(t);
}

void ui_term_suspend(ui_term *t)
{
	set_term(t->screen);
	endwin();
}

void ui_term_resume(ui_term *t)
{
	set_term(t->screen);
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
}

void ui_term_size(ui_term *t, int *rows, int *cols)
{
	set_term(t->screen);
	getmaxyx(stdscr, *rows, *cols);
}

void ui_term_show(ui_term *t, const ui_canvas *c)
{
	int y, x, rows, cols;

	set_term(t->screen);
	getmaxyx(stdscr, rows, cols);
	for (y = 0; y < c->rows && y < rows; y++) {
		for (x = 0; x < c->cols && x < cols; x++) {
			const ui_cell *cell = &c->cells[(size_t)y * (size_t)c->cols + (size_t)x];
			wchar_t w[2] = {ui_glyph(c, cell), 0};
			cchar_t cc;
			short pair;
			attr_t a = attrs(t, cell->style, &pair);

			if (w[0] == 0)
				continue; /* the right half of a wide character */
			setcchar(&cc, w, a, pair, NULL);
			/* the bottom-right cell: add without scrolling */
			if (y == rows - 1 && x == cols - 1)
				mvins_wch(y, x, &cc);
			else
				mvadd_wch(y, x, &cc);
		}
	}
	wnoutrefresh(stdscr);
	doupdate();
}

bool ui_term_read(ui_term *t, ui_input *in)
{
	wint_t ch;
	int r;

	set_term(t->screen);
	memset(in, 0, sizeof(*in));
	r = wget_wch(stdscr, &ch);
	if (r == ERR)
		return false;
	if (r == KEY_CODE_YES && ch == KEY_RESIZE) {
		in->resized = true;
	} else if (r == KEY_CODE_YES && ch == KEY_MOUSE) {
		MEVENT ev;

		if (getmouse(&ev) != OK)
			return true;
		in->y = ev.y;
		in->x = ev.x;
		if (ev.bstate & BUTTON4_PRESSED)
			in->wheel_up = true;
		else if (ev.bstate & BUTTON5_PRESSED)
			in->wheel_down = true;
		else
			in->mouse = true;
	} else {
		in->key = (int)ch;
	}
	return true;
}

void ui_term_redraw(ui_term *t)
{
	set_term(t->screen);
	clearok(curscr, TRUE);
}

char *ui_term_row(ui_term *t, int y)
{
	int rows, cols, x;
	ui_canvas c;
	char *row;

	set_term(t->screen);
	getmaxyx(stdscr, rows, cols);
	if (y >= rows || ui_canvas_init(&c, 1, cols, false) < 0)
		return NULL;
	for (x = 0; x < cols; x++) {
		cchar_t cc;
		wchar_t w[CCHARW_MAX + 1];
		attr_t a;
		short pair;

		if (mvin_wch(y, x, &cc) == ERR || getcchar(&cc, w, &a, &pair, NULL) == ERR)
			w[0] = L'?';
		c.cells[x].ch = w[0] ? w[0] : L' ';
	}
	row = ui_canvas_row(&c, 0);
	ui_canvas_free(&c);
	return row;
}
