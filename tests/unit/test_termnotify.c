/* test_termnotify.c - the terminal's notifications (termnotify.h): the
 * exact bytes of each sequence, tmux's passthrough, hostile text made
 * harmless, and the writer's start/end pair restoring the title. */
#include "test.h"
#include "termnotify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void exact_sequences(void **state)
{
	char b[1024];

	(void)state;
	ui_notify_desktop(b, sizeof(b), false, "packetdeck", "Track 3 (api) failed");
	assert_string_equal(b, "\033]777;notify;packetdeck;Track 3 (api) failed\a"
			       "\033]9;packetdeck: Track 3 (api) failed\a");
	ui_notify_title(b, sizeof(b), false, 3, 6, "api");
	assert_string_equal(b, "\033]2;packetdeck 3/6 · api\a");
	ui_notify_title(b, sizeof(b), false, 6, 6, "");
	assert_string_equal(b, "\033]2;packetdeck 6/6\a");
	ui_notify_progress(b, sizeof(b), false, UI_PROGRESS_NORMAL, 50);
	assert_string_equal(b, "\033]9;4;1;50\a");
	ui_notify_progress(b, sizeof(b), false, UI_PROGRESS_ERROR, 150);
	assert_string_equal(b, "\033]9;4;2;100\a");
	ui_notify_progress(b, sizeof(b), false, UI_PROGRESS_PAUSED, 33);
	assert_string_equal(b, "\033]9;4;4;33\a");
	ui_notify_progress(b, sizeof(b), false, UI_PROGRESS_CLEAR, 0);
	assert_string_equal(b, "\033]9;4;0;\a");
	ui_notify_progress(b, sizeof(b), true, UI_PROGRESS_NORMAL, 10);
	assert_string_equal(b, "\033Ptmux;\033\033]9;4;1;10\a\033\\");
	ui_notify_title(b, sizeof(b), true, 1, 2, "x"); /* tmux's own: not passed through */
	assert_string_equal(b, "\033]2;packetdeck 1/2 · x\a");
}

static void hostile_text_is_neutralised(void **state)
{
	char b[2048], big[12000];
	size_t n, i;

	(void)state;
	ui_notify_desktop(b, sizeof(b), false, "a;b\033]2;pwned\a", "x\ny;z\x9b" "1m\xff end");
	assert_string_equal(b, "\033]777;notify;a b ]2 pwned ;x y z?1m? end\a"
			       "\033]9;a b ]2 pwned : x y z?1m? end\a"); /* a lone C1 byte: invalid UTF-8 */
	ui_notify_title(b, sizeof(b), false, 1, 2, "t\033[2J;x");
	assert_string_equal(b, "\033]2;packetdeck 1/2 · t [2J;x\a"); /* ';' is harmless in a title */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = (char)0xE2; /* a character cut by the limit is never half written */
	big[1] = (char)0x82;
	big[2] = (char)0xAC;
	n = ui_notify_desktop(b, sizeof(b), false, "t", big);
	assert_true(n < 2 * UI_NOTIFY_TEXT_MAX + 64);
	for (i = 0, n = 0; b[i]; i++)
		n += b[i] == '\033' || b[i] == '\a';
	assert_int_equal(n, 4); /* two sequences, each ESC ... BEL, nothing else */
}

static void start_and_end_restore_the_title(void **state)
{
	ui_termnotify t;
	char got[4096];
	int p[2];
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(p), 0);
	unsetenv("TMUX");
	ui_termnotify_start(&t, p[1], false);
	ui_termnotify_status(&t, 1, 3, "db", UI_PROGRESS_NORMAL);
	ui_termnotify_alert(&t, "packetdeck", "blocked");
	ui_termnotify_end(&t);
	close(p[1]);
	n = read(p[0], got, sizeof(got) - 1);
	close(p[0]);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, "\033[22;0t"
				 "\033]2;packetdeck 1/3 · db\a\033]9;4;1;33\a"
				 "\033]777;notify;packetdeck;blocked\a\033]9;packetdeck: blocked\a"
				 "\033]9;4;0;\a\033[23;0t");
	/* the bell when asked; nothing at all without a terminal */
	assert_int_equal(pipe(p), 0);
	ui_termnotify_start(&t, p[1], true);
	ui_termnotify_alert(&t, "p", "q");
	close(p[1]);
	n = read(p[0], got, sizeof(got) - 1);
	close(p[0]);
	got[n > 0 ? n : 0] = '\0';
	assert_non_null(strstr(got, "\a\033]777;"));
	ui_termnotify_start(&t, -1, true);
	ui_termnotify_alert(&t, "p", "q");
	ui_termnotify_end(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_sequences),
		cmocka_unit_test(hostile_text_is_neutralised),
		cmocka_unit_test(start_and_end_restore_the_title),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
