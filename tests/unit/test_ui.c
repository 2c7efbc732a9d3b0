/* test_ui.c - the dashboard's screens, rendered into a newterm() screen
 * and read back (golden text at 80x24 and 120x36), and its view-model:
 * selection, panning, hit testing, the key table, the log tail.
 * PD_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing. */
#define _GNU_SOURCE
#include "test.h"

#include "canvas.h"
#include "dash_int.h"
#include "../../src/clock.h"
#include "dialog.h"
#include "keys.h"
#include "logtail.h"
#include "model.h"
#include "packetdeck/fsio.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/pktdir.h"
#include "packetdeck/state.h"
#include "term.h"
#include "view.h"

#include <ctype.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <sys/file.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GOLDEN_DIR
#error GOLDEN_DIR must name tests/golden
#endif

static const char manifest[] =
	"{\"format_version\": \"1.0.0\", \"feature\": \"user-auth\", \"tracks\": ["
	"{\"id\": 1, \"name\": \"core-models\", \"packet\": \"track-1.md\", \"worktree\": \"/nonexistent/pd/wt1\", \"branch\": \"auth/t1\", \"depends_on\": []},"
	"{\"id\": 2, \"name\": \"db-schema\", \"packet\": \"track-2.md\", \"worktree\": \"/nonexistent/pd/wt2\", \"branch\": \"auth/t2\", \"depends_on\": []},"
	"{\"id\": 3, \"name\": \"api\", \"packet\": \"track-3.md\", \"worktree\": \"/nonexistent/pd/wt3\", \"branch\": \"auth/t3\", \"depends_on\": [1, 2]},"
	"{\"id\": 4, \"name\": \"ui\", \"packet\": \"track-4.md\", \"worktree\": \"/nonexistent/pd/wt4\", \"branch\": \"auth/t4\", \"depends_on\": [1]},"
	"{\"id\": 5, \"name\": \"docs\", \"packet\": \"track-5.md\", \"worktree\": \"/nonexistent/pd/wt5\", \"branch\": \"auth/t5\", \"depends_on\": [3, 4]}"
	"], \"merge_strategy\": \"worktree-merge\", \"post_merge_qa\": []}\n";

static const char ts[] = "2026-11-01T09:00:00Z";

/* Tracks 1 and 2 complete, 3 failed at 3.2 after a checkpoint, 4 ready,
 * 5 blocked; some output in track 3's log. */
static pd_pktdir *world(void)
{
	pd_pktdir *pd = NULL;
	pd_diags diags = {0};
	int i;

	t_write(dir, "manifest.json", manifest);
	for (i = 1; i <= 5; i++) {
		char name[32], body[256];

		snprintf(name, sizeof(name), "track-%d.md", i);
		snprintf(body, sizeof(body), "### Task %d.1: Write the first part\nRun: true\n\n"
					     "### Task %d.2: Write the second part\nRun: true\n\n"
					     "### Task %d.3: Check it\nRun: true\n", i, i, i);
		t_write(dir, name, body);
	}
	assert_int_equal(pd_marker_write(dir, 1, "1111111111111111111111111111111111111111", ts), 0);
	assert_int_equal(pd_marker_write(dir, 2, "2222222222222222222222222222222222222222", ts), 0);
	assert_int_equal(pd_checkpoint_write(dir, 3, "3.1", "3.2", "3333333333333333333333333333333333333333", ts), 0);
	assert_int_equal(pd_failure_write(dir, 3, "3.2", "`make test` (line 5) failed with exit status 2", NULL, 2, ts), 0);
	t_write(dir, ".packetdeck/track-3.log", "Task 3.1: Write the first part\nok\nTask 3.2: Write the second part\n"
						 "make: *** [test] Error 2\n");
	assert_int_equal(pd_pktdir_load(&pd, dir, &diags), 0);
	pd_diags_free(&diags);
	return pd;
}

