/* test_agentstream.c - reading claude's stream-json and codex's exec --json:
 * activities and summaries field by field, garbage of every kind, and the
 * usage-limit texts with fixed clocks (the process runs with TZ=UTC, set
 * here; the core never touches TZ). */
#define _GNU_SOURCE /* timegm */
#include "test.h"
#include "packetdeck/agentstream.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOW ((time_t)1767571200) /* 2026-01-05 00:00:00 UTC */

static time_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm);
}

static pd_agent_stream *stream(pd_agent_kind kind)
{
	pd_agent_stream *s = NULL;

	assert_int_equal(pd_agent_stream_new(&s, kind), 0);
	assert_non_null(s);
	return s;
}

/* Feed one line at NOW; the activity is valid until the next feed. */
static pd_agent_activity feed(pd_agent_stream *s, const char *line)
{
	pd_agent_activity act;

	assert_int_equal(pd_agent_stream_feed(s, line, strlen(line), false, NOW, &act), 0);
	assert_non_null(act.summary);
	return act;
}

static void expect_act(pd_agent_activity a, pd_activity_kind kind, const char *tool,
		       const char *summary)
{
	if (a.kind != kind)
		fail_msg("kind %d, expected %d (summary \"%s\")", (int)a.kind, (int)kind, a.summary);
	if (tool)
		assert_string_equal(a.tool ? a.tool : "(null)", tool);
	else
		assert_null(a.tool);
	assert_string_equal(a.summary, summary);
}

static bool clean_text(const char *s)
{
	const char *what;
	size_t i, len = strlen(s);

	if (pd_text_bad_offset(s, len, &what) != len)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			return false;
	return true;
}

/* ---- claude ------------------------------------------------------- */

static void claude_run_is_read_field_by_field(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_AUTO);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;

	(void)state;
	assert_int_equal(sum->kind, PD_AGENT_AUTO);
	a = feed(s, "{\"type\":\"system\",\"subtype\":\"init\",\"cwd\":\"/wt\","
		    "\"session_id\":\"5b1c-77\",\"tools\":[\"Bash\",\"Read\"],"
		    "\"permissionMode\":\"default\",\"slash_commands\":[]}");
	expect_act(a, PD_ACT_NONE, NULL, "");
	assert_int_equal(sum->kind, PD_AGENT_CLAUDE);
	assert_string_equal(sum->session_id, "5b1c-77");
	a = feed(s, "{\"type\":\"assistant\",\"message\":{\"model\":\"claude\","
		    "\"content\":[{\"type\":\"text\","
		    "\"text\":\"\\nI'll run the tests first.\\nThen fix.\"}],"
		    "\"usage\":{\"input_tokens\":3}},\"session_id\":\"5b1c-77\"}");
	expect_act(a, PD_ACT_MESSAGE, NULL, "I'll run the tests first.");
	a = feed(s, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\","
		    "\"id\":\"toolu_1\",\"name\":\"Bash\",\"input\":{\"command\":\"pytest -q\","
		    "\"description\":\"Run tests\"}}]}}");
	expect_act(a, PD_ACT_TOOL, "Bash", "pytest -q");
	assert_int_equal(a.exit_code, -1);
	a = feed(s, "{\"type\":\"user\",\"message\":{\"role\":\"user\","
		    "\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\","
		    "\"content\":\"3 passed\",\"is_error\":false}]},"
		    "\"tool_use_result\":{\"stdout\":\"3 passed\",\"stderr\":\"\","
		    "\"interrupted\":false}}");
	expect_act(a, PD_ACT_RESULT, "Bash", "pytest -q");
	assert_int_equal(a.exit_code, 0);
	assert_false(a.is_error);
	a = feed(s, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\","
		    "\"text\":\"Editing.\"},{\"type\":\"tool_use\",\"id\":\"toolu_2\","
		    "\"name\":\"Edit\",\"input\":{\"file_path\":\"/wt/src/a.c\","
		    "\"old_string\":\"x\",\"new_string\":\"y\"}}]}}");
	expect_act(a, PD_ACT_TOOL, "Edit", "/wt/src/a.c");
	a = feed(s, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\","
		    "\"id\":\"toolu_3\",\"name\":\"Bash\","
		    "\"input\":{\"command\":\"make check\"}}]}}");
	a = feed(s, "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\","
		    "\"tool_use_id\":\"toolu_3\",\"content\":[{\"type\":\"text\","
		    "\"text\":\"Exit code 2\\nmake: *** [check] Error 2\"}],\"is_error\":true}]}}");
	expect_act(a, PD_ACT_RESULT, "Bash", "make check");
	assert_int_equal(a.exit_code, 2);
	assert_true(a.is_error);
	a = feed(s, "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\","
		    "\"tool_use_id\":\"toolu_unseen\",\"content\":\"  \\n first line\\nsecond\","
		    "\"is_error\":false}]}}");
	expect_act(a, PD_ACT_RESULT, NULL, "first line");
	assert_int_equal(a.exit_code, -1);
	a = feed(s, "{\"type\":\"rate_limit_event\",\"rate_limit_info\":{\"status\":\"allowed\","
		    "\"resetsAt\":1767589200,\"rateLimitType\":\"five_hour\"}}");
	expect_act(a, PD_ACT_NONE, NULL, "");
	assert_false(sum->limited);
	assert_false(sum->has_result);
	a = feed(s, "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
		    "\"duration_ms\":4200,\"num_turns\":7,"
		    "\"result\":\"All done.\\n\\nTests pass.\",\"session_id\":\"5b1c-77\","
		    "\"total_cost_usd\":0.0425,\"usage\":{\"input_tokens\":120,"
		    "\"cache_read_input_tokens\":9000,\"output_tokens\":640},"
		    "\"permission_denials\":[]}");
	expect_act(a, PD_ACT_DONE, NULL, "All done.");
	assert_false(a.is_error);

	assert_true(sum->has_result);
	assert_false(sum->is_error);
	assert_string_equal(sum->result_text, "All done.\n\nTests pass.");
	assert_null(sum->last_error);
	assert_int_equal(sum->turns, 7);
	assert_int_equal(sum->input_tokens, 120);
	assert_int_equal(sum->cached_input_tokens, 9000);
	assert_int_equal(sum->output_tokens, 640);
	assert_true(sum->has_cost);
	assert_true(sum->cost_usd > 0.0424 && sum->cost_usd < 0.0426);
	assert_int_equal(sum->ndenials, 0);
	assert_false(sum->unknown_command);
	assert_false(sum->limited);
	assert_int_equal(sum->errors, 0);
	assert_int_equal(sum->progress, 7); /* message, 3 tools, 3 results */
	assert_int_equal(sum->lines, 10);
	assert_int_equal(sum->ntail, 0);
	pd_agent_stream_free(s);
}

