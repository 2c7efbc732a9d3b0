/* test_activity.c - an agent's activity as readable lines (activity.h):
 * one line per activity, and real claude and codex stream lines rendered
 * in order, a result matched to its call, text lines kept, made safe. */
#include "test.h"
#include "packetdeck/activity.h"

#include <string.h>

static void one_line_per_activity(void **state)
{
	char b[256];

	(void)state;
	assert_int_equal(pd_activity_line(b, sizeof(b), PD_ACT_TOOL, "Bash", "pytest -q", -1, false, false),
			 PD_LINE_TOOL);
	assert_string_equal(b, "▸ Bash  pytest -q");
	assert_int_equal(pd_activity_line(b, sizeof(b), PD_ACT_TOOL, "command_execution", "make", -1, false,
					  true),
			 PD_LINE_TOOL);
	assert_string_equal(b, "> Shell make");
	assert_int_equal(pd_activity_line(b, sizeof(b), PD_ACT_RESULT, "Bash", "pytest -q", 0, false, false),
			 PD_LINE_OK);
	assert_string_equal(b, "  ✓ exit 0");
	assert_int_equal(pd_activity_line(b, sizeof(b), PD_ACT_RESULT, NULL, "x", 2, true, true), PD_LINE_FAIL);
	assert_string_equal(b, "  x exit 2");
	assert_int_equal(pd_activity_line(b, sizeof(b), PD_ACT_RESULT, "Edit", "a.c", -1, true, false),
			 PD_LINE_FAIL);
	assert_string_equal(b, "  ✗ failed");
	assert_int_equal(pd_activity_line(b, sizeof(b), PD_ACT_RESULT, "Edit", "a.c", -1, false, false),
			 PD_LINE_OK);
	assert_string_equal(b, "  ✓ done");
	assert_int_equal(pd_activity_line(b, sizeof(b), PD_ACT_MESSAGE, NULL, "All done.", -1, false, false),
			 PD_LINE_MESSAGE);
	assert_string_equal(b, "All done.");
	assert_int_equal(pd_activity_line(b, sizeof(b), PD_ACT_ERROR, NULL, "API retry 3/10", -1, true, false),
			 PD_LINE_ERROR);
	assert_string_equal(b, "! API retry 3/10");
	assert_int_equal(pd_activity_line(b, sizeof(b), PD_ACT_NONE, NULL, "", -1, false, false), PD_LINE_PLAIN);
	assert_string_equal(b, "");
	assert_int_equal(pd_activity_kind_from_name("result"), PD_ACT_RESULT);
	assert_int_equal(pd_activity_kind_from_name("bogus"), PD_ACT_NONE);
}

static void expect(const pd_readable *r, size_t n, const char *const *want, const pd_line_kind *kinds)
{
	size_t i;

	for (i = 0; want[i]; i++) {
		if (i >= n)
			fail_msg("only %zu lines; missing \"%s\"", n, want[i]);
		assert_string_equal(r[i].text, want[i]);
		assert_int_equal(r[i].kind, kinds[i]);
	}
	assert_int_equal(n, i);
}

