/* test_packet.c - frontmatter and task extraction in upstream's three styles. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/packet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct parsed {
	pd_packet *p;
	pd_diags d;
	int error;
} parsed;

static parsed parse(const char *text)
{
	parsed r = {NULL, PD_DIAGS_INIT, 0};

	r.error = pd_packet_parse(&r.p, "t.md", text, strlen(text), &r.d);
	assert_non_null(r.p);
	return r;
}

static void done(parsed *r)
{
	pd_packet_free(r->p);
	pd_diags_free(&r->d);
}

static void expect_problem(const char *text, const char *where, const char *message)
{
	parsed r = parse(text);

	assert_int_equal(r.error, PD_EINVALID);
	assert_true(t_has_diag(&r.d, where, message));
	done(&r);
}

static void bold_style_as_upstream_parser_reads_it(void **state)
{
	parsed r;

	(void)state;
	r = parse("---\nformat_version: \"1.0.0\"\nfeature: user-auth\ntrack: 1\n"
		  "worktree: /wt/1\nbranch: feature/t1\n---\n\n# Track 1\n\n"
		  "**Task 1.1:** Create user model\nFiles: src/user.py, tests/test_user.py\n"
		  "Acceptance: has an email\n\n**Task 1.2:** Add validation\nFile: src/v.py\n");
	assert_int_equal(r.error, 0);
	assert_true(r.p->fm.present);
	assert_string_equal(r.p->fm.feature, "user-auth");
	assert_int_equal(r.p->fm.track, 1);
	assert_int_equal(r.p->fm.line_track, 4);
	assert_string_equal(r.p->fm.worktree, "/wt/1");
	assert_string_equal(r.p->fm.branch, "feature/t1");
	assert_int_equal(r.p->ntasks, 2);
	assert_string_equal(r.p->tasks[0].id, "1.1");
	assert_string_equal(r.p->tasks[0].title, "Create user model");
	assert_int_equal(r.p->tasks[0].line, 11);
	assert_int_equal(r.p->tasks[0].nfiles, 2);
	assert_string_equal(r.p->tasks[0].files[1], "tests/test_user.py");
	assert_string_equal(r.p->tasks[0].acceptance, "has an email");
	assert_string_equal(r.p->tasks[1].files[0], "src/v.py");
	done(&r);
}

static void heading_style_without_frontmatter_as_upstream_generates(void **state)
{
	parsed r;

	(void)state;
	r = parse("# Work Packet: Track 2 - API\n\n## Context\nSome design text.\n\n"
		  "## Tasks\n\n### Task 2.1: Login route\n**Files:** `src/api/login.py`\n"
		  "**Acceptance:** returns a token\n\n#### Steps\n1. write the test\n\n"
		  "### Task 2.2: Refresh\n- Files: a.py, `b.py`\n\n## Execution Protocol\n"
		  "Run: this is outside any task\n");
	assert_int_equal(r.error, 0);
	assert_false(r.p->fm.present);
	assert_int_equal(r.p->ntasks, 2);
	assert_string_equal(r.p->tasks[0].title, "Login route");
	assert_string_equal(r.p->tasks[0].files[0], "src/api/login.py");
	assert_string_equal(r.p->tasks[0].acceptance, "returns a token");
	assert_int_equal(r.p->tasks[1].nfiles, 2);
	assert_string_equal(r.p->tasks[1].files[1], "b.py");
	assert_int_equal(r.p->tasks[1].ncommands, 0); /* "## Execution Protocol" ended it */
	done(&r);
}

static void heading_levels_two_to_four_are_tasks(void **state)
{
	parsed r;

	(void)state;
	r = parse("## Task 1: a\n#### Task 2: b\n##### Task 3: not a task\n# Task 4: not either\n");
	assert_int_equal(r.p->ntasks, 2);
	assert_string_equal(r.p->tasks[1].id, "2");
	done(&r);
}