static void claude_permission_denials_are_collected_once_each(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_CLAUDE);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;

	(void)state;
	feed(s, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\","
		"\"id\":\"t9\",\"name\":\"Bash\",\"input\":{\"command\":\"git commit -m x\"}}]}}");
	a = feed(s, "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\","
		    "\"tool_use_id\":\"t9\",\"content\":\"Claude requested permissions to use Bash,"
		    " but you haven't granted it yet.\",\"is_error\":true}]}}");
	expect_act(a, PD_ACT_RESULT, "Bash", "git commit -m x");
	assert_true(a.is_error);
	assert_int_equal(sum->ndenials, 1); /* seen live, before any result */
	a = feed(s, "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
		    "\"num_turns\":3,\"result\":\"I could not commit.\","
		    "\"permission_denials\":[{\"tool_name\":\"Bash\",\"tool_use_id\":\"t9\","
		    "\"tool_input\":{\"command\":\"git commit -m x\"}},{\"tool_name\":\"Write\","
		    "\"tool_use_id\":\"t10\",\"tool_input\":{\"file_path\":\"/etc/x\","
		    "\"content\":\"y\"}},{\"tool_name\":\"Bash\",\"tool_use_id\":\"t11\","
		    "\"tool_input\":{\"command\":\"git commit -m x\"}},{\"tool_name\":5,"
		    "\"tool_input\":null},\"junk\"]}");
	expect_act(a, PD_ACT_DONE, NULL, "I could not commit.");
	/* t9 was counted live; t11 is the same command refused again; the
	 * entry without a name is kept as "?", the string is no entry */
	assert_int_equal(sum->ndenials, 3);
	assert_int_equal(sum->denials_total, 4);
	assert_string_equal(sum->denials[0].tool, "Bash");
	assert_string_equal(sum->denials[0].detail, "git commit -m x");
	assert_int_equal(sum->denials[0].count, 2);
	assert_string_equal(sum->denials[1].tool, "Write");
	assert_string_equal(sum->denials[1].detail, "/etc/x");
	assert_int_equal(sum->denials[1].count, 1);
	assert_string_equal(sum->denials[2].tool, "?");
	assert_string_equal(sum->denials[2].detail, "");
	assert_false(sum->is_error);
	pd_agent_stream_free(s);
}

static void many_denials_are_counted_past_the_kept_ones(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_CLAUDE);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	size_t cap = 200 * 80 + 200, n, i;
	char *line = malloc(cap);

	(void)state;
	assert_non_null(line);
	n = (size_t)snprintf(line, cap, "{\"type\":\"result\",\"subtype\":\"success\","
					"\"permission_denials\":[");
	for (i = 0; i < 200; i++)
		n += (size_t)snprintf(line + n, cap - n, "%s{\"tool_name\":\"Bash\",\"tool_input\":"
							 "{\"command\":\"rm %zu\"}}",
				      i ? "," : "", i);
	snprintf(line + n, cap - n, "]}");
	feed(s, line);
	assert_int_equal(sum->ndenials, PD_AGENT_DENIALS_KEEP);
	assert_int_equal(sum->denials_total, 200);
	assert_string_equal(sum->denials[PD_AGENT_DENIALS_KEEP - 1].detail, "rm 63");
	free(line);
	pd_agent_stream_free(s);
}

static void claude_usage_limit_takes_the_events_reset_time(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_AUTO);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;

	(void)state;
	a = feed(s, "{\"type\":\"rate_limit_event\",\"rate_limit_info\":{\"status\":\"rejected\","
		    "\"resetsAt\":1767598000,\"rateLimitType\":\"five_hour\","
		    "\"overageStatus\":\"rejected\"},\"session_id\":\"s\"}");
	expect_act(a, PD_ACT_ERROR, NULL, "usage limit reached (five_hour)");
	assert_true(sum->limited);
	assert_int_equal(sum->resets_at, 1767598000);
	assert_string_equal(sum->limit_message, "usage limit reached (five_hour)");
	a = feed(s, "{\"type\":\"assistant\",\"message\":{\"model\":\"<synthetic>\","
		    "\"content\":[{\"type\":\"text\","
		    "\"text\":\"You've hit your session limit \xc2\xb7 resets 7:46am (UTC)\"}]},"
		    "\"error\":\"rate_limit\"}");
	expect_act(a, PD_ACT_ERROR, NULL, "You've hit your session limit \xc2\xb7 resets 7:46am (UTC)");
	a = feed(s, "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,"
		    "\"api_error_status\":429,\"num_turns\":1,"
		    "\"result\":\"You've hit your session limit \xc2\xb7 resets 7:46am (UTC)\","
		    "\"total_cost_usd\":0}");
	expect_act(a, PD_ACT_DONE, NULL, "You've hit your session limit \xc2\xb7 resets 7:46am (UTC)");
	assert_true(a.is_error);
	assert_true(sum->limited);
	assert_int_equal(sum->resets_at, 1767598000); /* the event's, not the text's 07:46 */
	assert_string_equal(sum->limit_message, "You've hit your session limit \xc2\xb7 resets 7:46am (UTC)");
	assert_true(sum->has_result);
	assert_true(sum->is_error);
	assert_string_equal(sum->last_error, "You've hit your session limit \xc2\xb7 resets 7:46am (UTC)");
	assert_int_equal(sum->errors, 3);
	assert_int_equal(sum->progress, 0);
	assert_true(sum->has_cost);
	pd_agent_stream_free(s);
}

