/* test_pathutil.c - lexical path cleaning, containment, character rules. */
#include "test.h"
#include "packetdeck/pathutil.h"

#include <stdlib.h>
#include <string.h>

static void expect_clean(const char *in, const char *out, bool escapes)
{
	bool esc = !escapes;
	char *c = pd_path_clean(in, &esc);

	assert_non_null(c);
	if (strcmp(c, out) != 0 || esc != escapes)
		fail_msg("clean(\"%s\") = \"%s\" escapes=%d, expected \"%s\" escapes=%d", in, c, esc,
			 out, escapes);
	free(c);
}

static void clean_collapses_dots_and_slashes(void **state)
{
	(void)state;
	expect_clean("a/b/../c", "a/c", false);
	expect_clean("./a//b/.", "a/b", false);
	expect_clean("a/..", ".", false);
	expect_clean("", ".", false);
	expect_clean("/a/../../b", "/b", false);
	expect_clean("/", "/", false);
	expect_clean("//x///y/", "/x/y", false);
}

static void clean_reports_climbing_out(void **state)
{
	(void)state;
	expect_clean("../x", "../x", true);
	expect_clean("a/../../x", "../x", true);
	expect_clean("a/b/../../..", "..", true);
	expect_clean("../../a/b", "../../a/b", true);
}

static void within_needs_a_component_boundary(void **state)
{
	(void)state;
	assert_true(pd_path_within("/a/b", "/a"));
	assert_true(pd_path_within("/a", "/a"));
	assert_false(pd_path_within("/ab", "/a"));
	assert_false(pd_path_within("/b", "/a"));
	assert_true(pd_path_within("/anything", "/"));
}

static void below_is_the_part_under_the_dir(void **state)
{
	(void)state;
	assert_string_equal(pd_path_below("/d/a/b", "/d"), "a/b");
	assert_string_equal(pd_path_below("/d/x.md", "/d"), "x.md");
	assert_null(pd_path_below("/d", "/d"));   /* not strictly below */
	assert_null(pd_path_below("/d/", "/d"));
	assert_null(pd_path_below("/dx/a", "/d")); /* a component boundary */
	assert_null(pd_path_below("/e/a", "/d"));
}

static void join_adds_one_slash(void **state)
{
	char *j = pd_path_join("/a/", "b");

	(void)state;
	assert_string_equal(j, "/a/b");
	free(j);
	j = pd_path_join("/a", "b/c");
	assert_string_equal(j, "/a/b/c");
	free(j);
}

static void shell_metacharacters_are_found(void **state)
{
	static const char *bad[] = {"a;b", "a$(id)", "a`id`", "a'b", "a\"b", "a|b",  "a&b",
				    "a>b", "a<b",    "a(b",   "a{b", "a!b",  "a\\b", "a\nb"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_non_null(pd_find_shell_meta(bad[i]));
	assert_null(pd_find_shell_meta("feature/user-auth/track-1"));
	assert_null(pd_find_shell_meta("/home/j doe/wt-1.x"));
	assert_non_null(pd_find_control("name\x1b[31m"));
	assert_null(pd_find_control("API: login & refresh (JWT)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clean_collapses_dots_and_slashes),
		cmocka_unit_test(clean_reports_climbing_out),
		cmocka_unit_test(within_needs_a_component_boundary),
		cmocka_unit_test(below_is_the_part_under_the_dir),
		cmocka_unit_test(join_adds_one_slash),
		cmocka_unit_test(shell_metacharacters_are_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
