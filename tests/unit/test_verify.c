/* test_verify.c - verified completion: markers and checkpoints checked
 * against real repositories, through libgit2 and through the git command,
 * and the failure record that refutes a marker. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/manifest.h"
#include "packetdeck/state.h"
#include "packetdeck/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char base[64], tip[64], other[64];

/* dir/repo: main with one commit (base); branch f/t1 one commit further
 * (tip); branch side with a commit of its own (other). A packet dir whose
 * track 1 is f/t1, with project_root `root` ("repo" or another dir). */
static pd_manifest *world(const char *root)
{
	pd_manifest *m = NULL;
	pd_diags d = PD_DIAGS_INIT;
	char *json = NULL, *pk = t_path(dir, "packets");

	t_sh(NULL, 0, "git init -q -b main repo && git -C repo commit -q --allow-empty -m base");
	t_sh(base, sizeof(base), "git -C repo rev-parse HEAD");
	t_sh(NULL, 0, "git -C repo branch f/t1 && git -C repo checkout -q f/t1 && "
		      "git -C repo commit -q --allow-empty -m work && git -C repo checkout -q main");
	t_sh(tip, sizeof(tip), "git -C repo rev-parse f/t1");
	t_sh(NULL, 0, "git -C repo checkout -q -b side && git -C repo commit -q --allow-empty -m side "
		      "&& git -C repo checkout -q main");
	t_sh(other, sizeof(other), "git -C repo rev-parse side");
	assert_true(asprintf(&json,
			     "{\"format_version\":\"1.0.0\",\"feature\":\"v\",\"project_root\":\"%s/%s\","
			     "\"tracks\":[{\"id\":1,\"name\":\"t1\",\"packet\":\"track-1.md\","
			     "\"worktree\":\"%s/wt1\",\"branch\":\"f/t1\",\"depends_on\":[]},"
			     "{\"id\":2,\"name\":\"t2\",\"packet\":\"track-2.md\",\"worktree\":\"%s/wt2\","
			     "\"branch\":\"f/t2\",\"depends_on\":[]}],"
			     "\"merge_strategy\":\"worktree-merge\",\"post_merge_qa\":[]}",
			     dir, root, dir, dir) > 0);
	t_write(dir, "packets/manifest.json", json);
	t_write(dir, "packets/track-1.md", "### Task 1.1: one\n");
	t_write(dir, "packets/track-2.md", "### Task 2.1: one\n");
	if (pd_manifest_load(&m, pk, &d) != 0)
		fail_msg("manifest: %s", d.count ? d.items[0].message : pd_error_last());
	pd_diags_free(&d);
	free(json);
	free(pk);
	return m;
}

/* Track `id`'s marker naming `commit` (NULL: null), read and verified. */
static void verified(pd_marker *mk, pd_verifier *v, pd_manifest *m, long id, const char *commit)
{
	char *text = NULL, name[64];

	if (commit)
		assert_true(asprintf(&text, "{\"format_version\":\"1.0.0\",\"status\":\"complete\","
					    "\"commit\":\"%s\",\"timestamp\":\"2026-01-05T13:00:00Z\"}",
				     commit) > 0);
	else
		assert_true(asprintf(&text, "{\"format_version\":\"1.0.0\",\"status\":\"complete\","
					    "\"commit\":null,\"timestamp\":\"2026-01-05T13:00:00Z\"}") > 0);
	snprintf(name, sizeof(name), "packets/track-%ld.completion.json", id);
	t_write(dir, name, text);
	free(text);
	assert_int_equal(pd_marker_read(mk, m->dir, id), 0);
	assert_int_equal(mk->state, PD_FILE_OK);
	assert_int_equal(pd_verify_marker(v, &m->tracks[id - 1], mk), 0);
}

static void refused_with(pd_marker *mk, const char *why)
{
	assert_int_equal(mk->state, PD_FILE_CORRUPT);
	assert_true(mk->refused);
	assert_false(mk->unverified);
	if (!strstr(mk->problem, why) || !strstr(mk->problem, "/packets/track-"))
		fail_msg("problem \"%s\" lacks \"%s\"", mk->problem, why);
}