static void claude_limit_text_alone_gives_the_time_and_an_error(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_CLAUDE);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;

	(void)state;
	a = feed(s, "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
		    "\"num_turns\":1,\"result\":\"Claude AI usage limit reached|1767225600\"}");
	assert_true(a.is_error);
	assert_true(sum->limited);
	assert_true(sum->is_error);
	assert_int_equal(sum->resets_at, 1767225600);
	assert_int_equal(sum->errors, 1);
	pd_agent_stream_free(s);

	s = stream(PD_AGENT_CLAUDE);
	sum = pd_agent_stream_summary(s);
	a = feed(s, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":"
		    "\"You've hit your session limit \xc2\xb7 resets 1:10am (UTC)\"}]}}");
	expect_act(a, PD_ACT_ERROR, NULL, "You've hit your session limit \xc2\xb7 resets 1:10am (UTC)");
	assert_true(sum->limited);
	assert_int_equal(sum->resets_at, utc(2026, 1, 5, 1, 10));
	assert_int_equal(sum->progress, 0);
	pd_agent_stream_free(s);
}

static void agent_prose_quoting_a_limit_is_not_a_limit(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_AUTO);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;

	(void)state;
	a = feed(s, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\""
		    ":\"The parser now "
		    "reads lines such as You've hit your session limit \xc2\xb7 resets 1:10am (UTC)"
		    ".\"}]}}");
	assert_int_equal(a.kind, PD_ACT_MESSAGE);
	feed(s, "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
		"\"result\":\"Done: handles \\\"Claude AI usage limit reached|1767225600\\\" "
		"and codex's usage_limit_reached.\"}");
	feed(s, "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_1\","
		"\"type\":\"agent_message\","
		"\"text\":\"You've hit your usage limit. Try again at 7:48 AM.\"}}");
	assert_false(sum->limited);
	assert_false(sum->is_error);
	assert_int_equal(sum->resets_at, 0);
	assert_null(sum->limit_message);
	assert_int_equal(sum->progress, 2);
	pd_agent_stream_free(s);
}

static void claude_api_retries_and_api_errors_are_errors(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_CLAUDE);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;

	(void)state;
	a = feed(s, "{\"type\":\"system\",\"subtype\":\"api_retry\",\"attempt\":2,"
		    "\"max_retries\":10,\"retry_delay_ms\":1200,\"error_status\":529,"
		    "\"error\":\"overloaded\",\"session_id\":\"s\"}");
	expect_act(a, PD_ACT_ERROR, NULL, "API retry 2/10: overloaded (HTTP 529)");
	assert_int_equal(sum->errors, 1);
	assert_string_equal(sum->last_error, "API retry 2/10: overloaded (HTTP 529)");
	a = feed(s, "{\"type\":\"system\",\"subtype\":\"compact_boundary\","
		    "\"compact_metadata\":{\"trigger\":\"auto\"}}");
	expect_act(a, PD_ACT_NONE, NULL, "");
	a = feed(s, "{\"type\":\"system\",\"subtype\":\"hook_error\"}");
	expect_act(a, PD_ACT_ERROR, NULL, "hook_error");
	a = feed(s, "{\"type\":\"assistant\",\"message\":{\"model\":\"<synthetic>\","
		    "\"content\":[{\"type\":\"text\","
		    "\"text\":\"API Error: Unable to connect to API (ConnectionRefused)\"}]}}");
	expect_act(a, PD_ACT_ERROR, NULL, "API Error: Unable to connect to API (ConnectionRefused)");
	a = feed(s, "{\"type\":\"result\",\"subtype\":\"error_max_turns\",\"is_error\":false,"
		    "\"num_turns\":50,\"errors\":[\"Reached maximum number of turns (50)\"]}");
	expect_act(a, PD_ACT_DONE, NULL, "Reached maximum number of turns (50)");
	assert_true(a.is_error);
	assert_true(sum->is_error);
	assert_null(sum->result_text);
	assert_string_equal(sum->last_error, "Reached maximum number of turns (50)");
	assert_int_equal(sum->errors, 4);
	assert_int_equal(sum->progress, 0);
	assert_false(sum->limited);
	pd_agent_stream_free(s);
}

static void unknown_command_is_noticed_as_text_and_as_result(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_AUTO);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;

	(void)state;
	a = feed(s, "Unknown command: /execute-work-packet");
	expect_act(a, PD_ACT_NONE, NULL, "");
	assert_true(sum->unknown_command);
	assert_string_equal(sum->unknown_command_text, "Unknown command: /execute-work-packet");
	assert_int_equal(sum->ntail, 1);
	assert_int_equal(sum->progress, 0);
	pd_agent_stream_free(s);

	s = stream(PD_AGENT_CLAUDE);
	sum = pd_agent_stream_summary(s);
	feed(s, "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"num_turns\":0,"
		"\"result\":\"Unknown command: /execute-work-packet\",\"total_cost_usd\":0}");
	assert_true(sum->unknown_command);
	assert_string_equal(sum->unknown_command_text, "Unknown command: /execute-work-packet");
	assert_false(sum->limited);
	pd_agent_stream_free(s);

	s = stream(PD_AGENT_CLAUDE);
	sum = pd_agent_stream_summary(s);
	a = feed(s, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\","
		    "\"text\":\"Unknown command: /execute-work-packet\"}]}}");
	expect_act(a, PD_ACT_MESSAGE, NULL, "Unknown command: /execute-work-packet");
	assert_true(sum->unknown_command);
	pd_agent_stream_free(s);

	s = stream(PD_AGENT_CLAUDE);
	sum = pd_agent_stream_summary(s);
	feed(s, "I saw \"Unknown command: /x\" in the log.");
	assert_false(sum->unknown_command);
	assert_null(sum->unknown_command_text);
	pd_agent_stream_free(s);
}

/* ---- codex -------------------------------------------------------- */