static void checklist_style_with_checked_boxes(void **state)
{
	parsed r;

	(void)state;
	r = parse("## Plan\n- [x] Task 4.1: Login form\n  Files: ui/login.html\n"
		  "- [ ] Task 4.2: Banner\n* [X] Task 4.3: Footer\n- [ ] not a task line\n");
	assert_int_equal(r.error, 0);
	assert_int_equal(r.p->ntasks, 3);
	assert_true(r.p->tasks[0].checked);
	assert_false(r.p->tasks[1].checked);
	assert_true(r.p->tasks[2].checked);
	assert_string_equal(r.p->tasks[0].files[0], "ui/login.html");
	done(&r);
}

static void run_lines_and_shell_blocks_in_order(void **state)
{
	parsed r;

	(void)state;
	r = parse("### Task 1.1: build\nRun: make\n- Run: `make test`\n"
		  "```sh\nset -e\n./configure\n```\n```python\nprint('not a command')\n```\n"
		  "  ```bash\n  echo indented\n  ```\n**Run:** make install\n");
	assert_int_equal(r.error, 0);
	assert_int_equal(r.p->tasks[0].ncommands, 5);
	assert_string_equal(r.p->tasks[0].commands[0], "make");
	assert_string_equal(r.p->tasks[0].commands[1], "make test");
	assert_string_equal(r.p->tasks[0].commands[2], "set -e\n./configure\n");
	assert_int_equal(r.p->tasks[0].command_lines[2], 4);
	assert_string_equal(r.p->tasks[0].commands[3], "echo indented\n");
	assert_string_equal(r.p->tasks[0].commands[4], "make install");
	done(&r);
}

static void task_headers_inside_code_blocks_are_text(void **state)
{
	parsed r;

	(void)state;
	r = parse("### Task 1: real\n```markdown\n### Task 9: an example\n**Task 8:** too\n```\n"
		  "~~~~\n- [ ] Task 7: tilde fence\n~~~~\n");
	assert_int_equal(r.p->ntasks, 1);
	done(&r);
}

static void crlf_and_bom_are_handled(void **state)
{
	parsed r;

	(void)state;
	r = parse("\xEF\xBB\xBF---\r\ntrack: 3\r\n---\r\n### Task 3.1: x\r\nRun: true\r\n");
	assert_int_equal(r.error, 0);
	assert_int_equal(r.p->fm.track, 3);
	assert_string_equal(r.p->tasks[0].commands[0], "true");
	done(&r);
}

static void duplicate_task_ids_are_refused(void **state)
{
	parsed r;

	(void)state;
	r = parse("### Task 1.1: a\n\n### Task 1.2: b\n\n### Task 1.1: again\n");
	assert_int_equal(r.error, PD_EINVALID);
	assert_true(t_has_diag(&r.d, "t.md:5", "duplicate task id \"1.1\" (first at line 1)"));
	assert_int_equal(r.p->ntasks, 2);
	done(&r);
}