/* Render through curses into a screen of rows x cols and compare with
 * tests/golden/NAME (or write it). Also: what curses shows is the canvas. */
/* Volatile text of a live run made stable, keeping every width: the
 * scratch dir's random suffix (TMPDIR is /tmp here), commit hashes and
 * run ids (7 to 40 hex digits standing alone) and timestamps. */
static void mask(char *text)
{
	char *p;

	for (p = text; (p = strstr(p, "pdtest.")) != NULL; p += 7)
		for (int i = 7; i < 13 && isalnum((unsigned char)p[i]); i++)
			p[i] = 'X';
	for (p = text; *p; p++) {
		size_t n = strspn(p, "0123456789abcdef");

		/* a hash may be all digits by chance: runs of a hash's lengths count */
		if (n >= 7 && n <= 40 && (strspn(p, "0123456789") < n || n == 7 || n == 16 || n == 40) &&
		    (p == text || !isalnum((unsigned char)p[-1])) && !isalnum((unsigned char)p[n]))
			memset(p, '#', n);
		/* 2026-11-21T15:03:40Z */
		if (n == 4 && p[4] == '-' && strlen(p) >= 20 && p[10] == 'T' && p[19] == 'Z')
			memcpy(p, "2000-01-01T00:00:00Z", 20);
		p += n ? n - 1 : 0;
	}
}

static void golden(const char *name, ui_model *m, ui_dialog *dlg, int rows, int cols)
{
	char *path = NULL, *want = NULL, *got = NULL;
	size_t len = 0;
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r"), *g;
	ui_term *t = NULL;
	ui_canvas c;
	ui_view_extra x = {0, m->run_started + 754, "? help · j/k select · q quit", false};
	int y;

	assert_non_null(out);
	assert_int_equal(asprintf(&path, "%s/%s", GOLDEN_DIR, name) > 0, 1);
	{
		char v[16];

		snprintf(v, sizeof(v), "%d", rows);
		setenv("LINES", v, 1);
		snprintf(v, sizeof(v), "%d", cols);
		setenv("COLUMNS", v, 1);
	}
	assert_int_equal(ui_term_start(&t, in, out, false), 0);
	assert_int_equal(ui_canvas_init(&c, rows, cols, false), 0);
	ui_view_draw(&c, m, &x);
	if (dlg)
		ui_dialog_draw(&c, dlg);
	ui_term_show(t, &c);
	{
		FILE *f = open_memstream(&got, &len);

		for (y = 0; y < rows; y++) {
			char *screen = ui_term_row(t, y), *canvas = ui_canvas_row(&c, y);

			assert_string_equal(screen, canvas);
			fprintf(f, "%s\n", screen);
			free(screen);
			free(canvas);
		}
		fclose(f);
	}
	mask(got);
	ui_term_stop(t);
	ui_canvas_free(&c);
	fclose(out);
	fclose(in);
	if (getenv("PD_UPDATE_GOLDEN")) {
		assert_non_null(g = fopen(path, "w"));
		fputs(got, g);
		fclose(g);
	} else {
		size_t wl;

		assert_int_equal(pd_read_file(&want, &wl, path, 1 << 20), 0);
		if (strcmp(want, got) != 0)
			fprintf(stderr, "%s differs; got:\n%s", name, got);
		assert_string_equal(want, got);
	}
	free(path);
	free(want);
	free(got);
}

static void init(ui_model *m, pd_pktdir **pd)
{
	*pd = world();
	assert_int_equal(ui_model_init(m, *pd, false, false), 0);
	m->run_started = 1000;
	m->phase = "failed";
}