static void codex_run_is_read_field_by_field(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_AUTO);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;

	(void)state;
	a = feed(s, "Reading additional input from stdin...");
	expect_act(a, PD_ACT_NONE, NULL, "");
	a = feed(s, "{\"type\":\"thread.started\","
		    "\"thread_id\":\"0199a213-81c0-7800-8aa1-bbab2a035a53\"}");
	expect_act(a, PD_ACT_NONE, NULL, "");
	assert_int_equal(sum->kind, PD_AGENT_CODEX);
	assert_string_equal(sum->session_id, "0199a213-81c0-7800-8aa1-bbab2a035a53");
	feed(s, "{\"type\":\"turn.started\"}");
	a = feed(s, "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_0\","
		    "\"type\":\"reasoning\",\"text\":\"**Planning the fix**\"}}");
	expect_act(a, PD_ACT_MESSAGE, "reasoning", "**Planning the fix**");
	a = feed(s, "{\"type\":\"item.started\",\"item\":{\"id\":\"item_1\","
		    "\"type\":\"command_execution\",\"command\":\"bash -lc 'pytest -q'\","
		    "\"aggregated_output\":\"\",\"exit_code\":null,\"status\":\"in_progress\"}}");
	expect_act(a, PD_ACT_TOOL, "command_execution", "pytest -q");
	assert_int_equal(a.exit_code, -1);
	a = feed(s, "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_1\","
		    "\"type\":\"command_execution\",\"command\":\"bash -lc 'pytest -q'\","
		    "\"aggregated_output\":\"3 passed\\n\",\"exit_code\":0,"
		    "\"status\":\"completed\"}}");
	expect_act(a, PD_ACT_RESULT, "command_execution", "pytest -q");
	assert_int_equal(a.exit_code, 0);
	assert_false(a.is_error);
	a = feed(s, "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_2\","
		    "\"type\":\"command_execution\",\"command\":\"/bin/bash -lc 'make check'\","
		    "\"aggregated_output\":\"boom\",\"exit_code\":2,\"status\":\"failed\"}}");
	expect_act(a, PD_ACT_RESULT, "command_execution", "make check");
	assert_int_equal(a.exit_code, 2);
	assert_true(a.is_error);
	a = feed(s, "{\"type\":\"item.started\",\"item\":{\"id\":\"item_3\",\"type\":\"todo_list\","
		    "\"items\":[{\"text\":\"read code\",\"completed\":true},"
		    "{\"text\":\"write tests\",\"completed\":false}]}}");
	expect_act(a, PD_ACT_MESSAGE, "todo_list", "1/2 done: write tests");
	a = feed(s, "{\"type\":\"item.updated\",\"item\":{\"id\":\"item_4\","
		    "\"type\":\"file_change\",\"changes\":[{\"path\":\"src/a.c\","
		    "\"kind\":\"update\"},{\"path\":\"src/b.c\",\"kind\":\"add\"}],"
		    "\"status\":\"in_progress\"}}");
	expect_act(a, PD_ACT_TOOL, "file_change", "src/a.c (+1 more)");
	a = feed(s, "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_4\",\"type\":\"file_chang"
		    "e\",\"changes\":["
		    "{\"path\":\"src/a.c\",\"kind\":\"update\"}],\"status\":\"completed\"}}");
	expect_act(a, PD_ACT_RESULT, "file_change", "src/a.c");
	assert_false(a.is_error);
	a = feed(s, "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_5\","
		    "\"type\":\"mcp_tool_call\",\"server\":\"docs\",\"tool\":\"search\","
		    "\"arguments\":{},\"result\":null,\"error\":{\"message\":\"x\"},"
		    "\"status\":\"failed\"}}");
	expect_act(a, PD_ACT_RESULT, "mcp_tool_call", "docs: search");
	assert_true(a.is_error);
	a = feed(s, "{\"type\":\"item.started\",\"item\":{\"id\":\"item_6\",\"type\":\"web_search\""
		    ",\"query\":"
		    "\"cmocka 1.1.5\"}}");
	expect_act(a, PD_ACT_TOOL, "web_search", "cmocka 1.1.5");
	a = feed(s, "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_7\","
		    "\"type\":\"agent_message\",\"text\":\"Fixed the parser.\\nAll tests pass.\"}}");
	expect_act(a, PD_ACT_MESSAGE, NULL, "Fixed the parser.");
	a = feed(s, "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":24763,"
		    "\"cached_input_tokens\":24448,\"output_tokens\":122}}");
	expect_act(a, PD_ACT_DONE, NULL, "Fixed the parser.");
	assert_false(a.is_error);

	assert_true(sum->has_result);
	assert_false(sum->is_error);
	assert_string_equal(sum->result_text, "Fixed the parser.\nAll tests pass.");
	assert_int_equal(sum->turns, 1);
	assert_int_equal(sum->input_tokens, 24763);
	assert_int_equal(sum->cached_input_tokens, 24448);
	assert_int_equal(sum->output_tokens, 122);
	assert_false(sum->has_cost);
	assert_int_equal(sum->errors, 0);
	assert_int_equal(sum->warnings, 0);
	assert_int_equal(sum->progress, 10);
	assert_int_equal(sum->ntail, 1);
	assert_string_equal(sum->tail[0], "Reading additional input from stdin...");
	assert_null(sum->last_error);
	pd_agent_stream_free(s);
}

static void codex_reconnects_warnings_and_failed_turns(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_CODEX);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;
	int i;

	(void)state;
	feed(s, "{\"type\":\"thread.started\",\"thread_id\":\"t\"}");
	feed(s, "{\"type\":\"turn.started\"}");
	for (i = 0; i < 3; i++) {
		a = feed(s, "{\"type\":\"error\","
			    "\"message\":\"Reconnecting... 1/5 (stream disconnected before completion: "
			    "error sending request)\"}");
		expect_act(a, PD_ACT_ERROR, NULL,
			   "Reconnecting... 1/5 (stream disconnected before completion: error sending request)");
	}
	a = feed(s, "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_0\",\"type\":\"error\","
		    "\"message\":\"model rerouted: gpt-5 -> gpt-5-mini\"}}");
	expect_act(a, PD_ACT_ERROR, "error", "model rerouted: gpt-5 -> gpt-5-mini");
	assert_int_equal(sum->errors, 3);
	assert_int_equal(sum->warnings, 1);
	assert_false(sum->has_result);
	a = feed(s, "{\"type\":\"turn.failed\","
		    "\"error\":{\"message\":\"stream disconnected: retry limit exceeded\"}}");
	expect_act(a, PD_ACT_DONE, NULL, "stream disconnected: retry limit exceeded");
	assert_true(a.is_error);
	assert_true(sum->has_result);
	assert_true(sum->is_error);
	assert_string_equal(sum->last_error, "stream disconnected: retry limit exceeded");
	assert_int_equal(sum->errors, 4);
	assert_int_equal(sum->progress, 0);
	assert_false(sum->limited);
	pd_agent_stream_free(s);
}

