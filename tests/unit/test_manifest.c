/* test_manifest.c - every per-field rule of manifest.json, with its location. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* Load, expecting PD_EINVALID and a diagnostic at where/message. */
static void expect_problem(const char *where, const char *message)
{
	pd_diags d = PD_DIAGS_INIT;
	pd_manifest *m = NULL;

	assert_int_equal(pd_manifest_load(&m, dir, &d), PD_EINVALID);
	assert_true(t_has_diag(&d, where, message));
	pd_manifest_free(m);
	pd_diags_free(&d);
}

static void with_tracks(const char *tracks, int npackets)
{
	t_packet_dir(dir, tracks, npackets);
}

static void loads_a_valid_manifest(void **state)
{
	pd_diags d = PD_DIAGS_INIT;
	pd_manifest *m = NULL;
	char *real;

	(void)state;
	with_tracks(TRACK(1, "") "," TRACK(2, "1"), 2);
	assert_int_equal(pd_manifest_load(&m, dir, &d), 0);
	assert_int_equal(d.count, 0);
	assert_string_equal(m->feature, "f");
	assert_int_equal(m->ntracks, 2);
	assert_int_equal(m->tracks[1].id, 2);
	assert_int_equal(m->tracks[1].ndeps, 1);
	assert_int_equal(m->tracks[1].depends_on[0], 1);
	assert_string_equal(m->tracks[0].worktree_path, "/tmp/wt1");
	real = realpath(dir, NULL);
	assert_non_null(strstr(m->tracks[0].packet_path, real));
	free(real);
	pd_manifest_free(m);
	pd_diags_free(&d);
}

static void upstream_optional_fields_are_accepted(void **state)
{
	pd_diags d = PD_DIAGS_INIT;
	pd_manifest *m = NULL;

	(void)state;
	t_write(dir, "manifest.json",
		"{\"format_version\":\"1.0.0\",\"feature\":\"f\",\"created\":\"2026-01-05T12:00:00Z\","
		"\"project_root\":\"/srv/proj\",\"execution_mode\":\"swarmed\",\"design_doc\":\"d.md\","
		"\"impl_plan\":\"p.md\",\"shared_setup_commit\":\"abc123\",\"future_field\":{\"x\":[1]},"
		"\"tracks\":[{\"id\":1,\"name\":\"n\",\"packet\":\"track-1.md\",\"worktree\":\"wt\","
		"\"branch\":\"b\",\"depends_on\":[],\"status\":\"pending\",\"checkpoint\":null,"
		"\"completion\":null}],\"merge_strategy\":\"worktree-merge\",\"post_merge_qa\":[\"pytest\"]}");
	t_write(dir, "track-1.md", "### Task 1.1: x\n");
	assert_int_equal(pd_manifest_load(&m, dir, &d), 0);
	assert_string_equal(m->project_root, "/srv/proj");
	assert_string_equal(m->shared_setup_commit, "abc123");
	assert_string_equal(m->tracks[0].worktree_path, "/srv/proj/wt"); /* relative to project_root */
	assert_int_equal(m->npost_merge_qa, 1);
	pd_manifest_free(m);
	pd_diags_free(&d);
}

static void missing_merge_strategy_says_what_to_add(void **state)
{
	(void)state;
	t_write(dir, "manifest.json", "{\"format_version\":\"1.0.0\",\"feature\":\"f\","
				      "\"tracks\":[" TRACK(1, "") "],\"post_merge_qa\":[]}");
	t_write(dir, "track-1.md", "### Task 1.1: x\n");
	expect_problem("/manifest.json",
		       "missing required field \"merge_strategy\" (add upstream's defaults with: "
		       "packetdeck adopt /");
	t_write(dir, "manifest.json", "{\"format_version\":\"1.0.0\",\"feature\":\"f\","
				      "\"tracks\":[" TRACK(1, "") "],\"merge_strategy\":\"m\"}");
	expect_problem("/manifest.json",
		       "missing required field \"post_merge_qa\" (add upstream's defaults with: "
		       "packetdeck adopt /");
}

static void missing_top_level_fields_are_each_reported(void **state)
{
	pd_diags d = PD_DIAGS_INIT;
	pd_manifest *m = NULL;

	(void)state;
	t_write(dir, "manifest.json", "{}");
	assert_int_equal(pd_manifest_load(&m, dir, &d), PD_EINVALID);
	assert_true(t_has_diag(&d, "manifest.json", "missing required field \"format_version\""));
	assert_true(t_has_diag(&d, "manifest.json", "missing required field \"feature\""));
	assert_true(t_has_diag(&d, "manifest.json", "missing required field \"tracks\""));
	assert_true(t_has_diag(&d, "manifest.json", "missing required field \"merge_strategy\""));
	assert_true(t_has_diag(&d, "manifest.json", "missing required field \"post_merge_qa\""));
	assert_int_equal(d.count, 5);
	pd_manifest_free(m);
	pd_diags_free(&d);
}