static void panes_at_both_sizes(void **state)
{
	pd_pktdir *pd;
	ui_model m;

	(void)state;
	init(&m, &pd);
	ui_model_select(&m, 2); /* track 3: failed */
	golden("panes_120x36.txt", &m, NULL, 36, 120);
	golden("panes_80x24.txt", &m, NULL, 24, 80);
	m.list = true;
	ui_model_select(&m, 4);
	golden("list_80x24.txt", &m, NULL, 24, 80);
	golden("too_small_79x24.txt", &m, NULL, 24, 79);
	ui_model_free(&m);
	pd_pktdir_free(pd);
}

/* An agent's log: readable lines (calls, outcomes, words wrapped), the
 * current action and the counts in the detail pane; v shows the raw
 * stream; a plain line's escape sequences never reach the screen. */
static const char claude_log[] =
	"=== 2026-12-03T12:58:12Z packetdeck run 54ae4c8a66467b54: track 3 started (runner: claude) ===\n"
	"{\"type\":\"system\",\"subtype\":\"init\",\"cwd\":\"/w/wt-3\",\"session_id\":\"e69c\",\"tools\":[\"Bash\"],\"model\":\"claude\"}\n"
	"{\"type\":\"assistant\",\"message\":{\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"I will write the first part of the API now, then run the tests to see that nothing else broke along the way.\"}],\"usage\":{\"input_tokens\":1200,\"output_tokens\":80}}}\n"
	"{\"type\":\"assistant\",\"message\":{\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Edit\",\"input\":{\"file_path\":\"src/api.py\",\"old_string\":\"a\",\"new_string\":\"b\"}}],\"usage\":{\"input_tokens\":1200,\"output_tokens\":80}}}\n"
	"{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"tool_use_id\":\"toolu_1\",\"type\":\"tool_result\",\"content\":\"The file src/api.py has been updated.\"}]}}\n"
	"{\"type\":\"assistant\",\"message\":{\"id\":\"msg_2\",\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"Bash\",\"input\":{\"command\":\"pytest -q\",\"description\":\"run the tests\"}}],\"usage\":{\"input_tokens\":1500,\"output_tokens\":30}}}\n"
	"{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"tool_use_id\":\"toolu_2\",\"type\":\"tool_result\",\"content\":\"1 failed\",\"is_error\":true}]}}\n"
	"\033[31mplain text in red\033[0m from a hook \033]0;title\007\n"
	"{\"type\":\"assistant\",\"message\":{\"id\":\"msg_3\",\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_3\",\"name\":\"Bash\",\"input\":{\"command\":\"git commit -am 'Task 3.2'\"}}],\"usage\":{\"input_tokens\":1700,\"output_tokens\":20}}}\n";

static void agent_output_readable_and_raw(void **state)
{
	pd_pktdir *pd;
	ui_model m;
	pd_event ev = PD_EVENT_INIT(PD_EV_TRACK_STARTED);

	(void)state;
	init(&m, &pd);
	t_write(dir, ".packetdeck/track-3.log", claude_log);
	ev.track = 3;
	ui_model_event(&m, &ev);
	m.track_started = 0;
	ev = (pd_event)PD_EVENT_INIT(PD_EV_AGENT_ACTIVITY);
	ev.track = 3;
	ev.kind = "tool";
	ev.tool = "Bash";
	ev.summary = "git commit -am 'Task 3.2'";
	ui_model_event(&m, &ev);
	assert_string_equal(m.action, "▸ Bash  git commit -am 'Task 3.2'");
	m.action_since = m.run_started + 754 - 42; /* the goldens' clock: 42 s after it started */
	ev = (pd_event)PD_EVENT_INIT(PD_EV_AGENT_USAGE);
	ev.track = 3;
	ev.turns = 3;
	ev.input_tokens = 4400;
	ev.output_tokens = 130;
	ev.cost_usd = 0.4213;
	ev.has_cost = 1;
	ui_model_event(&m, &ev);
	m.phase = "running";
	golden("agent_readable_120x36.txt", &m, NULL, 36, 120);
	golden("agent_readable_80x24.txt", &m, NULL, 24, 80);
	m.out_raw = true;
	golden("agent_raw_80x24.txt", &m, NULL, 24, 80);
	/* the outcome clears the action */
	ev = (pd_event)PD_EVENT_INIT(PD_EV_AGENT_ACTIVITY);
	ev.track = 3;
	ev.kind = "result";
	ui_model_event(&m, &ev);
	assert_string_equal(m.action, "");
	ui_model_free(&m);
	pd_pktdir_free(pd);
}