static void codex_usage_limit_reads_the_local_time(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_AUTO);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	const char *msg = "You\xe2\x80\x99ve hit your usage limit. Upgrade to Pro "
			  "(https://chatgpt.com/explore/pro), visit https://chatgpt.com/codex/settings/usage "
			  "to purchase more credits or try again at 7:48 AM.";
	char line[512];
	pd_agent_activity a;

	(void)state;
	feed(s, "{\"type\":\"thread.started\",\"thread_id\":\"t\"}");
	feed(s, "{\"type\":\"turn.started\"}");
	snprintf(line, sizeof(line), "{\"type\":\"error\",\"message\":\"%s\"}", msg);
	a = feed(s, line);
	assert_int_equal(a.kind, PD_ACT_ERROR);
	assert_true(sum->limited);
	assert_int_equal(sum->resets_at, utc(2026, 1, 5, 7, 48));
	assert_string_equal(sum->limit_message, msg);
	snprintf(line, sizeof(line), "{\"type\":\"turn.failed\",\"error\":{\"message\":\"%s\"}}", msg);
	a = feed(s, line);
	assert_true(a.is_error);
	assert_true(sum->is_error);
	assert_int_equal(sum->errors, 2);
	pd_agent_stream_free(s);

	/* a non-fatal error item can say it too */
	s = stream(PD_AGENT_CODEX);
	sum = pd_agent_stream_summary(s);
	a = feed(s, "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_3\",\"type\":\"error\","
		    "\"message\":\"You've hit your usage limit. Try again in 2 hours.\"}}");
	assert_int_equal(a.kind, PD_ACT_ERROR);
	assert_true(sum->limited);
	assert_int_equal(sum->resets_at, NOW + 2 * 3600);
	assert_int_equal(sum->warnings, 1);
	pd_agent_stream_free(s);
}

static void codex_commands_are_unwrapped_and_declines_are_denials(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_CODEX);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;

	(void)state;
	a = feed(s, "{\"type\":\"item.started\",\"item\":{\"id\":\"i\","
		    "\"type\":\"command_execution\","
		    "\"command\":\"/usr/bin/zsh -lc \\\"echo \\\\\\\"hi\\\\\\\" && ls\\\"\","
		    "\"status\":\"in_progress\"}}");
	expect_act(a, PD_ACT_TOOL, "command_execution", "echo \"hi\" && ls");
	a = feed(s, "{\"type\":\"item.started\",\"item\":{\"id\":\"i\","
		    "\"type\":\"command_execution\","
		    "\"command\":\"bash -lc 'cat <<'\\\"'\\\"'EOF'\\\"'\\\"' > f\\nline\\nEOF'\","
		    "\"status\":\"in_progress\"}}");
	expect_act(a, PD_ACT_TOOL, "command_execution", "cat <<'EOF' > f");
	a = feed(s, "{\"type\":\"item.started\",\"item\":{\"id\":\"i\",\"type\":\"command_executio"
		    "n\",\"command\":"
		    "\"rg -n 'foo bar' src\",\"status\":\"in_progress\"}}");
	expect_act(a, PD_ACT_TOOL, "command_execution", "rg -n 'foo bar' src");
	a = feed(s, "{\"type\":\"item.started\",\"item\":{\"id\":\"i\",\"type\":\"command_executio"
		    "n\",\"command\":"
		    "\"bash -lc 'a' extra\",\"status\":\"in_progress\"}}");
	expect_act(a, PD_ACT_TOOL, "command_execution", "bash -lc 'a' extra");
	a = feed(s, "{\"type\":\"item.completed\",\"item\":{\"id\":\"i\","
		    "\"type\":\"command_execution\",\"command\":\"bash -lc 'git commit -m x'\","
		    "\"aggregated_output\":\"\",\"exit_code\":null,\"status\":\"declined\"}}");
	expect_act(a, PD_ACT_RESULT, "command_execution", "git commit -m x");
	assert_true(a.is_error);
	assert_int_equal(a.exit_code, -1);
	assert_int_equal(sum->ndenials, 1);
	assert_string_equal(sum->denials[0].tool, "command_execution");
	assert_string_equal(sum->denials[0].detail, "git commit -m x");
	pd_agent_stream_free(s);
}

static void a_fixed_kind_ignores_the_other_clis_lines(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_CLAUDE);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;

	(void)state;
	a = feed(s, "{\"type\":\"item.completed\",\"item\":{\"id\":\"x\",\"type\":\"agent_message\""
		    ",\"text\":\"hi\"}}");
	expect_act(a, PD_ACT_NONE, NULL, "");
	a = feed(s, "{\"type\":\"turn.failed\",\"error\":{\"message\":\"bad\"}}");
	expect_act(a, PD_ACT_NONE, NULL, "");
	assert_int_equal(sum->kind, PD_AGENT_AUTO);
	assert_int_equal(sum->progress, 0);
	assert_int_equal(sum->errors, 0);
	assert_false(sum->has_result);
	assert_null(sum->result_text);
	pd_agent_stream_free(s);

	s = stream(PD_AGENT_CODEX);
	sum = pd_agent_stream_summary(s);
	a = feed(s, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\""
		    ":\"hi\"}]}}");
	expect_act(a, PD_ACT_NONE, NULL, "");
	a = feed(s, "{\"type\":\"result\",\"subtype\":\"success\",\"result\":\"x\"}");
	expect_act(a, PD_ACT_NONE, NULL, "");
	assert_false(sum->has_result);
	assert_int_equal(sum->progress, 0);
	pd_agent_stream_free(s);
}

/* ---- anything else ------------------------------------------------ */