static void many_duplicates_stay_fast(void **state)
{
	size_t n = 200000, i, len = 0;
	char *text = malloc(n * 24);
	struct timespec t0, t1;
	parsed r;

	(void)state;
	for (i = 0; i < n; i++)
		if (i % 2)
			len += (size_t)sprintf(text + len, "- [ ] Task %zu: x\n", i);
		else
			len += (size_t)sprintf(text + len, "- [ ] Task x: again\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = parse(text);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(r.error, PD_EINVALID);
	assert_int_equal(pd_diags_total(&r.d), n / 2 - 1);
	assert_int_equal(r.d.count, PD_DIAGS_KEEP); /* kept bounded */
	/* quadratic would take minutes; allow a slow sanitizer build */
	assert_true(t1.tv_sec - t0.tv_sec < 20);
	done(&r);
	free(text);
}

static void no_tasks_says_what_was_expected(void **state)
{
	(void)state;
	expect_problem("# Just prose\n\nTask 1: not a header\n", "t.md",
		       "no tasks found (expected \"### Task 1.1: ...\"");
}

static void empty_commands_are_refused(void **state)
{
	(void)state;
	expect_problem("### Task 1: a\nRun:\n", "t.md:2", "task 1: empty Run: command");
	expect_problem("### Task 1: a\n```sh\n\n```\n", "t.md:2", "task 1: empty code block");
	expect_problem("### Task 1: a\n```sh\necho never closed\n", "t.md:2",
		       "code block opened here is never closed");
}

static void frontmatter_must_be_closed(void **state)
{
	(void)state;
	expect_problem("---\ntrack: 1\n### Task 1: a\n", "t.md:1",
		       "frontmatter opened here is never closed");
}

static void frontmatter_errors_are_located(void **state)
{
	(void)state;
	expect_problem("---\ntrack: one\n---\n### Task 1: a\n", "t.md:2",
		       "frontmatter \"track\" must be an integer, not \"one\"");
	expect_problem("---\ntrack: \"1\"\n---\n### Task 1: a\n", "t.md:2", "must be an integer");
	expect_problem("---\nbranch: a\nbranch: b\n---\n### Task 1: a\n", "t.md:3",
		       "duplicate frontmatter key \"branch\"");
	expect_problem("---\n- a\n- b\n---\n### Task 1: a\n", "t.md:2",
		       "frontmatter must be a mapping of keys to values");
	expect_problem("---\nbranch: [a, b]\n---\n### Task 1: a\n", "t.md:2",
		       "frontmatter \"branch\" must be a single value");
	expect_problem("---\nfeature: \"a\\x00b\"\n---\n### Task 1: a\n", "t.md:2",
		       "NUL character in frontmatter");
	expect_problem("---\nkey: [unclosed\n---\n### Task 1: a\n", "t.md:3",
		       "frontmatter is not valid YAML");
}

static void frontmatter_bombs_are_refused(void **state)
{
	(void)state;
	expect_problem("---\na: &x [1, 2]\nb: *x\n---\n### Task 1: a\n", "t.md:2",
		       "YAML anchors are not allowed in frontmatter");
	expect_problem("---\nb: *x\n---\n### Task 1: a\n", "t.md:2",
		       "YAML aliases are not allowed in frontmatter");
	expect_problem("---\nb: !!python/object x\n---\n### Task 1: a\n", "t.md:2",
		       "YAML tags are not allowed in frontmatter");
	expect_problem("---\na: [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]\n---\n### Task 1: a\n", "t.md:2",
		       "frontmatter is nested deeper than 16 levels");
}

static void deep_frontmatter_is_refused_quickly(void **state)
{
	size_t n = 60000, i;
	char *text = malloc(n + 64);
	struct timespec t0, t1;
	long ms;

	(void)state;
	strcpy(text, "---\na: ");
	for (i = 0; i < n; i++)
		text[7 + i] = '[';
	strcpy(text + 7 + n, "\n---\n### Task 1: a\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_problem(text, "t.md:2", "nested deeper than 16 levels");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms < 2000); /* unbounded libyaml takes seconds here */
	free(text);
}

static void oversized_frontmatter_is_refused(void **state)
{
	size_t n = PD_FRONTMATTER_MAX_BYTES + 10, i;
	char *text = malloc(n + 64);

	(void)state;
	strcpy(text, "---\n");
	for (i = 0; i < n; i++)
		text[4 + i] = (i % 40 == 39) ? '\n' : '#';
	strcpy(text + 4 + n, "\n---\n### Task 1: a\n");
	expect_problem(text, "t.md:2", "frontmatter is larger than 65536 bytes");
	free(text);
}

static void bad_bytes_are_located(void **state)
{
	(void)state;
	expect_problem("### Task 1: a\nRun: echo \xff\n", "t.md:2:11", "invalid UTF-8");
	{
		char text[] = "### Task 1: a\nRun: x\n";
		parsed r = {NULL, PD_DIAGS_INIT, 0};

		text[15] = '\0';
		r.error = pd_packet_parse(&r.p, "t.md", text, sizeof(text) - 1, &r.d);
		assert_int_equal(r.error, PD_EINVALID);
		assert_true(t_has_diag(&r.d, "t.md:2:2", "NUL byte"));
		done(&r);
	}
}

static void unknown_frontmatter_keys_are_ignored(void **state)
{
	parsed r;

	(void)state;
	r = parse("---\ntrack: 2\nowner: {name: x, tags: [a, b]}\n---\n### Task 2.1: a\n");
	assert_int_equal(r.error, 0);
	assert_int_equal(r.p->fm.track, 2);
	done(&r);
}

static void files_to_modify_create_lists_as_the_first_generator_writes(void **state)
{
	parsed r;

	(void)state;
	r = parse("## Tasks\n\n### Task 1.1\n\nCreate the user model\n\nFiles to modify/create:\n"
		  "- `src/models/user.py` — the model\n- `tests/test_user.py` - its tests\n"
		  "  - a sub-point, not a file\n\n- src/db.py (modify)\n"
		  "Acceptance: emails are unique\n\n"
		  "### Task 1.2:\n**Password hashing**\n**Files to Modify/Create:**\n"
		  "1. Modify: `src/auth/hash.py`, `src/auth/__init__.py`\n"
		  "2. Add initial helpers: salt, pepper\n- Acceptance: not a file\n"
		  "\n### Task 1.3\nFiles to create: a.py, `b.py`\n");
	assert_int_equal(r.error, 0);
	assert_int_equal(r.p->ntasks, 3);
	assert_string_equal(r.p->tasks[0].title, "Create the user model");
	assert_int_equal(r.p->tasks[0].nfiles, 3);
	assert_string_equal(r.p->tasks[0].files[0], "src/models/user.py");
	assert_string_equal(r.p->tasks[0].files[1], "tests/test_user.py");
	assert_string_equal(r.p->tasks[0].files[2], "src/db.py");
	assert_string_equal(r.p->tasks[0].acceptance, "emails are unique");
	assert_string_equal(r.p->tasks[1].title, "Password hashing");
	assert_int_equal(r.p->tasks[1].nfiles, 2);
	assert_string_equal(r.p->tasks[1].files[0], "src/auth/hash.py");
	assert_string_equal(r.p->tasks[1].files[1], "src/auth/__init__.py");
	assert_string_equal(r.p->tasks[1].acceptance, "not a file");
	assert_string_equal(r.p->tasks[2].title, "");
	assert_int_equal(r.p->tasks[2].nfiles, 2);
	assert_string_equal(r.p->tasks[2].files[1], "b.py");
	done(&r);
}

static void bold_files_then_a_list_as_plans_write_it(void **state)
{
	parsed r;

	(void)state;
	r = parse("### Task 2.1: Payment intent\n\n**Files:**\n\n- Create: `billing/intent.py`\n"
		  "- Modify: `billing/api.py:120-145`\n- Test: `tests/test_intent.py`\n\n"
		  "**Step 1: Write the failing test**\n- `not/a/file.py` stays out\n"
		  "### Task 2.2: Webhook\n- Files:\n  - `hooks.py`\n");
	assert_int_equal(r.error, 0);
	assert_int_equal(r.p->tasks[0].nfiles, 3);
	assert_string_equal(r.p->tasks[0].files[0], "billing/intent.py");
	assert_string_equal(r.p->tasks[0].files[1], "billing/api.py");
	assert_string_equal(r.p->tasks[0].files[2], "tests/test_intent.py");
	assert_int_equal(r.p->tasks[1].nfiles, 1);
	assert_string_equal(r.p->tasks[1].files[0], "hooks.py");
	done(&r);
}

static void a_title_on_the_line_after_its_header(void **state)
{
	parsed r;

	(void)state;
	r = parse("### Task 2.1\n\nLogin form\n\n#### Task 2.2\n- [ ] step one\n"
		  "### Task 2.3\n**Files:** a.py\nnot the title: a field came first\n"
		  "### Task list\nnot a task: the id has no digit\n");
	assert_int_equal(r.error, 0);
	assert_int_equal(r.p->ntasks, 3);
	assert_string_equal(r.p->tasks[0].id, "2.1");
	assert_string_equal(r.p->tasks[0].title, "Login form");
	assert_string_equal(r.p->tasks[1].title, "");
	assert_string_equal(r.p->tasks[2].title, "");
	assert_string_equal(r.p->tasks[2].files[0], "a.py");
	done(&r);
}

/* The fixtures in upstream's shapes (tests/fixtures/upstream), as read
 * from their files. */
static parsed load_fixture(const char *name)
{
	parsed r = {NULL, PD_DIAGS_INIT, 0};
	char path[1024];

	snprintf(path, sizeof(path), "%s/upstream/%s", FIXTURES_DIR, name);
	r.error = pd_packet_load(&r.p, path, name, &r.d);
	assert_int_equal(r.error, 0);
	return r;
}

static void upstream_fixtures_give_titles_and_files(void **state)
{
	parsed r;

	(void)state;
	r = load_fixture("gen1/track-1-delivery.md");
	assert_int_equal(r.p->ntasks, 2);
	assert_string_equal(r.p->tasks[0].title, "Notification model");
	assert_int_equal(r.p->tasks[0].nfiles, 2);
	assert_string_equal(r.p->tasks[0].files[0], "src/notify/model.py");
	assert_string_equal(r.p->tasks[0].files[1], "tests/notify/test_model.py");
	assert_string_equal(r.p->tasks[0].acceptance,
			    "a notification has a recipient, a channel and a read flag");
	assert_string_equal(r.p->tasks[1].title, "Delivery queue");
	assert_int_equal(r.p->tasks[1].nfiles, 2);
	assert_string_equal(r.p->tasks[1].files[1], "src/notify/__init__.py");
	done(&r);
	r = load_fixture("gen1/track-2-settings.md");
	assert_int_equal(r.p->ntasks, 2);
	assert_string_equal(r.p->tasks[1].title, "Save preferences");
	assert_int_equal(r.p->tasks[1].nfiles, 2);
	assert_string_equal(r.p->tasks[1].files[1], "tests/ui/test_settings.ts");
	done(&r);
	r = load_fixture("plan-files/track-1.md");
	assert_int_equal(r.p->ntasks, 2);
	assert_int_equal(r.p->tasks[0].nfiles, 3);
	assert_string_equal(r.p->tasks[0].files[0], "exports/csv_writer.py");
	assert_string_equal(r.p->tasks[0].files[1], "exports/__init__.py");
	assert_string_equal(r.p->tasks[0].files[2], "tests/exports/test_csv_writer.py");
	assert_int_equal(r.p->tasks[1].nfiles, 2);
	assert_string_equal(r.p->tasks[1].files[1], "tests/exports/test_api.py");
	done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bold_style_as_upstream_parser_reads_it),
		cmocka_unit_test(heading_style_without_frontmatter_as_upstream_generates),
		cmocka_unit_test(heading_levels_two_to_four_are_tasks),
		cmocka_unit_test(checklist_style_with_checked_boxes),
		cmocka_unit_test(run_lines_and_shell_blocks_in_order),
		cmocka_unit_test(task_headers_inside_code_blocks_are_text),
		cmocka_unit_test(crlf_and_bom_are_handled),
		cmocka_unit_test(duplicate_task_ids_are_refused),
		cmocka_unit_test(many_duplicates_stay_fast),
		cmocka_unit_test(no_tasks_says_what_was_expected),
		cmocka_unit_test(empty_commands_are_refused),
		cmocka_unit_test(frontmatter_must_be_closed),
		cmocka_unit_test(frontmatter_errors_are_located),
		cmocka_unit_test(frontmatter_bombs_are_refused),
		cmocka_unit_test(deep_frontmatter_is_refused_quickly),
		cmocka_unit_test(oversized_frontmatter_is_refused),
		cmocka_unit_test(bad_bytes_are_located),
		cmocka_unit_test(files_to_modify_create_lists_as_the_first_generator_writes),
		cmocka_unit_test(bold_files_then_a_list_as_plans_write_it),
		cmocka_unit_test(a_title_on_the_line_after_its_header),
		cmocka_unit_test(upstream_fixtures_give_titles_and_files),
		cmocka_unit_test(unknown_frontmatter_keys_are_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