/* The detail pane reads the selected packet again; one that no longer
 * reads says why instead of its tasks. */
static void detail_pane_reads_the_packet_again(void **state)
{
	pd_pktdir *pd;
	ui_model m;
	ui_canvas c;
	ui_view_extra x = {0, 1754, "", false};
	int y;
	bool tasks = false, problem = false;

	(void)state;
	init(&m, &pd);
	ui_model_select(&m, 3);
	assert_non_null(ui_model_packet(&m));
	assert_string_equal(ui_model_packet(&m)->tasks[2].title, "Check it");
	t_write(dir, "track-4.md", "nothing to do here\n");
	m.packet_known = false; /* as the dashboard does when the watch names the file */
	assert_int_equal(ui_canvas_init(&c, 36, 120, false), 0);
	ui_view_draw(&c, &m, &x);
	for (y = 0; y < 36; y++) {
		char *row = ui_canvas_row(&c, y);

		tasks = tasks || strstr(row, "Write the first part");
		problem = problem || (strstr(row, "packet: ") && strstr(row, "track-4.md: no tasks found"));
		free(row);
	}
	assert_false(tasks);
	assert_true(problem);
	ui_canvas_free(&c);
	ui_model_free(&m);
	pd_pktdir_free(pd);
}

static void help_and_resume_dialogs(void **state)
{
	pd_pktdir *pd;
	dash d;

	(void)state;
	memset(&d, 0, sizeof(d));
	init(&d.m, &pd);
	d.pd = pd;
	dash_show_help(&d);
	/* every key of the table is in the help */
	{
		const ui_key *k;
		int n = 0;

		for (k = ui_keys(); k->action != UI_ACT_NONE; k++)
			n++;
		assert_int_equal(d.dlg.nlines, n + 1);
	}
	golden("help_120x36.txt", &d.m, &d.dlg, 36, 120);
	assert_true(dash_resume_menu(&d)); /* track 3 failed */
	assert_int_equal(d.dlg.nitems, 1);
	assert_non_null(strstr(d.dlg.items[0], "track 3 api"));
	assert_non_null(strstr(d.dlg.items[0], "after 3.1"));
	golden("resume_80x24.txt", &d.m, &d.dlg, 24, 80);
	ui_dialog_close(&d.dlg);
	ui_model_free(&d.m);
	pd_pktdir_free(pd);
}