static void garbage_never_fails_and_is_never_progress(void **state)
{
	static const char *const lines[] = {
		"", "   ", "\t\r", "{", "{\"type\":", "}", "[1,2,3]", "{\"type\":42}", "{\"type\":nu"
		"ll}",
		"{\"type\":\"\"}", "{\"type\":\"future_event\",\"x\":1}", "{\"no_type\":true}",
		"{\"type\":\"assistant\"}", "{\"type\":\"assistant\",\"message\":5}",
		"{\"type\":\"assistant\",\"message\":{\"content\":\"a string\"}}",
		"{\"type\":\"assistant\",\"message\":{\"content\":[1,null,{},{\"type\":7},{\"type\""
		":\"tool_use\"}]}}",
		"{\"type\":\"user\",\"message\":{\"content\":[1,null,{},{\"type\":\"tool_result\","
		"\"content\":5}]}}",
		"{\"type\":\"user\",\"message\":{\"content\":\"the prompt\"}}",
		"{\"type\":\"system\"}", "{\"type\":\"system\",\"subtype\":5}",
		"{\"type\":\"rate_limit_event\"}", "{\"type\":\"rate_limit_event\",\"rate_limit_inf"
		"o\":[]}",
		"{\"type\":\"item.started\"}", "{\"type\":\"item.completed\",\"item\":[]}",
		"{\"type\":\"item.completed\",\"item\":{\"type\":\"future_item\"}}",
		"{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\","
		"\"text\":\"  \"}}",
		"{\"type\":\"item.completed\",\"item\":{}}", "{\"type\":\"item.plan.delta\",\"item_i"
		"d\":\"x\"}",
		"{\"type\":\"request_user_input\",\"id\":\"x\"}", "{\"type\":\"turn.started\"} trail"
		"ing",
		"{\"type\":\"thread.started\",\"thread_id\":7}",
		"\x1b[31m\x1b[0m", "\xff\xfe\xfd", "{\"type\":\"assistant\"\xff}",
	};
	pd_agent_stream *s = stream(PD_AGENT_AUTO);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;
	char deep[4100];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
		a = feed(s, lines[i]);
		if (a.kind != PD_ACT_NONE)
			fail_msg("line %zu gave activity %d \"%s\"", i, (int)a.kind, a.summary);
	}
	memset(deep, '[', sizeof(deep) - 1);
	deep[0] = '{';
	deep[sizeof(deep) - 1] = '\0';
	a = feed(s, deep);
	assert_int_equal(a.kind, PD_ACT_NONE);
	assert_int_equal(sum->progress, 0);
	assert_int_equal(sum->errors, 0);
	assert_false(sum->has_result);
	assert_false(sum->limited);
	assert_null(sum->session_id);
	assert_int_equal(sum->lines, sizeof(lines) / sizeof(*lines) + 1);
	/* the plain ones that are not blank: "}", "[1,2,3]", "...trailing", "\xff..", the deep one */
	assert_int_equal(sum->ntail, 3);
	assert_string_equal(sum->tail[0], "???");
	assert_string_equal(sum->tail[1], "{\"type\":\"assistant\"?}");
	assert_int_equal(strspn(sum->tail[2], "{["), PD_AGENT_TAIL_MAX);
	for (i = 0; i < sum->ntail; i++)
		assert_true(clean_text(sum->tail[i]));
	pd_agent_stream_free(s);
}

static void cut_nul_and_invalid_utf8_lines_are_safe(void **state)
{
	static const char valid[] = "{\"type\":\"assistant\","
				    "\"message\":{\"content\":[{\"type\":\"text\","
				    "\"text\":\"hi\"}]}}";
	static const char nul[] = "{\"type\":\"assistant\",\"message\":{\"content\":[]}}\0{\"x\":1}";
	static const char plain_nul[] = "before\0after";
	pd_agent_stream *s = stream(PD_AGENT_AUTO);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;

	(void)state;
	/* cut: the same valid JSON is not read, and not kept as text either */
	assert_int_equal(pd_agent_stream_feed(s, valid, strlen(valid), true, NOW, &a), 0);
	assert_int_equal(a.kind, PD_ACT_NONE);
	assert_int_equal(sum->ntail, 0);
	/* a cut plain line is kept */
	assert_int_equal(pd_agent_stream_feed(s, "partial text", 12, true, NOW, &a), 0);
	assert_int_equal(sum->ntail, 1);
	assert_string_equal(sum->tail[0], "partial text");
	/* NUL bytes: JSON is not read past one; text keeps both sides */
	assert_int_equal(pd_agent_stream_feed(s, nul, sizeof(nul) - 1, false, NOW, &a), 0);
	assert_int_equal(a.kind, PD_ACT_NONE);
	assert_int_equal(pd_agent_stream_feed(s, plain_nul, sizeof(plain_nul) - 1, false, NOW, &a), 0);
	assert_string_equal(sum->tail[sum->ntail - 1], "before after");
	/* invalid UTF-8 inside JSON strings: read, and shown as '?' */
	a = feed(s, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\","
		    "\"id\":\"t\",\"name\":\"B\xc3\x28sh\","
		    "\"input\":{\"command\":\"ls \xed\xa0\x80 \\u001b[31mred\\u0007\"}}]}}");
	assert_int_equal(a.kind, PD_ACT_TOOL);
	assert_true(clean_text(a.tool));
	assert_true(clean_text(a.summary));
	assert_string_equal(a.tool, "B?(sh");
	assert_string_equal(a.summary, "ls ??? red");
	/* an escaped NUL cuts the string where cJSON does */
	a = feed(s, "{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\",\"text\":\"a"
		    "b\\u0000cd\"}}");
	expect_act(a, PD_ACT_MESSAGE, NULL, "ab");
	assert_int_equal(sum->progress, 2);
	assert_int_equal(sum->errors, 0);
	pd_agent_stream_free(s);
}

static void huge_lines_are_read_and_summaries_stay_short(void **state)
{
	size_t big = 600 * 1024, n;
	char *line = malloc(big + 256), *cmd = malloc(1200);
	pd_agent_stream *s = stream(PD_AGENT_CLAUDE);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	pd_agent_activity a;

	(void)state;
	assert_non_null(line);
	assert_non_null(cmd);
	memset(cmd, 'x', 1000);
	cmd[1000] = '\0';
	snprintf(line, big + 256, "{\"type\":\"assistant\","
				  "\"message\":{\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\","
				  "\"name\":\"Bash\",\"input\":{\"command\":\"echo %s\"}}]}}", cmd);
	a = feed(s, line);
	assert_int_equal(a.kind, PD_ACT_TOOL);
	assert_true(strlen(a.summary) <= PD_AGENT_SUMMARY_MAX);
	assert_true(strlen(a.summary) >= PD_AGENT_SUMMARY_MAX - 1);
	assert_memory_equal(a.summary, "echo xxx", 8);

	n = (size_t)snprintf(line, big + 256, "{\"type\":\"user\",\"message\":{\"content\":[{\"typ"
					      "e\":\"tool_result\","
					      "\"tool_use_id\":\"t1\",\"content\":\"");
	memset(line + n, 'y', big);
	n += big;
	snprintf(line + n, 256, "\",\"is_error\":false}]},\"tool_use_result\":{\"stdout\":\"\"}}");
	a = feed(s, line);
	assert_int_equal(a.kind, PD_ACT_RESULT);
	assert_string_equal(a.tool, "Bash");
	assert_true(strlen(a.summary) <= PD_AGENT_SUMMARY_MAX);

	/* a huge result text is kept up to its cap */
	n = (size_t)snprintf(line, big + 256, "{\"type\":\"result\",\"subtype\":\"success\",\"resul"
					      "t\":\"");
	memset(line + n, 'z', big);
	n += big;
	snprintf(line + n, 256, "\"}");
	a = feed(s, line);
	assert_int_equal(a.kind, PD_ACT_DONE);
	assert_true(strlen(sum->result_text) <= 16384);
	assert_true(strlen(sum->result_text) >= 16000);
	assert_int_equal(sum->progress, 2);
	free(cmd);
	free(line);
	pd_agent_stream_free(s);
}