static void missing_track_field_is_located(void **state)
{
	(void)state;
	with_tracks(TRACK(1, "") "," TRACK(2, "") ","
		    "{\"id\":3,\"name\":\"n\",\"packet\":\"track-3.md\",\"worktree\":\"/w\",\"depends_on\":[]}",
		    3);
	expect_problem("manifest.json: tracks[2]", "missing required field \"branch\"");
}

static void wrong_types_are_named(void **state)
{
	(void)state;
	with_tracks("{\"id\":\"1\",\"name\":\"n\",\"packet\":\"track-1.md\",\"worktree\":\"/w\","
		    "\"branch\":\"b\",\"depends_on\":[]},"
		    "{\"id\":1.5,\"name\":7,\"packet\":\"track-1.md\",\"worktree\":\"/w\","
		    "\"branch\":\"b2\",\"depends_on\":{}}",
		    1);
	expect_problem("manifest.json: tracks[0].id", "must be an integer, not a string (\"1\")");
	expect_problem("manifest.json: tracks[1].id", "must be an integer from 0 to 2147483647, not 1.5");
	expect_problem("manifest.json: tracks[1].name", "must be a string, not a number");
	expect_problem("manifest.json: tracks[1].depends_on", "must be an array of track ids, not an object");
}

static void bad_dependency_entries_are_located(void **state)
{
	(void)state;
	with_tracks(TRACK(1, "") "," TRACK(2, "1, \"1\", -4"), 2);
	expect_problem("manifest.json: tracks[1].depends_on[1]", "must be an integer, not a string");
	expect_problem("manifest.json: tracks[1].depends_on[2]", "must be an integer from 0");
}

static void tracks_must_be_a_non_empty_array(void **state)
{
	(void)state;
	with_tracks("", 0);
	expect_problem("manifest.json: tracks", "must list at least one track");
}

static void absolute_packet_path_is_refused(void **state)
{
	(void)state;
	with_tracks("{\"id\":1,\"name\":\"n\",\"packet\":\"/etc/passwd\",\"worktree\":\"/w\","
		    "\"branch\":\"b\",\"depends_on\":[]}", 0);
	expect_problem("manifest.json: tracks[0].packet", "packet path \"/etc/passwd\" is absolute");
}

static void packet_path_escaping_with_dotdot_is_refused(void **state)
{
	(void)state;
	with_tracks("{\"id\":1,\"name\":\"n\",\"packet\":\"sub/../../outside.md\",\"worktree\":\"/w\","
		    "\"branch\":\"b\",\"depends_on\":[]}", 0);
	expect_problem("manifest.json: tracks[0].packet",
		       "packet path \"sub/../../outside.md\" is outside the packet dir");
}

static void packet_symlink_out_of_the_dir_is_refused(void **state)
{
	char *link = t_path(dir, "track-1.md");

	(void)state;
	with_tracks(TRACK(1, ""), 0);
	assert_int_equal(symlink("/etc/hostname", link), 0);
	expect_problem("manifest.json: tracks[0].packet",
		       "packet path \"track-1.md\" resolves to /etc/hostname, outside the packet dir");
	free(link);
}

static void packet_symlink_inside_the_dir_is_fine(void **state)
{
	pd_diags d = PD_DIAGS_INIT;
	pd_manifest *m = NULL;
	char *link = t_path(dir, "track-1.md");

	(void)state;
	with_tracks(TRACK(1, ""), 0);
	t_write(dir, "real/one.md", "### Task 1.1: x\n");
	assert_int_equal(symlink("real/one.md", link), 0);
	assert_int_equal(pd_manifest_load(&m, dir, &d), 0);
	assert_non_null(strstr(m->tracks[0].packet_path, "/real/one.md"));
	pd_manifest_free(m);
	pd_diags_free(&d);
	free(link);
}

static void missing_packet_file_is_reported(void **state)
{
	(void)state;
	with_tracks(TRACK(1, "") "," TRACK(2, ""), 1);
	expect_problem("manifest.json: tracks[1].packet", "packet file \"track-2.md\" not found");
}