static void dialog_keys_and_clicks(void **state)
{
	ui_dialog dlg;
	ui_canvas c;
	int hit;

	(void)state;
	memset(&dlg, 0, sizeof(dlg));
	ui_dialog_open(&dlg, UI_DLG_BLOCKED, "blocked");
	ui_dialog_line(&dlg, UI_NORMAL, "Track 5 (docs) cannot start");
	ui_dialog_choice(&dlg, 'w', "[w]ait", CH_WAIT);
	ui_dialog_choice(&dlg, 'a', "[a]bort", CH_ABORT);
	assert_int_equal(ui_dialog_by_key(&dlg, 'A'), 1);
	assert_int_equal(ui_dialog_by_key(&dlg, 'x'), -1);
	assert_int_equal(ui_canvas_init(&c, 24, 80, false), 0);
	ui_dialog_draw(&c, &dlg);
	hit = ui_dialog_hit(&dlg, dlg.choices[1].at.y, dlg.choices[1].at.x + 2);
	assert_int_equal(hit, 1);
	assert_int_equal(ui_dialog_hit(&dlg, 0, 0), -1);
	ui_canvas_free(&c);
	ui_dialog_close(&dlg);
	/* long text wraps between words; what does not fit ends in "..." */
	ui_dialog_open(&dlg, UI_DLG_FAILURE, "wrap");
	ui_dialog_wrap(&dlg, UI_NORMAL, "aaa bbb ccc", 7, 3);
	ui_dialog_wrap(&dlg, UI_NORMAL, "abcdefghij", 4, 3);
	ui_dialog_wrap(&dlg, UI_NORMAL, "aaa bbb ccc ddd", 7, 1);
	ui_dialog_wrap(&dlg, UI_NORMAL, "ééééé", 3, 2);
	assert_int_equal(dlg.nlines, 8);
	assert_string_equal(dlg.lines[0], "aaa bbb");
	assert_string_equal(dlg.lines[1], "ccc");
	assert_string_equal(dlg.lines[2], "abcd");
	assert_string_equal(dlg.lines[3], "efgh");
	assert_string_equal(dlg.lines[4], "ij");
	assert_string_equal(dlg.lines[5], "aaa ...");
	assert_string_equal(dlg.lines[6], "ééé");
	assert_string_equal(dlg.lines[7], "éé");
	ui_dialog_close(&dlg);
}

static void selection_panning_and_hits(void **state)
{
	pd_pktdir *pd;
	ui_model m;
	int y, x;

	(void)state;
	init(&m, &pd);
	assert_int_equal(m.sel, 0);
	ui_model_move(&m, 1);
	assert_int_equal(m.sel, 1);
	ui_model_move(&m, 10);
	assert_int_equal(m.sel, 4); /* the last in execution order: docs */
	ui_model_move_layer(&m, -1);
	assert_int_equal(m.layout->layer[m.sel], 1);
	assert_true(ui_model_find(&m, "DOC"));
	assert_int_equal(m.sel, 4);
	assert_false(ui_model_find(&m, "nothing"));
	ui_model_node_pos(&m, 2, &y, &x);
	assert_int_equal(ui_model_track_at(&m, y, x + 1), 2);
	assert_int_equal(ui_model_track_at(&m, y + 1, x), PD_NO_TRACK);
	/* a pane smaller than the graph pans to keep the selection visible */
	ui_model_select(&m, 4);
	ui_model_follow(&m, 3, 20);
	ui_model_node_pos(&m, 4, &y, &x);
	assert_true(x >= m.pan_x && x + m.node_w <= m.pan_x + 20 + m.node_w);
	assert_true(y >= m.pan_y && y < m.pan_y + 3);
	assert_int_equal(ui_model_state(&m, 2), PD_STATE_FAILED);
	assert_int_equal(ui_model_state(&m, 4), PD_STATE_BLOCKED);
	ui_model_free(&m);
	pd_pktdir_free(pd);
}

static void key_table_dispatches_what_help_lists(void **state)
{
	ui_special s = {1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011};

	(void)state;
	ui_keys_bind(&s);
	assert_int_equal(ui_key_action('j'), UI_ACT_DOWN);
	assert_int_equal(ui_key_action(1002), UI_ACT_DOWN);
	assert_int_equal(ui_key_action(1001), UI_ACT_UP);
	assert_int_equal(ui_key_action('q'), UI_ACT_QUIT);
	assert_int_equal(ui_key_action('?'), UI_ACT_HELP);
	assert_int_equal(ui_key_action('g'), UI_ACT_VIEW);
	assert_int_equal(ui_key_action('\t'), UI_ACT_FOCUS);
	assert_int_equal(ui_key_action('Z'), UI_ACT_NONE);
}