/* The verdicts, the same whichever way the repository is read. */
static void verdicts(pd_manifest *m)
{
	pd_verifier *v = NULL;
	pd_marker mk;
	char abbrev[8];

	assert_int_equal(pd_verifier_new(&v, m), 0);
	verified(&mk, v, m, 1, tip); /* the branch's tip */
	assert_int_equal(mk.state, PD_FILE_OK);
	assert_false(mk.unverified);
	pd_marker_clear(&mk);
	snprintf(abbrev, sizeof(abbrev), "%.7s", base); /* an ancestor, abbreviated */
	verified(&mk, v, m, 1, abbrev);
	assert_int_equal(mk.state, PD_FILE_OK);
	pd_marker_clear(&mk);
	verified(&mk, v, m, 1, "0123456789abcdef0123456789abcdef01234567");
	refused_with(&mk, "commit 0123456789ab is not in the repository");
	pd_marker_clear(&mk);
	verified(&mk, v, m, 1, other); /* exists, on another branch */
	refused_with(&mk, "is not on branch f/t1");
	pd_marker_clear(&mk);
	verified(&mk, v, m, 1, NULL);
	refused_with(&mk, "names no commit");
	pd_marker_clear(&mk);
	verified(&mk, v, m, 1, "HEAD~1");
	refused_with(&mk, "\"HEAD~1\" is not a commit id");
	pd_marker_clear(&mk);
	verified(&mk, v, m, 2, tip); /* f/t2 does not exist, nor its worktree */
	refused_with(&mk, "branch f/t2 does not exist in the repository");
	pd_marker_clear(&mk);
	pd_verifier_free(v);
}

static void markers_are_checked_against_the_branch(void **state)
{
	pd_manifest *m = world("repo");

	(void)state;
	verdicts(m);
	pd_manifest_free(m);
}

static void the_git_command_gives_the_same_verdicts(void **state)
{
	pd_manifest *m = world("repo");

	(void)state;
	/* libgit2 1.5 cannot open a repository with this extension */
	t_sh(NULL, 0, "cd repo && git config core.repositoryformatversion 1 && "
		      "git config extensions.worktreeConfig true");
	verdicts(m);
	pd_manifest_free(m);
}

static void without_a_repository_a_marker_is_unverified(void **state)
{
	pd_manifest *m = world("elsewhere");
	pd_verifier *v = NULL;
	pd_marker mk;

	(void)state;
	t_write(dir, "elsewhere/README", "not a repository\n");
	assert_int_equal(pd_verifier_new(&v, m), 0);
	verified(&mk, v, m, 1, "0123456789abcdef0123456789abcdef01234567");
	assert_int_equal(mk.state, PD_FILE_OK);
	assert_true(mk.unverified);
	pd_marker_clear(&mk);
	pd_verifier_free(v);
	pd_manifest_free(m);
}

/* The project root holds no such branch, the track's worktree does. */
static void the_worktree_is_asked_when_the_project_lacks_the_branch(void **state)
{
	pd_manifest *m = world("elsewhere");
	pd_verifier *v = NULL;
	pd_marker mk;

	(void)state;
	t_sh(NULL, 0, "mkdir -p elsewhere && git -C repo worktree add -q ../wt1 f/t1");
	assert_int_equal(pd_verifier_new(&v, m), 0);
	verified(&mk, v, m, 1, tip);
	assert_int_equal(mk.state, PD_FILE_OK);
	assert_false(mk.unverified);
	pd_marker_clear(&mk);
	verified(&mk, v, m, 1, other);
	refused_with(&mk, "is not on branch f/t1");
	pd_marker_clear(&mk);
	pd_verifier_free(v);
	pd_manifest_free(m);
}

static void a_branch_advanced_only_with_a_new_commit(void **state)
{
	pd_manifest *m = world("repo");
	pd_verifier *v = NULL;
	char now[64];
	bool moved = true;

	(void)state;
	assert_int_equal(pd_verifier_new(&v, m), 0);
	assert_int_equal(pd_verify_advanced(v, &m->tracks[0], tip, &moved), 0);
	assert_false(moved); /* still at its start */
	assert_int_equal(pd_verify_advanced(v, &m->tracks[0], base, &moved), 0);
	assert_true(moved);
	assert_int_equal(pd_verify_advanced(v, &m->tracks[0], NULL, &moved), 0);
	assert_true(moved); /* it had no commit: any is new */
	assert_int_equal(pd_verify_advanced(v, &m->tracks[0], other, &moved), 0);
	assert_false(moved); /* moved elsewhere, not past it */
	assert_int_equal(pd_verify_branch_tip(v, &m->tracks[0], now), 0);
	assert_string_equal(now, tip);
	assert_int_equal(pd_verify_branch_tip(v, &m->tracks[1], now), 0);
	assert_string_equal(now, "");
	pd_verifier_free(v);
	pd_manifest_free(m);
}

