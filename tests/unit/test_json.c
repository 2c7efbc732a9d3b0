/* test_json.c - strict JSON: what cJSON would accept or mangle is refused,
 * with a line and column. */
#include "test.h"
#include "json.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(cJSON **out, const char *text)
{
	return pd_json_parse(out, text, strlen(text), "f.json", 8);
}

static void expect_refused(const char *text, const char *message)
{
	cJSON *root = NULL;

	assert_int_equal(parse(&root, text), PD_EINVALID);
	assert_null(root);
	if (!strstr(pd_error_last(), message))
		fail_msg("for %s: got \"%s\", expected \"%s\"", text, pd_error_last(), message);
}

static void valid_json_parses(void **state)
{
	cJSON *root = NULL;

	(void)state;
	assert_int_equal(parse(&root, "{\"a\": [1, 2, {\"b\": \"é\"}]}\n"), 0);
	assert_non_null(root);
	assert_true(cJSON_IsArray(pd_json_get(root, "a")));
	cJSON_Delete(root);
}

static void trailing_garbage_is_refused_at_its_place(void **state)
{
	(void)state;
	expect_refused("{\"a\": 1}\n}", "f.json:2:1: unexpected text after the JSON value");
	expect_refused("{\"a\": 1} x", "f.json:1:10: unexpected text after the JSON value");
}

static void syntax_errors_are_located(void **state)
{
	(void)state;
	expect_refused("{\n  \"a\": 1,\n  \"b\" 2\n}", "f.json:3:");
	expect_refused("", "empty file");
}

static void depth_is_capped_before_parsing(void **state)
{
	(void)state;
	expect_refused("[[[[[[[[[1]]]]]]]]]", "f.json:1:9: nested deeper than 8 levels");
}

static void brackets_inside_strings_do_not_count(void **state)
{
	cJSON *root = NULL;

	(void)state;
	assert_int_equal(parse(&root, "{\"a\":\"[[[[[[[[[[[[{{{{{{\"}"), 0);
	cJSON_Delete(root);
}

static void bad_text_is_refused(void **state)
{
	(void)state;
	expect_refused("{\"a\": \"\xff\"}", "f.json:1:8: invalid UTF-8");
	expect_refused("{\"a\": \"\xc0\xaf\"}", "invalid UTF-8");       /* overlong */
	expect_refused("{\"a\": \"\xed\xa0\x80\"}", "invalid UTF-8");   /* surrogate */
	expect_refused("{\"a\": \"x\\u0000y\"}", "f.json:1:9: \\u0000 in a string");
	{
		char buf[] = "{\"a\": 1}";

		buf[3] = '\0';
		cJSON *root = NULL;
		assert_int_equal(pd_json_parse(&root, buf, 8, "f.json", 8), PD_EINVALID);
		assert_non_null(strstr(pd_error_last(), "NUL byte"));
	}
}

static void duplicate_keys_are_refused_with_their_path(void **state)
{
	(void)state;
	expect_refused("{\"a\":1,\"a\":2}", "f.json: duplicate key \"a\"");
	expect_refused("{\"t\":[{\"x\":1},{\"id\":1,\"id\":2}]}", "f.json: t[1]: duplicate key \"id\"");
}

static void many_keys_use_the_sorted_check(void **state)
{
	char buf[4096];
	size_t len = 0;
	int i;
	cJSON *root = NULL;

	(void)state;
	len += (size_t)sprintf(buf, "{");
	for (i = 0; i < 100; i++)
		len += (size_t)sprintf(buf + len, "%s\"k%d\":%d", i ? "," : "", i, i);
	sprintf(buf + len, "}");
	assert_int_equal(parse(&root, buf), 0);
	cJSON_Delete(root);
	sprintf(buf + len, ",\"k57\":0}");
	expect_refused(buf, "duplicate key \"k57\"");
}