static void log_tail_reads_backwards_without_a_limit(void **state)
{
	char *path = t_path(dir, "big.log");
	FILE *f = fopen(path, "w");
	ui_lines l;
	int i;

	(void)state;
	for (i = 1; i <= 50000; i++)
		fprintf(f, "line %d of the log\n", i);
	fprintf(f, "partial");
	fclose(f);
	assert_int_equal(ui_log_tail(&l, path, 0, 3), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.line[2], "partial");
	assert_string_equal(l.line[0], "line 49999 of the log");
	ui_lines_free(&l);
	assert_int_equal(ui_log_tail(&l, path, 49990, 5), 0); /* far back: blocks read backwards */
	assert_int_equal(l.n, 5);
	/* 50 001 lines with the partial one: 49 990 back ends at line 11 */
	assert_string_equal(l.line[0], "line 7 of the log");
	assert_string_equal(l.line[4], "line 11 of the log");
	ui_lines_free(&l);
	assert_int_equal(ui_log_tail(&l, path, 50005, 5), 0); /* past the start: none */
	assert_int_equal(l.n, 0);
	ui_lines_free(&l);
	free(path);
	path = t_path(dir, "absent.log");
	assert_int_equal(ui_log_tail(&l, path, 0, 5), 0);
	assert_int_equal(l.n, 0);
	free(path);
}

static void canvas_merges_lines_and_clips_text(void **state)
{
	ui_canvas c;
	ui_rect all = {0, 0, 3, 10};
	char *row;

	(void)state;
	assert_int_equal(ui_canvas_init(&c, 3, 10, false), 0);
	ui_hline(&c, all, 1, 0, 9, UI_EDGE);
	ui_vline(&c, all, 4, 0, 2, UI_EDGE);
	row = ui_canvas_row(&c, 1);
	assert_string_equal(row, "╶───┼────╴");
	free(row);
	ui_put(&c, (ui_rect){0, 0, 1, 6}, 0, 0, -1, UI_NORMAL, "abc\x01" "defgh");
	row = ui_canvas_row(&c, 0);
	assert_int_equal(strncmp(row, "abc?de", 6), 0); /* clipped at 6 columns, control shown as ? */
	assert_string_equal(row + 6, "    "); /* text replaces the line it covers */
	free(row);
	c.ascii = true;
	row = ui_canvas_row(&c, 1);
	assert_string_equal(row, "----+-----");
	free(row);
	assert_int_equal(ui_text_width("✓ 1 a"), 5);
	ui_canvas_free(&c);
}

/* A repository and 2 tracks (2 after 1) run by `runner`, an argv
 * template; worktrees are made by the engine, as in a real run. */
static pd_pktdir *git_world(const char *runner_body)
{
	pd_pktdir *pd = NULL;
	pd_diags diags = {0};
	char *repo = t_path(dir, "repo"), *m = NULL;

	assert_int_equal(pd_repo_init(repo, "main", "t", "t@example.com", "initial"), 0);
	assert_true(asprintf(&m, "{\"format_version\": \"1.0.0\", \"feature\": \"live\", \"project_root\": \"%s\", \"tracks\": ["
			    "{\"id\": 1, \"name\": \"models\", \"packet\": \"track-1.md\", \"worktree\": \"%s/wt1\", \"branch\": \"live/t1\", \"depends_on\": []},"
			    "{\"id\": 2, \"name\": \"api\", \"packet\": \"track-2.md\", \"worktree\": \"%s/wt2\", \"branch\": \"live/t2\", \"depends_on\": [1]}"
			    "], \"merge_strategy\": \"worktree-merge\", \"post_merge_qa\": []}\n",
			    repo, dir, dir) > 0);
	t_write(dir, "packets/manifest.json", m);
	t_write(dir, "packets/track-1.md", "### Task 1.1: Define the models\nRun: true\n");
	t_write(dir, "packets/track-2.md", "### Task 2.1: Serve them\nRun: true\n");
	t_write(dir, "runner.sh", runner_body);
	free(m);
	free(repo);
	repo = t_path(dir, "packets");
	assert_int_equal(pd_pktdir_load(&pd, repo, &diags), 0);
	pd_diags_free(&diags);
	free(repo);
	return pd;
}