static void the_tail_keeps_the_last_three_clean_lines(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_AUTO);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);
	char long_line[1000];

	(void)state;
	feed(s, "first");
	feed(s, "\x1b[1;32mgreen\x1b[0m   and\tbold\x1b]0;title\x07 done");
	feed(s, "   ");
	feed(s, "\x1b[2K\r");
	feed(s, "{\"type\":\"turn.started\"}");
	feed(s, "progress 50%\r100%");
	memset(long_line, 'L', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	feed(s, long_line);
	assert_int_equal(sum->ntail, 3);
	assert_string_equal(sum->tail[0], "green and bold done");
	assert_string_equal(sum->tail[1], "progress 50% 100%");
	assert_int_equal(strlen(sum->tail[2]), PD_AGENT_TAIL_MAX);
	feed(s, "caf\xc3\xa9 \xe2\x80\xae" "evil \xc2\x9b" "x");
	assert_string_equal(sum->tail[0], "progress 50% 100%");
	assert_string_equal(sum->tail[2], "caf\xc3\xa9 evil x");
	assert_int_equal(sum->progress, 0);
	pd_agent_stream_free(s);
}

static void plain_runner_limit_lines_are_noticed(void **state)
{
	pd_agent_stream *s = stream(PD_AGENT_AUTO);
	const pd_agent_summary *sum = pd_agent_stream_summary(s);

	(void)state;
	feed(s, "Working on it; the docs say \"You've hit your session limit\" can happen.");
	assert_false(sum->limited);
	feed(s, "\x1b[31mERROR:\x1b[0m You've hit your usage limit. Try again at Dec 4th,"
		" 2026 11:35 AM.");
	assert_true(sum->limited);
	assert_int_equal(sum->resets_at, utc(2026, 12, 4, 11, 35));
	assert_string_equal(sum->limit_message,
			    "ERROR: You've hit your usage limit. Try again at Dec 4th,"
			    " 2026 11:35 AM.");
	assert_int_equal(sum->errors, 0);
	pd_agent_stream_free(s);

	s = stream(PD_AGENT_AUTO);
	sum = pd_agent_stream_summary(s);
	feed(s, "Let me explain: API limits are fine. This request would exceed your account's rate limit.");
	assert_false(sum->limited);
	feed(s, "API Error: Request rejected (429) \xc2\xb7 This request would exceed your account's rate limit");
	assert_true(sum->limited);
	assert_int_equal(sum->resets_at, 0);
	pd_agent_stream_free(s);
}

static void new_refuses_an_unknown_kind_and_free_takes_null(void **state)
{
	pd_agent_stream *s = (pd_agent_stream *)&s;

	(void)state;
	assert_int_equal(pd_agent_stream_new(&s, (pd_agent_kind)7), PD_EINVALID);
	assert_null(s);
	assert_non_null(strstr(pd_error_last(), "kind"));
	pd_agent_stream_free(NULL);
}

/* ---- usage-limit texts -------------------------------------------- */

struct limit_case {
	const char *text;
	time_t now;
	bool limited;
	time_t resets; /* -1: now + delta below */
	long delta;
};

