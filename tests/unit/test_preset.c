/* test_preset.c - packetdeck's prompt for agents says what the protocol
 * needs (paths, formats, where to start), and a failed agent track is
 * explained by its cause with the agent's own words and a hint. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/explain.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/pktdir.h"
#include "packetdeck/preset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static void has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("missing \"%s\" in:\n%s", part, text);
}

static pd_pktdir *two_tracks(void)
{
	pd_pktdir *pd = NULL;
	pd_diags d = PD_DIAGS_INIT;

	t_packet_dir(dir, TRACK(1, "") "," TRACK(2, "1"), 2);
	assert_int_equal(pd_pktdir_load(&pd, dir, &d), 0);
	pd_diags_free(&d);
	return pd;
}

static void the_prompt_carries_the_protocol_with_the_tracks_paths(void **state)
{
	pd_pktdir *pd = two_tracks();
	const char *real = pd->manifest->dir_real;
	char *p = pd_agent_prompt(pd, 1, NULL), want[4200];

	(void)state;
	assert_non_null(p);
	snprintf(want, sizeof(want), "Packet file: %s/track-2.md\n", real);
	has(p, want);
	snprintf(want, sizeof(want), "Packet dir: %s\n", real);
	has(p, want);
	has(p, "Worktree: /tmp/wt2\n");
	has(p, "Branch: b2\n");
	has(p, "Tasks, in order: 2.1, 2.2\n");
	has(p, "Start at task: 2.1\n");
	snprintf(want, sizeof(want), "Checkpoint file: %s/track-2.checkpoint.json\n", real);
	has(p, want);
	snprintf(want, sizeof(want), "Completion marker: %s/track-2.completion.json\n", real);
	has(p, want);
	/* the seed formats, with this track's id */
	has(p, "{\"format_version\":\"1.0.0\",\"track\":2,\"last_completed_task\":\"ID\",\"commit\":");
	has(p, "\"next_task\":\"<the next task's ID, or null after the last>\"}");
	has(p, "{\"format_version\":\"1.0.0\",\"status\":\"complete\",\"commit\":");
	/* what packetdeck checks, and what is forbidden */
	has(p, "commit its changes in the worktree");
	has(p, "renamed over the checkpoint file");
	has(p, "its commit must be on branch b2");
	has(p, "Never write the marker for work that is not committed");
	has(p, "never touch manifest.json");
	has(p, "do not write the marker");
	free(p);
	/* resuming: where the checkpoint says; nothing left: only the marker */
	p = pd_agent_prompt(pd, 1, "2.2");
	has(p, "Start at task: 2.2\n");
	has(p, "do not redo them");
	free(p);
	p = pd_agent_prompt(pd, 1, "");
	has(p, "Start at task: none (every task is done: write the completion marker)\n");
	free(p);
	pd_pktdir_free(pd);
}

static pd_agent_summary quiet(void)
{
	pd_agent_summary s;

	memset(&s, 0, sizeof(s));
	s.kind = PD_AGENT_CLAUDE;
	s.lines = 5;
	return s;
}

static void explain(const pd_explain_input *in, char *msg, char *hint)
{
	pd_explain_failure(in, msg, 1200, hint, 600);
}

static void refused_tool_calls_name_the_calls_and_the_permissions(void **state)
{
	pd_agent_summary s = quiet();
	pd_agent_denial den[] = {{"Bash", "git commit -m \"Task 1.1\"", 3}, {"Write", "/p/track-1.checkpoint.json", 1}};
	pd_marker mk = {0};
	pd_explain_input in = {"claude", pd_preset_find("claude"), &s, 0, &mk, false, "/p/.packetdeck/track-1.log"};
	char msg[1200], hint[600];

	(void)state;
	s.denials = den;
	s.ndenials = 2;
	s.denials_total = 4;
	s.has_result = true;
	s.result_text = "I could not commit:\nthe permission was denied.";
	explain(&in, msg, hint);
	assert_string_equal(msg, "claude refused 4 tool calls (Bash: git commit -m \"Task 1.1\"; Write: "
				 "/p/track-1.checkpoint.json); claude said: I could not commit: the "
				 "permission was denied. (the whole output: /p/.packetdeck/track-1.log)");
	has(hint, "--allowedTools=Bash,Edit,Write,Read --add-dir={packet_dir}");
	/* codex: its sandbox */
	s.kind = PD_AGENT_CODEX;
	in.preset = pd_preset_find("codex");
	in.runner = "codex";
	explain(&in, msg, hint);
	has(msg, "codex refused 4 tool calls");
	has(hint, "--sandbox workspace-write");
}