/* A dashboard over `pd` whose engine runs `sh DIR/runner.sh {track}`. */
static void live(dash *d, pd_pktdir *pd, char **runner)
{
	memset(d, 0, sizeof(*d));
	d->pd = pd;
	assert_int_equal(ui_model_init(&d->m, pd, false, false), 0);
	assert_true(asprintf(runner, "sh %s/runner.sh {track}", dir) > 0);
	d->o.engine = (pd_engine_options)PD_ENGINE_OPTIONS_INIT;
	d->o.engine.runner = *runner;
	d->o.engine.grace_ms = 500;
	d->o.on_blocked = "ask";
	d->o.handoff = "ask";
	d->o.handoff_timeout_s = 30;
	d->pager_fd = -1;
	assert_int_equal(dash_engine_start(d, false, -1), 0);
}

/* Serve the engine until it asks something (or `until` says so). */
static pd_ask drive(dash *d, bool (*until)(const pd_engine *))
{
	long deadline = pd_now_ms() + 20000; /* by the clock: a poll may return at once */

	while (pd_now_ms() < deadline) {
		struct pollfd fds[PD_ENGINE_MAX_FDS];
		int timeout;
		size_t n;

		if (pd_engine_ask(d->e) != PD_ASK_NONE || (until && until(d->e)))
			break;
		n = pd_engine_pollfds(d->e, fds, &timeout);
		poll(fds, n, timeout < 0 || timeout > 10 ? 10 : timeout);
		pd_engine_handle(d->e, fds, n);
	}
	dash_fresh(d);
	/* what the screen would say of time, fixed */
	d->m.run_started = 1000;
	d->m.track_started = 1000 + 750;
	return pd_engine_ask(d->e);
}

static void end_live(dash *d, pd_pktdir *pd, char *runner)
{
	ui_dialog_close(&d->dlg);
	pd_engine_free(d->e);
	ui_model_free(&d->m);
	pd_pktdir_free(pd);
	free(runner);
}

/* The dialog `kind` is open; its golden screens STEM_120x36 and STEM_80x24. */
static void dialog_goldens(dash *d, ui_dialog_kind kind, const char *stem)
{
	char name[64];

	assert_int_equal(d->dlg.kind, kind);
	snprintf(name, sizeof(name), "%s_120x36.txt", stem);
	golden(name, &d->m, &d->dlg, 36, 120);
	snprintf(name, sizeof(name), "%s_80x24.txt", stem);
	golden(name, &d->m, &d->dlg, 24, 80);
}

/* An agent's end: a commit on the track's branch, and a marker naming it. */
#define MARKER_SH                                                                                \
	"git commit -q --allow-empty -m \"track $1\"\n"                                             \
	"printf '{\"format_version\":\"1.0.0\",\"status\":\"complete\",\"commit\":\"%s\","          \
	"\"timestamp\":\"2026-11-01T09:00:00Z\"}' \"$(git rev-parse HEAD)\" > \"$PACKETDECK_PACKET_DIR/track-$1.completion.json\"\n"

static void handoff_dialog_after_a_track(void **state)
{
	char *runner;
	pd_pktdir *pd = git_world("echo working on track $1\n" MARKER_SH);
	dash d;

	(void)state;
	live(&d, pd, &runner);
	assert_int_equal(drive(&d, NULL), PD_ASK_HANDOFF);
	dash_ask_handoff(&d);
	dialog_goldens(&d, UI_DLG_HANDOFF, "handoff");
	/* Continue: track 2 runs and the run completes */
	dash_dialog_choose(&d, CH_CONTINUE);
	assert_int_equal(drive(&d, NULL), PD_ASK_DONE);
	assert_int_equal(pd_engine_exit_status(d.e), PD_EXIT_OK);
	assert_int_equal(d.m.snap->completed, 2);
	end_live(&d, pd, runner);
}