static void packet_that_is_a_directory_is_refused(void **state)
{
	char *sub = t_path(dir, "track-1.md");

	(void)state;
	with_tracks(TRACK(1, ""), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	expect_problem("manifest.json: tracks[0].packet", "is not a regular file");
	free(sub);
}

static void branch_names_git_refuses_are_refused(void **state)
{
	(void)state;
	with_tracks("{\"id\":1,\"name\":\"n\",\"packet\":\"track-1.md\",\"worktree\":\"/w\","
		    "\"branch\":\"feature..x\",\"depends_on\":[]},"
		    "{\"id\":2,\"name\":\"n\",\"packet\":\"track-2.md\",\"worktree\":\"/w2\","
		    "\"branch\":\"-rf\",\"depends_on\":[]},"
		    "{\"id\":3,\"name\":\"n\",\"packet\":\"track-3.md\",\"worktree\":\"/w3\","
		    "\"branch\":\"a b\",\"depends_on\":[]},"
		    "{\"id\":4,\"name\":\"n\",\"packet\":\"track-4.md\",\"worktree\":\"/w4\","
		    "\"branch\":\"x.lock\",\"depends_on\":[]}",
		    4);
	expect_problem("manifest.json: tracks[0].branch", "\"feature..x\" is not a valid git branch name");
	expect_problem("manifest.json: tracks[1].branch", "\"-rf\" is not a valid git branch name");
	expect_problem("manifest.json: tracks[2].branch", "\"a b\" is not a valid git branch name");
	expect_problem("manifest.json: tracks[3].branch", "\"x.lock\" is not a valid git branch name");
}

static void shell_metacharacters_in_branches_are_refused(void **state)
{
	(void)state;
	/* git itself accepts this name; packetdeck does not. */
	with_tracks("{\"id\":1,\"name\":\"n\",\"packet\":\"track-1.md\",\"worktree\":\"/w\","
		    "\"branch\":\"feat;touch${IFS}pwned\",\"depends_on\":[]}", 1);
	expect_problem("manifest.json: tracks[0].branch",
		       "branch name \"feat;touch${IFS}pwned\" contains ';'");
}

static void shell_metacharacters_in_paths_are_refused(void **state)
{
	(void)state;
	with_tracks("{\"id\":1,\"name\":\"n\",\"packet\":\"a$(id).md\",\"worktree\":\"/w`id`\","
		    "\"branch\":\"b\",\"depends_on\":[]}", 0);
	expect_problem("manifest.json: tracks[0].packet", "packet file name \"a$(id).md\" contains '$'");
	expect_problem("manifest.json: tracks[0].worktree", "worktree path \"/w`id`\" contains '`'");
}

static void names_may_hold_punctuation_but_no_control_characters(void **state)
{
	pd_diags d = PD_DIAGS_INIT;
	pd_manifest *m = NULL;

	(void)state;
	with_tracks("{\"id\":1,\"name\":\"API: login & refresh (JWT) $x\",\"packet\":\"track-1.md\","
		    "\"worktree\":\"/w\",\"branch\":\"b\",\"depends_on\":[]}", 1);
	assert_int_equal(pd_manifest_load(&m, dir, &d), 0);
	assert_string_equal(m->tracks[0].name, "API: login & refresh (JWT) $x");
	pd_manifest_free(m);
	pd_diags_free(&d);
	with_tracks("{\"id\":1,\"name\":\"evil\\u001b[2J\",\"packet\":\"track-1.md\","
		    "\"worktree\":\"/w\",\"branch\":\"b\",\"depends_on\":[]}", 1);
	expect_problem("manifest.json: tracks[0].name", "contains control character 0x1b");
}

static void relative_worktree_climbing_out_is_refused(void **state)
{
	pd_diags d = PD_DIAGS_INIT;
	pd_manifest *m = NULL;
	char *expect;

	(void)state;
	with_tracks("{\"id\":1,\"name\":\"n\",\"packet\":\"track-1.md\",\"worktree\":\"../../etc\","
		    "\"branch\":\"b\",\"depends_on\":[]}", 1);
	expect_problem("manifest.json: tracks[0].worktree",
		       "relative worktree \"../../etc\" climbs out of the packet dir");
	with_tracks("{\"id\":1,\"name\":\"n\",\"packet\":\"track-1.md\",\"worktree\":\"wt/./a/../1\","
		    "\"branch\":\"b\",\"depends_on\":[]}", 1);
	assert_int_equal(pd_manifest_load(&m, dir, &d), 0);
	{
		char *real = realpath(dir, NULL);

		assert_true(asprintf(&expect, "%s/wt/1", real) > 0);
		free(real);
	}
	assert_string_equal(m->tracks[0].worktree_path, expect);
	free(expect);
	pd_manifest_free(m);
	pd_diags_free(&d);
}

static void unsupported_format_version_is_refused(void **state)
{
	(void)state;
	t_write(dir, "manifest.json", "{\"format_version\":\"2.0.0\",\"feature\":\"f\",\"tracks\":["
				      TRACK(1, "") "],\"merge_strategy\":\"m\",\"post_merge_qa\":[]}");
	t_write(dir, "track-1.md", "### Task 1.1: x\n");
	expect_problem("manifest.json: format_version",
		       "unsupported format_version \"2.0.0\" (packetdeck reads 1.x)");
}

static void unparsable_manifest_is_located(void **state)
{
	(void)state;
	t_write(dir, "manifest.json", "{\n  \"feature\": \"f\",\n}\n");
	expect_problem(NULL, "manifest.json:3:"); /* cJSON's column is approximate */
	expect_problem(NULL, ": not valid JSON");
	t_write(dir, "manifest.json", "[1, 2]");
	expect_problem("manifest.json", "must hold a JSON object, not an array");
}

static void missing_dir_and_manifest_are_reported(void **state)
{
	pd_diags d = PD_DIAGS_INIT;
	pd_manifest *m = NULL;
	char *nodir = t_path(dir, "nope");

	(void)state;
	assert_int_equal(pd_manifest_load(&m, nodir, &d), PD_EINVALID);
	assert_true(t_has_diag(&d, "/nope", "no such directory"));
	pd_diags_free(&d);
	expect_problem("manifest.json", "no such file");
	free(nodir);
}

static void oversized_manifest_is_refused_unread(void **state)
{
	char *p = t_path(dir, "manifest.json");
	FILE *f = fopen(p, "w");

	(void)state;
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)PD_MANIFEST_MAX_BYTES, SEEK_SET), 0);
	fputc('}', f);
	fclose(f);
	expect_problem(NULL, "too large");
	free(p);
}