static void limit_texts_are_read_with_their_reset_times(void **state)
{
	const time_t t0030 = utc(2026, 1, 5, 0, 30), t1300 = utc(2026, 1, 5, 13, 0);
	const struct limit_case cases[] = {
		{"You've hit your session limit \xc2\xb7 resets 1:10am (UTC"
		 ")", t0030, true, utc(2026, 1, 5, 1, 10), 0},
		{"You've hit your session limit \xc2\xb7 resets 1:10am (UTC"
		 ")", t1300, true, utc(2026, 1, 6, 1, 10), 0},
		/* the stated minute is not over yet: still today */
		{"You've hit your session limit \xc2\xb7 resets 1:10am (UTC"
		 ")", utc(2026, 1, 5, 1, 10) + 40, true,
		 utc(2026, 1, 5, 1, 10), 0},
		{"You\xe2\x80\x99ve hit your limit \xc2\xb7 resets 3pm (UTC"
		 ")", t0030, true, utc(2026, 1, 5, 15, 0), 0},
		{"You've hit your Opus limit \xc2\xb7 resets 12a"
		 "m", t1300, true, utc(2026, 1, 6, 0, 0), 0},
		{"You've hit your session limit \xc2\xb7 resets 12:30p"
		 "m", t0030, true, utc(2026, 1, 5, 12, 30), 0},
		{"You've hit your session limit \xc2\xb7 resets 7pm (Europe/Berlin"
		 ")", t0030, true, 0, 0},
		{"You've hit your weekly limit \xc2\xb7 resets Sep 24, 5pm (UTC"
		 ")", t0030, true, utc(2026, 9, 24, 17, 0), 0},
		{"You've hit your weekly limit \xc2\xb7 resets Sep 24, 5pm (UTC"
		 ")", utc(2026, 10, 1, 0, 0), true,
		 utc(2027, 9, 24, 17, 0), 0},
		{"You've hit your session limit \xc2\xb7 resets in 47 minute"
		 "s", t0030, true, -1, 47 * 60},
		{"5-hour limit reached \xe2\x88\x99 resets 3p"
		 "m", t0030, true, utc(2026, 1, 5, 15, 0), 0},
		{"Claude usage limit reached. Your limit will reset at 5pm (etc/utc).", t0030, true,
		 utc(2026, 1, 5, 17, 0), 0},
		{"Claude AI usage limit reached|1767225600", t0030, true, 1767225600, 0},
		{"Claude AI usage limit reached|1767225600000", t0030, true, 1767225600, 0},
		{"You\xe2\x80\x99ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro),"
		 " visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 7:48 AM.",
		 t0030, true, utc(2026, 1, 5, 7, 48), 0},
		{"You've hit your usage limit. Try again at 7:48 AM"
		 ".", t1300, true, utc(2026, 1, 6, 7, 48), 0},
		{"You've hit your usage limit. Try again at 12:05 AM"
		 ".", t0030, true, utc(2026, 1, 6, 0, 5), 0},
		{"You've hit your usage limit. Try again at Dec 4th, 2026 11:35 AM.", t0030, true,
		 utc(2026, 12, 4, 11, 35), 0},
		{"You've hit your usage limit. Try again at Jan 1st, 2027 9:05 PM.", t0030, true,
		 utc(2027, 1, 1, 21, 5), 0},
		{"You've hit your usage limit. Upgrade to Pro or try again in 4 days 3 hours"
		 ".", t0030, true, -1,
		 4 * 86400 + 3 * 3600},
		{"You've hit your usage limit. Try again later.", t0030, true, 0, 0},
		{"unexpected status 429 Too Many Requests: {\"error\":{\"type\":\"usage_limit_reached\","
		 "\"plan_type\":\"plus\",\"resets_at\":1767600000}}", t0030, true, 1767600000, 0},
		{"{\"error\":{\"type\":\"usage_limit_reached\",\"resets_in_seconds\": 3600}"
		 "}", t0030, true, -1, 3600},
		{"API Error: Request rejected (429) \xc2\xb7 This request would exceed your account's rate limit.",
		 t0030, true, 0, 0},
		{"You've hit your session limit \xc2\xb7 resets 99:99pm", t0030, true, 0, 0},
		{"You've hit your session limit \xc2\xb7 resets 13pm", t0030, true, 0, 0},
		{"You've hit your session limit \xc2\xb7 resets Foo 3, 5pm", t0030, true, 0, 0},
		{"You've used 93% of your session limit \xc2\xb7 resets 3:40pm", t0030, false, 0, 0},
		{"Context limit reached \xc2\xb7 /compact or /clear to continue", t0030, false, 0, 0},
		{"exceeded retry limit, last status: 429 Too Many Requests", t0030, false, 0, 0},
		{"You hit your target. The limit is fine.", t0030, false, 0, 0},
		{"rate_limit", t0030, false, 0, 0},
		{"allowed", t0030, false, 0, 0},
		{"", t0030, false, 0, 0},
	};
	time_t when;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct limit_case *c = &cases[i];
		time_t want = c->resets == -1 ? c->now + c->delta : c->resets;
		bool got;

		when = 12345;
		got = pd_agent_limit_parse(c->text, c->now, &when);
		if (got != c->limited || when != (c->limited ? want : 0))
			fail_msg("case %zu \"%s\": limited %d resets %lld, expected %d %ll"
				 "d", i, c->text, got,
				 (long long)when, c->limited, (long long)want);
	}
	assert_false(pd_agent_limit_parse(NULL, t0030, &when));
	assert_int_equal(when, 0);
	assert_true(pd_agent_limit_parse("You've hit your usage limit.", t0030, NULL));
	/* a clock no calendar can hold: still a limit, the time unknown */
	assert_true(pd_agent_limit_parse("You've hit your usage limit. Try again at 7:48 AM.",
					 (time_t)1 << 62, &when));
	assert_int_equal(when, 0);
}

static void a_named_zone_is_used_when_it_is_the_local_one(void **state)
{
	const char *text = "You've hit your session limit \xc2\xb7 resets 7pm (Europe/Berlin)";
	struct tm tm;
	time_t when, want, now;

	(void)state;
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	now = utc(2026, 7, 1, 10, 0); /* 12:00 in Berlin (CEST) */
	localtime_r(&now, &tm);
	tm.tm_hour = 19;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	want = mktime(&tm);
	assert_true(pd_agent_limit_parse(text, now, &when));
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(want, utc(2026, 7, 1, 17, 0));
	assert_int_equal(when, want);
	assert_true(pd_agent_limit_parse(text, now, &when));
	assert_int_equal(when, 0); /* not the local zone any more */
}

static int utc_zone(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(claude_run_is_read_field_by_field),
		cmocka_unit_test(claude_permission_denials_are_collected_once_each),
		cmocka_unit_test(many_denials_are_counted_past_the_kept_ones),
		cmocka_unit_test(claude_usage_limit_takes_the_events_reset_time),
		cmocka_unit_test(claude_limit_text_alone_gives_the_time_and_an_error),
		cmocka_unit_test(agent_prose_quoting_a_limit_is_not_a_limit),
		cmocka_unit_test(claude_api_retries_and_api_errors_are_errors),
		cmocka_unit_test(unknown_command_is_noticed_as_text_and_as_result),
		cmocka_unit_test(codex_run_is_read_field_by_field),
		cmocka_unit_test(codex_reconnects_warnings_and_failed_turns),
		cmocka_unit_test(codex_usage_limit_reads_the_local_time),
		cmocka_unit_test(codex_commands_are_unwrapped_and_declines_are_denials),
		cmocka_unit_test(a_fixed_kind_ignores_the_other_clis_lines),
		cmocka_unit_test(garbage_never_fails_and_is_never_progress),
		cmocka_unit_test(cut_nul_and_invalid_utf8_lines_are_safe),
		cmocka_unit_test(huge_lines_are_read_and_summaries_stay_short),
		cmocka_unit_test(the_tail_keeps_the_last_three_clean_lines),
		cmocka_unit_test(plain_runner_limit_lines_are_noticed),
		cmocka_unit_test(new_refuses_an_unknown_kind_and_free_takes_null),
		cmocka_unit_test(limit_texts_are_read_with_their_reset_times),
		cmocka_unit_test(a_named_zone_is_used_when_it_is_the_local_one),
	};

	return cmocka_run_group_tests(tests, utc_zone, NULL);
}