static void integers_are_checked_on_the_double(void **state)
{
	cJSON *root = NULL;
	int64_t v = 0;

	(void)state;
	assert_int_equal(parse(&root, "[1, 1.5, 1e400, \"1\", -1, 2147483648, 0]"), 0);
	assert_true(pd_json_int(cJSON_GetArrayItem(root, 0), 0, 2147483647, &v));
	assert_int_equal(v, 1);
	assert_false(pd_json_int(cJSON_GetArrayItem(root, 1), 0, 2147483647, &v));
	assert_false(pd_json_int(cJSON_GetArrayItem(root, 2), 0, 2147483647, &v));
	assert_false(pd_json_int(cJSON_GetArrayItem(root, 3), 0, 2147483647, &v));
	assert_false(pd_json_int(cJSON_GetArrayItem(root, 4), 0, 2147483647, &v));
	assert_false(pd_json_int(cJSON_GetArrayItem(root, 5), 0, 2147483647, &v));
	assert_true(pd_json_int(cJSON_GetArrayItem(root, 6), 0, 2147483647, &v));
	assert_int_equal(v, 0);
	cJSON_Delete(root);
}

static void lookups_are_case_sensitive(void **state)
{
	cJSON *root = NULL;
	const char *s;

	(void)state;
	assert_int_equal(parse(&root, "{\"Name\":\"x\",\"n\":1}"), 0);
	assert_null(pd_json_get(root, "name"));
	assert_int_equal(pd_json_string(root, "Name", &s), 1);
	assert_string_equal(s, "x");
	assert_int_equal(pd_json_string(root, "n", &s), -1);
	assert_int_equal(pd_json_string(root, "absent", &s), 0);
	cJSON_Delete(root);
}

typedef struct seen {
	char lines[8][16];
	bool cut[8];
	size_t n;
} seen;

static void collect(void *ctx, const char *line, size_t len, bool cut)
{
	seen *s = ctx;

	assert_true(s->n < 8);
	snprintf(s->lines[s->n], sizeof(s->lines[0]), "%.*s", (int)len, line);
	s->cut[s->n++] = cut;
}

static void lines_are_assembled_across_pieces_and_cut_when_long(void **state)
{
	char storage[6];
	pd_lines l = PD_LINES_INIT(storage);
	seen s = {.n = 0};

	(void)state;
	pd_lines_feed(&l, "ab", strlen("ab"), collect, &s);
	assert_int_equal(s.n, 0); /* no newline yet */
	pd_lines_feed(&l, "c\n\nde\nf", strlen("c\n\nde\nf"), collect, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "abc");
	assert_string_equal(s.lines[1], "");
	assert_string_equal(s.lines[2], "de");
	pd_lines_feed(&l, "ghijkl", strlen("ghijkl"), collect, &s); /* "fghijkl" outgrows 6 bytes */
	pd_lines_feed(&l, "mn\nok\n", strlen("mn\nok\n"), collect, &s);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.lines[3], "fghijk");
	assert_true(s.cut[3]);
	assert_string_equal(s.lines[4], "ok");
	assert_false(s.cut[4] || s.cut[0] || s.cut[2]);
	pd_lines_feed(&l, "123456\n", strlen("123456\n"), collect, &s); /* exactly the storage: whole */
	assert_string_equal(s.lines[5], "123456");
	assert_false(s.cut[5]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_json_parses),
		cmocka_unit_test(trailing_garbage_is_refused_at_its_place),
		cmocka_unit_test(syntax_errors_are_located),
		cmocka_unit_test(depth_is_capped_before_parsing),
		cmocka_unit_test(brackets_inside_strings_do_not_count),
		cmocka_unit_test(bad_text_is_refused),
		cmocka_unit_test(duplicate_keys_are_refused_with_their_path),
		cmocka_unit_test(many_keys_use_the_sorted_check),
		cmocka_unit_test(integers_are_checked_on_the_double),
		cmocka_unit_test(lookups_are_case_sensitive),
		cmocka_unit_test(lines_are_assembled_across_pieces_and_cut_when_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