/* Over 64 tracks the loader lists the dir once instead of a stat per
 * packet: the rules must not change. */
static void large_manifests_check_packets_the_same_way(void **state)
{
	size_t n = 100, i, len = 0, cap = n * 160;
	char *tracks = malloc(cap), *link, *sub;

	(void)state;
	for (i = 1; i <= n; i++)
		len += (size_t)snprintf(tracks + len, cap - len,
					"%s{\"id\":%zu,\"name\":\"t\",\"packet\":\"track-%zu.md\","
					"\"worktree\":\"/w\",\"branch\":\"b\",\"depends_on\":[]}",
					i > 1 ? "," : "", i, i);
	t_packet_dir(dir, tracks, (int)n);
	free(tracks);
	link = t_path(dir, "track-3.md");
	sub = t_path(dir, "track-5.md");
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink("/etc/hostname", link), 0);
	assert_int_equal(unlink(sub), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	t_write(dir, "real/six.md", "### Task 6.1: x\n");
	free(link);
	link = t_path(dir, "track-6.md");
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink("real/six.md", link), 0);
	{
		pd_diags d = PD_DIAGS_INIT;
		pd_manifest *m = NULL;

		assert_int_equal(pd_manifest_load(&m, dir, &d), PD_EINVALID);
		assert_true(t_has_diag(&d, "tracks[2].packet", "resolves to /etc/hostname, outside the packet dir"));
		assert_true(t_has_diag(&d, "tracks[4].packet", "is not a regular file"));
		assert_int_equal(d.count, 2); /* the symlink inside the dir is fine */
		assert_non_null(strstr(m->tracks[5].packet_path, "/real/six.md"));
		assert_non_null(m->tracks[99].packet_path);
		pd_manifest_free(m);
		pd_diags_free(&d);
	}
	free(link);
	free(sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, t_setup, t_teardown)
		T(loads_a_valid_manifest),
		T(upstream_optional_fields_are_accepted),
		T(missing_merge_strategy_says_what_to_add),
		T(missing_top_level_fields_are_each_reported),
		T(missing_track_field_is_located),
		T(wrong_types_are_named),
		T(bad_dependency_entries_are_located),
		T(tracks_must_be_a_non_empty_array),
		T(absolute_packet_path_is_refused),
		T(packet_path_escaping_with_dotdot_is_refused),
		T(packet_symlink_out_of_the_dir_is_refused),
		T(packet_symlink_inside_the_dir_is_fine),
		T(missing_packet_file_is_reported),
		T(packet_that_is_a_directory_is_refused),
		T(branch_names_git_refuses_are_refused),
		T(shell_metacharacters_in_branches_are_refused),
		T(shell_metacharacters_in_paths_are_refused),
		T(names_may_hold_punctuation_but_no_control_characters),
		T(relative_worktree_climbing_out_is_refused),
		T(unsupported_format_version_is_refused),
		T(unparsable_manifest_is_located),
		T(missing_dir_and_manifest_are_reported),
		T(oversized_manifest_is_refused_unread),
		T(large_manifests_check_packets_the_same_way),
#undef T
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	pd_git_shutdown();
	return failed;
}