static void failure_card_quotes_the_log(void **state)
{
	char *runner;
	pd_pktdir *pd = git_world("echo compiling track $1\necho 'error: models.c:12: expected ;' >&2\nexit 3\n");
	dash d;

	(void)state;
	live(&d, pd, &runner);
	assert_int_equal(drive(&d, NULL), PD_ASK_DONE);
	assert_int_equal(pd_engine_exit_status(d.e), PD_EXIT_FAILED);
	dash_show_failure(&d);
	dialog_goldens(&d, UI_DLG_FAILURE, "failure");
	end_live(&d, pd, runner);
}

static void blocked_dialog_names_who_holds_the_track(void **state)
{
	char *runner, *lock;
	pd_pktdir *pd = git_world(MARKER_SH);
	dash d;
	int fd;

	(void)state;
	/* track 1 is being executed elsewhere: its lock is held */
	t_write(dir, "packets/.packetdeck/track-1.lock", "");
	lock = t_path(dir, "packets/.packetdeck/track-1.lock");
	assert_true((fd = open(lock, O_RDWR | O_CLOEXEC)) >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	live(&d, pd, &runner);
	assert_int_equal(drive(&d, NULL), PD_ASK_BLOCKED);
	dash_ask_blocked(&d);
	dialog_goldens(&d, UI_DLG_BLOCKED, "blocked");
	/* Abort: the run ends with 3 and nothing was written */
	dash_dialog_choose(&d, CH_ABORT);
	assert_int_equal(drive(&d, NULL), PD_ASK_DONE);
	assert_int_equal(pd_engine_exit_status(d.e), PD_EXIT_ABORTED);
	assert_int_equal(d.m.snap->completed, 0);
	close(fd);
	free(lock);
	end_live(&d, pd, runner);
}

static bool running(const pd_engine *e)
{
	return pd_engine_running(e);
}

static void quit_dialog_while_a_runner_works(void **state)
{
	char *runner;
	pd_pktdir *pd = git_world("echo long work\nexec sleep 30\n");
	dash d;

	(void)state;
	live(&d, pd, &runner);
	assert_int_equal(drive(&d, running), PD_ASK_NONE);
	assert_true(pd_engine_running(d.e));
	dash_ask_quit(&d);
	assert_int_equal(d.dlg.kind, UI_DLG_QUIT);
	assert_false(d.quit); /* it asks first */
	golden("quit_80x24.txt", &d.m, &d.dlg, 24, 80);
	dash_dialog_choose(&d, CH_YES);
	assert_true(d.quit);
	assert_int_equal(d.status, PD_EXIT_ABORTED);
	assert_false(pd_engine_running(d.e));
	end_live(&d, pd, runner);
}

int main(void)
{
	setenv("TMPDIR", "/tmp", 1); /* the golden screens show scratch paths */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(panes_at_both_sizes, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(agent_output_readable_and_raw, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(help_and_resume_dialogs, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(handoff_dialog_after_a_track, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(failure_card_quotes_the_log, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(blocked_dialog_names_who_holds_the_track, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(quit_dialog_while_a_runner_works, t_setup, t_teardown),
		cmocka_unit_test(dialog_keys_and_clicks),
		cmocka_unit_test_setup_teardown(detail_pane_reads_the_packet_again, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(selection_panning_and_hits, t_setup, t_teardown),
		cmocka_unit_test(key_table_dispatches_what_help_lists),
		cmocka_unit_test_setup_teardown(log_tail_reads_backwards_without_a_limit, t_setup, t_teardown),
		cmocka_unit_test(canvas_merges_lines_and_clips_text),
	};

	setlocale(LC_CTYPE, "C.UTF-8");
	setenv("TERM", "xterm-256color", 1);
	unsetenv("NO_COLOR");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