static void other_causes_each_say_their_own(void **state)
{
	pd_agent_summary s = quiet();
	pd_marker mk = {0};
	pd_explain_input in = {"claude-slash", pd_preset_find("claude-slash"), &s, 0, &mk, false, NULL};
	char msg[1200], hint[600];

	(void)state;
	s.unknown_command = true;
	s.unknown_command_text = "Unknown command: /execute-work-packet";
	explain(&in, msg, hint);
	assert_string_equal(msg, "claude does not know the command: Unknown command: /execute-work-packet");
	has(hint, "--runner claude passes packetdeck's own prompt");

	s.unknown_command = false;
	mk.state = PD_FILE_CORRUPT;
	mk.refused = true;
	mk.problem = "/p/track-1.completion.json: commit 0123456789ab is not in the repository";
	s.result_text = "Track 1 complete.";
	in.preset = pd_preset_find("claude");
	explain(&in, msg, hint);
	assert_string_equal(msg, "its completion marker is not backed by the branch: /p/track-1.completion.json: "
				 "commit 0123456789ab is not in the repository; claude said: Track 1 complete.");
	has(hint, "never touches a marker");

	mk.state = PD_FILE_ABSENT;
	s.result_text = NULL;
	s.last_error = "API Error: Unable to connect to API (ConnectionRefused)";
	in.wstatus = 1 << 8; /* exit status 1 */
	explain(&in, msg, hint);
	assert_string_equal(msg, "claude could not reach its model (exit status 1); claude said: API Error: "
				 "Unable to connect to API (ConnectionRefused)");
	has(hint, "ANTHROPIC_BASE_URL");

	/* no stream: the last lines it printed */
	memset(&s, 0, sizeof(s));
	s.tail[0] = "working on it";
	s.tail[1] = "giving up: disk full";
	s.ntail = 2;
	s.lines = 2;
	in.preset = NULL;
	in.runner = "my-agent {packet}";
	explain(&in, msg, hint);
	assert_string_equal(msg, "the runner failed (exit status 1); it said: working on it / giving up: disk full");
	assert_string_equal(hint, "");

	in.wstatus = 0;
	explain(&in, msg, hint);
	assert_string_equal(msg, "the runner exited 0 without a valid completion marker (protocol violation: "
				 "re-run the track); it said: working on it / giving up: disk full");
	memset(&s, 0, sizeof(s));
	explain(&in, msg, hint);
	has(msg, "; it printed nothing");
}

static void a_usage_limit_says_until_when(void **state)
{
	pd_agent_summary s = quiet();
	pd_marker mk = {0};
	pd_explain_input in = {"claude", pd_preset_find("claude"), &s, 1 << 8, &mk, false, NULL};
	char msg[1200], hint[600];

	(void)state;
	s.limited = true;
	s.resets_at = 1796281800; /* 2026-12-03T07:10:00Z */
	s.limit_message = "You've hit your session limit · resets 7:10am (UTC)";
	explain(&in, msg, hint);
	assert_string_equal(msg, "claude hit a usage limit until 2026-12-03T07:10:00Z; claude said: You've hit "
				 "your session limit · resets 7:10am (UTC)");
	has(hint, "after the reset");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_prompt_carries_the_protocol_with_the_tracks_paths, t_setup,
						t_teardown),
		cmocka_unit_test(refused_tool_calls_name_the_calls_and_the_permissions),
		cmocka_unit_test(other_causes_each_say_their_own),
		cmocka_unit_test(a_usage_limit_says_until_when),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	pd_git_shutdown();
	return failed;
}