static void a_newer_failure_record_refutes_the_marker(void **state)
{
	pd_manifest *m = world("repo");
	pd_verifier *v = NULL;
	pd_marker mk;
	bool complete = false;
	char *marker = t_path(dir, "packets/track-1.completion.json");

	(void)state;
	assert_int_equal(pd_verifier_new(&v, m), 0);
	verified(&mk, v, m, 1, tip);
	pd_marker_clear(&mk);
	assert_int_equal(pd_track_verified(v, m, &m->tracks[0], &mk, &complete), 0);
	assert_true(complete);
	pd_marker_clear(&mk);
	assert_int_equal(pd_failure_write(m->dir, 1, NULL, "no commit since it started", NULL, 0, NULL), 0);
	assert_int_equal(pd_track_verified(v, m, &m->tracks[0], &mk, &complete), 0);
	assert_false(complete);
	assert_int_equal(mk.state, PD_FILE_OK); /* refuted, not corrupt */
	pd_marker_clear(&mk);
	/* a marker written again, later, counts again */
	usleep(20000);
	t_sh(NULL, 0, "touch packets/track-1.completion.json");
	assert_int_equal(pd_track_verified(v, m, &m->tracks[0], &mk, &complete), 0);
	assert_true(complete);
	pd_marker_clear(&mk);
	free(marker);
	pd_verifier_free(v);
	pd_manifest_free(m);
}

static void checkpoints_with_no_such_commit_are_flagged(void **state)
{
	pd_manifest *m = world("repo");
	pd_verifier *v = NULL;
	pd_checkpoint c;
	char *text = NULL;

	(void)state;
	assert_int_equal(pd_verifier_new(&v, m), 0);
	assert_int_equal(pd_checkpoint_write(m->dir, 1, "1.1", NULL, tip, NULL), 0);
	assert_int_equal(pd_checkpoint_read(&c, m->dir, 1), 0);
	assert_int_equal(pd_verify_checkpoint(v, &m->tracks[0], &c), 0);
	assert_null(c.commit_problem);
	pd_checkpoint_clear(&c);
	assert_int_equal(pd_checkpoint_write(m->dir, 1, "1.1", NULL, NULL, NULL), 0);
	assert_int_equal(pd_checkpoint_read(&c, m->dir, 1), 0);
	assert_int_equal(pd_verify_checkpoint(v, &m->tracks[0], &c), 0);
	assert_string_equal(c.commit_problem, "the checkpoint names no commit (null)");
	pd_checkpoint_clear(&c);
	assert_true(asprintf(&text, "%s", "0123456789abcdef0123456789abcdef01234567") > 0);
	assert_int_equal(pd_checkpoint_write(m->dir, 1, "1.1", NULL, text, NULL), 0);
	assert_int_equal(pd_checkpoint_read(&c, m->dir, 1), 0);
	assert_int_equal(pd_verify_checkpoint(v, &m->tracks[0], &c), 0);
	assert_string_equal(c.commit_problem, "commit 0123456789ab is not in the repository");
	assert_int_equal(c.state, PD_FILE_OK); /* flagged, still the resume point */
	pd_checkpoint_clear(&c);
	free(text);
	pd_verifier_free(v);
	pd_manifest_free(m);
}

static void the_start_record_round_trips(void **state)
{
	pd_start st;

	(void)state;
	assert_int_equal(pd_start_write(dir, 3, "f/t3", "abc1234", "claude"), 0);
	assert_int_equal(pd_start_read(&st, dir, 3), 0);
	assert_int_equal(st.state, PD_FILE_OK);
	assert_string_equal(st.branch, "f/t3");
	assert_string_equal(st.commit, "abc1234");
	assert_string_equal(st.runner, "claude");
	pd_start_clear(&st);
	assert_int_equal(pd_start_write(dir, 3, "f/t3", NULL, "codex"), 0);
	assert_int_equal(pd_start_read(&st, dir, 3), 0);
	assert_int_equal(st.state, PD_FILE_OK);
	assert_null(st.commit);
	pd_start_clear(&st);
	assert_int_equal(pd_start_read(&st, dir, 4), 0);
	assert_int_equal(st.state, PD_FILE_ABSENT);
	pd_start_clear(&st);
	t_write(dir, ".packetdeck/track-4.start.json", "{\"track\":5,\"branch\":\"x\",\"commit\":null}");
	assert_int_equal(pd_start_read(&st, dir, 4), 0);
	assert_int_equal(st.state, PD_FILE_CORRUPT);
	assert_non_null(strstr(st.problem, "names another track"));
	pd_start_clear(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(markers_are_checked_against_the_branch, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(the_git_command_gives_the_same_verdicts, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(without_a_repository_a_marker_is_unverified, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(the_worktree_is_asked_when_the_project_lacks_the_branch, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(a_branch_advanced_only_with_a_new_commit, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(a_newer_failure_record_refutes_the_marker, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(checkpoints_with_no_such_commit_are_flagged, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(the_start_record_round_trips, t_setup, t_teardown),
	};

	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	pd_git_shutdown();
	return failed;
}