static void claude_stream_in_order(void **state)
{
	static const char *const raw[] = {
		"=== 2026-12-03T12:58:12Z packetdeck run 54ae: track 1 started (runner: claude) ===",
		"{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"s\",\"tools\":[\"Bash\"]}",
		"{\"type\":\"assistant\",\"message\":{\"id\":\"m1\",\"content\":[{\"type\":\"text\",\"text\":\"Starting.\"}]}}",
		"{\"type\":\"assistant\",\"message\":{\"id\":\"m1\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\","
		"\"name\":\"Bash\",\"input\":{\"command\":\"pytest -q\"}}]}}",
		"{\"type\":\"user\",\"message\":{\"content\":[{\"tool_use_id\":\"t1\",\"type\":\"tool_result\","
		"\"content\":\"1 failed\",\"is_error\":true}]}}",
		"{\"type\":\"system\",\"subtype\":\"api_retry\",\"attempt\":3,\"max_retries\":10,"
		"\"retry_delay_ms\":2444,\"error_status\":null,\"error\":\"unknown\"}",
		"\033[31mred\033[0m text\a",
		"{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"num_turns\":4,\"result\":\"ok\","
		"\"total_cost_usd\":0.4213}",
		"{\"type\":\"result\",\"subtype\":", /* broken JSON: text, as it is */
	};
	static const char *const want[] = {
		"=== 2026-12-03T12:58:12Z packetdeck run 54ae: track 1 started (runner: claude) ===",
		"Starting.", "▸ Bash  pytest -q", "  ✗ failed", NULL, "red text", "■ done · 4 turns · $0.42",
		"{\"type\":\"result\",\"subtype\":", NULL};
	static const pd_line_kind kinds[] = {PD_LINE_PLAIN, PD_LINE_MESSAGE, PD_LINE_TOOL, PD_LINE_FAIL,
					     PD_LINE_ERROR, PD_LINE_PLAIN, PD_LINE_OK, PD_LINE_PLAIN};
	pd_readable *r;
	size_t n;
	bool stream;

	(void)state;
	assert_int_equal(pd_activity_render(raw, sizeof(raw) / sizeof(*raw), false, &r, &n, &stream), 0);
	assert_true(stream);
	assert_true(n >= 5);
	assert_int_equal(strncmp(r[4].text, "! API retry", 11), 0); /* its exact words: agentstream's */
	{
		const char *w[9];
		size_t i;

		for (i = 0; i < 9; i++)
			w[i] = i == 4 ? r[4].text : want[i];
		expect(r, n, w, kinds);
	}
	pd_readable_free(r, n);
}

static void codex_stream_and_plain_text(void **state)
{
	static const char *const raw[] = {
		"{\"type\":\"thread.started\",\"thread_id\":\"t\"}",
		"{\"type\":\"turn.started\"}",
		"{\"type\":\"item.started\",\"item\":{\"id\":\"item_1\",\"type\":\"command_execution\","
		"\"command\":\"bash -lc 'pytest -q'\",\"aggregated_output\":\"\",\"exit_code\":null,"
		"\"status\":\"in_progress\"}}",
		"{\"type\":\"item.completed\",\"item\":{\"id\":\"item_1\",\"type\":\"command_execution\","
		"\"command\":\"bash -lc 'pytest -q'\",\"aggregated_output\":\"3 passed\\n\",\"exit_code\":0,"
		"\"status\":\"completed\"}}",
		"{\"type\":\"item.completed\",\"item\":{\"id\":\"item_2\",\"type\":\"agent_message\",\"text\":\"Done.\"}}",
	};
	static const char *const want[] = {"▸ Shell pytest -q", "  ✓ exit 0", "Done.", NULL};
	static const pd_line_kind kinds[] = {PD_LINE_TOOL, PD_LINE_OK, PD_LINE_MESSAGE};
	static const char *const text[] = {"agent: doing task 1.1", "{not json", ""};
	static const char *const want_text[] = {"agent: doing task 1.1", "{not json", "", NULL};
	static const pd_line_kind kinds_text[] = {PD_LINE_PLAIN, PD_LINE_PLAIN, PD_LINE_PLAIN};
	pd_readable *r;
	size_t n;
	bool stream;

	(void)state;
	assert_int_equal(pd_activity_render(raw, sizeof(raw) / sizeof(*raw), false, &r, &n, &stream), 0);
	assert_true(stream);
	expect(r, n, want, kinds);
	pd_readable_free(r, n);
	assert_int_equal(pd_activity_render(text, 3, false, &r, &n, &stream), 0);
	assert_false(stream);
	expect(r, n, want_text, kinds_text);
	pd_readable_free(r, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_line_per_activity),
		cmocka_unit_test(claude_stream_in_order),
		cmocka_unit_test(codex_stream_and_plain_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
