/* test_adopt.c - upstream's missing manifest fields: what is added, what
 * is kept, and that a failed write leaves the manifest and no file behind. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/adopt.h"
#include "packetdeck/fsio.h"
#include "packetdeck/manifest.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char gen1[] =
	"{\n  \"format_version\": \"1.0.0\",\n  \"feature\": \"f\",\n"
	"  \"tracks\": [" TRACK(1, "") "]\n}\n";

static int setup(void **state)
{
	return t_setup(state);
}

static int teardown(void **state)
{
	pd_os_override(NULL);
	return t_teardown(state);
}

static char *slurp(const char *name)
{
	char *p = t_path(dir, name), *buf = NULL;
	size_t len;

	if (pd_read_file(&buf, &len, p, 1 << 20) < 0)
		buf = NULL;
	free(p);
	return buf;
}

/* The names in the packet dir other than manifest.json, .orig, .packetdeck. */
static size_t other_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "manifest.json") && strcmp(e->d_name, "manifest.json.orig") &&
		    strcmp(e->d_name, ".packetdeck") && strcmp(e->d_name, "track-1.md"))
			n++;
	closedir(d);
	return n;
}

static void both_fields_are_added_after_the_others(void **state)
{
	pd_diags d = PD_DIAGS_INIT;
	pd_manifest *m = NULL;
	pd_adopt a;
	char *orig, *now;

	(void)state;
	t_write(dir, "manifest.json", gen1);
	t_write(dir, "track-1.md", "### Task 1.1: x\n");
	assert_int_equal(pd_adopt_prepare(&a, dir), 0);
	assert_int_equal(a.nadded, 2);
	assert_string_equal(a.names[0], "merge_strategy");
	assert_string_equal(a.values[0], "\"worktree-merge\"");
	assert_string_equal(a.names[1], "post_merge_qa");
	assert_string_equal(a.values[1], "[\"pytest\",\"green-mirage-audit\"]");
	assert_int_equal(pd_adopt_write(&a, dir), 0);
	assert_false(a.orig_kept);
	pd_adopt_clear(&a);
	orig = slurp("manifest.json.orig");
	assert_string_equal(orig, gen1);
	now = slurp("manifest.json");
	assert_true(strstr(now, "\"feature\"") < strstr(now, "\"tracks\""));
	assert_true(strstr(now, "\"tracks\"") < strstr(now, "\"merge_strategy\""));
	assert_true(strstr(now, "\"merge_strategy\"") < strstr(now, "\"post_merge_qa\""));
	assert_int_equal(now[strlen(now) - 1], '\n');
	assert_int_equal(pd_manifest_load(&m, dir, &d), 0);
	assert_string_equal(m->merge_strategy, "worktree-merge");
	assert_int_equal(m->npost_merge_qa, 2);
	pd_manifest_free(m);
	pd_diags_free(&d);
	assert_int_equal(other_files(), 0);
	free(orig);
	free(now);
}

static void present_fields_are_left_alone(void **state)
{
	pd_adopt a;
	char *orig = t_path(dir, "manifest.json.orig");

	(void)state;
	t_write(dir, "manifest.json", "{\"merge_strategy\": 7, \"post_merge_qa\": []}");
	assert_int_equal(pd_adopt_prepare(&a, dir), 0);
	assert_int_equal(a.nadded, 0);
	assert_null(a.text);
	assert_int_equal(pd_adopt_write(&a, dir), 0); /* nothing to do */
	pd_adopt_clear(&a);
	assert_int_equal(access(orig, F_OK), -1);
	free(orig);
	t_write(dir, "manifest.json", "{\"post_merge_qa\": [\"make check\"]}");
	assert_int_equal(pd_adopt_prepare(&a, dir), 0);
	assert_int_equal(a.nadded, 1);
	assert_string_equal(a.names[0], "merge_strategy");
	assert_non_null(strstr(a.text, "\"make check\""));
	pd_adopt_clear(&a);
}

static void bad_manifests_are_refused_with_a_location(void **state)
{
	pd_adopt a;

	(void)state;
	t_write(dir, "manifest.json", "{\n\"a\": 1,\n\"b\" 2}\n");
	assert_int_equal(pd_adopt_prepare(&a, dir), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "manifest.json:3:"));
	pd_adopt_clear(&a);
	t_write(dir, "manifest.json", "{\"a\": 1, \"a\": 2}");
	assert_int_equal(pd_adopt_prepare(&a, dir), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "duplicate key \"a\""));
	pd_adopt_clear(&a);
	t_write(dir, "manifest.json", "\"a string\"");
	assert_int_equal(pd_adopt_prepare(&a, dir), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "must hold a JSON object, not a string"));
	pd_adopt_clear(&a);
}

static int renames;
static int failing_second_rename(const char *from, const char *to, bool no_replace)
{
	if (++renames == 2) { /* the .orig goes through, the manifest does not */
		errno = EIO;
		return -1;
	}
	return pd_os_real.rename(from, to, no_replace);
}

static void a_failed_write_keeps_the_manifest_and_leaves_nothing(void **state)
{
	pd_os os = pd_os_real;
	pd_adopt a;
	char *now;

	(void)state;
	t_write(dir, "manifest.json", gen1);
	assert_int_equal(pd_adopt_prepare(&a, dir), 0);
	os.rename = failing_second_rename;
	renames = 0;
	pd_os_override(&os);
	assert_int_equal(pd_adopt_write(&a, dir), PD_EIO);
	pd_os_override(NULL);
	pd_adopt_clear(&a);
	now = slurp("manifest.json");
	assert_string_equal(now, gen1);
	free(now);
	assert_int_equal(other_files(), 0); /* no temporary file, no <target>.lock */
	/* again: the .orig (the same bytes) is kept, the manifest written */
	assert_int_equal(pd_adopt_prepare(&a, dir), 0);
	assert_int_equal(pd_adopt_write(&a, dir), 0);
	assert_true(a.orig_kept);
	pd_adopt_clear(&a);
	now = slurp("manifest.json.orig");
	assert_string_equal(now, gen1);
	free(now);
}

static void a_manifest_changed_since_it_was_read_is_not_written(void **state)
{
	pd_adopt a;
	char *now;

	(void)state;
	t_write(dir, "manifest.json", gen1);
	assert_int_equal(pd_adopt_prepare(&a, dir), 0);
	t_write(dir, "manifest.json", "{\"edited\": true}");
	assert_int_equal(pd_adopt_write(&a, dir), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "changed since it was read"));
	pd_adopt_clear(&a);
	now = slurp("manifest.json");
	assert_string_equal(now, "{\"edited\": true}");
	free(now);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(both_fields_are_added_after_the_others),
		T(present_fields_are_left_alone),
		T(bad_manifests_are_refused_with_a_location),
		T(a_failed_write_keeps_the_manifest_and_leaves_nothing),
		T(a_manifest_changed_since_it_was_read_is_not_written),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
