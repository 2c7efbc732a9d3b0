/* test_gitwt.c - worktrees in real repositories, through libgit2 and,
 * where libgit2 1.5 cannot open the repository, through the git command. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/gitwt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define sh t_sh

static char first[64], second[64];

/* dir/repo with two commits on main. */
static void make_repo(void)
{
	sh(NULL, 0, "git init -q -b main repo && cd repo && echo 1 > a && git add a && "
		    "git commit -qm 'first commit'");
	sh(first, sizeof(first), "git -C repo rev-parse HEAD");
	sh(NULL, 0, "cd repo && echo 2 > a && git commit -qam 'second commit'");
	sh(second, sizeof(second), "git -C repo rev-parse HEAD");
}

static void absent_and_foreign_paths(void **state)
{
	pd_worktree_info w;
	char *p = t_path(dir, "nothing"), *plain = t_path(dir, "plain");

	(void)state;
	assert_int_equal(pd_worktree_inspect(&w, p), 0);
	assert_false(w.exists);
	sh(NULL, 0, "mkdir plain");
	assert_int_equal(pd_worktree_inspect(&w, plain), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "exists and is not a git worktree"));
	free(p);
	free(plain);
}

static void creates_worktree_and_branch_from_head(void **state)
{
	char *repo = t_path(dir, "repo"), *wt = t_path(dir, "wt-1");
	pd_worktree_info w;
	bool cli = true;

	(void)state;
	make_repo();
	assert_int_equal(pd_worktree_create(repo, wt, "feature/user-auth/track-1", NULL, &cli), 0);
	assert_false(cli);
	assert_int_equal(pd_worktree_inspect(&w, wt), 0);
	assert_true(w.exists);
	assert_string_equal(w.branch, "feature/user-auth/track-1");
	assert_string_equal(w.head, second);
	assert_string_equal(w.subject, "second commit");
	assert_false(w.via_cli);
	pd_worktree_info_clear(&w);
	{
		char listed[256];

		sh(listed, sizeof(listed), "git -C repo worktree list | grep -c wt-1");
		assert_string_equal(listed, "1"); /* git itself sees it */
	}
	free(repo);
	free(wt);
}

static void creates_from_a_given_commit(void **state)
{
	char *repo = t_path(dir, "repo"), *wt = t_path(dir, "wt-2");
	pd_worktree_info w;

	(void)state;
	make_repo();
	assert_int_equal(pd_worktree_create(repo, wt, "t2", first, NULL), 0);
	assert_int_equal(pd_worktree_inspect(&w, wt), 0);
	assert_string_equal(w.head, first);
	pd_worktree_info_clear(&w);
	free(repo);
	free(wt);
}

static void prepare_accepts_the_branch_and_refuses_another(void **state)
{
	char *repo = t_path(dir, "repo"), *wt = t_path(dir, "wt-3");
	pd_worktree_info w;

	(void)state;
	make_repo();
	assert_int_equal(pd_worktree_prepare(repo, wt, "t3", NULL, &w), 0); /* creates */
	assert_string_equal(w.branch, "t3");
	pd_worktree_info_clear(&w);
	assert_int_equal(pd_worktree_prepare(repo, wt, "t3", NULL, NULL), 0); /* exists: fine */
	sh(NULL, 0, "git -C wt-3 checkout -q -b other");
	assert_int_equal(pd_worktree_prepare(repo, wt, "t3", NULL, NULL), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "is on branch other, but the packet's branch is t3"));
	{
		char now[64];

		sh(now, sizeof(now), "git -C wt-3 symbolic-ref --short HEAD");
		assert_string_equal(now, "other"); /* nothing was checked out for us */
	}
	free(repo);
	free(wt);
}

static void a_creation_cut_short_is_repaired_and_nothing_else_is_touched(void **state)
{
	char *repo = t_path(dir, "repo"), *wt = t_path(dir, "wt-5"), *plain = t_path(dir, "plain");
	pd_worktree_info w;
	char out[256];

	(void)state;
	make_repo();
	/* what a SIGKILL inside `git worktree add` leaves: the intent, a
	 * directory whose .git file is empty, the repository's record of it */
	sh(NULL, 0, "git -C repo worktree add -q -b t5 ../wt-5 && : > wt-5/.git && "
		    "echo wt-5 > .wt-5.packetdeck-creating");
	assert_int_equal(pd_worktree_inspect(&w, wt), PD_EINVALID); /* unusable as it is */
	assert_int_equal(pd_worktree_prepare(repo, wt, "t5", NULL, &w), 0);
	assert_string_equal(w.branch, "t5");
	pd_worktree_info_clear(&w);
	sh(out, sizeof(out), "test ! -e .wt-5.packetdeck-creating && git -C wt-5 status --short | wc -l");
	assert_string_equal(out, "0");
	sh(out, sizeof(out), "git -C repo worktree list | wc -l");
	assert_string_equal(out, "2"); /* the main one and wt-5: no stale record */
	/* killed inside the branch's creation: its ref's lock file is left,
	 * and no one could create the branch (found by cli.crash) */
	sh(NULL, 0, "mkdir -p repo/.git/refs/heads/crash repo/.git/logs/refs/heads/crash && "
		    ": > repo/.git/refs/heads/crash/t7.lock && : > repo/.git/logs/refs/heads/crash/t7.lock && "
		    "mkdir wt-7 && echo wt-7 > .wt-7.packetdeck-creating");
	{
		char *wt7 = t_path(dir, "wt-7");

		assert_int_equal(pd_worktree_prepare(repo, wt7, "crash/t7", NULL, &w), 0);
		assert_string_equal(w.branch, "crash/t7");
		pd_worktree_info_clear(&w);
		free(wt7);
	}
	sh(out, sizeof(out), "find repo/.git/refs repo/.git/logs -name '*.lock' | wc -l");
	assert_string_equal(out, "0");
	/* a branch lock without our intent is someone else's: left alone */
	sh(NULL, 0, ": > repo/.git/refs/heads/crash/t8.lock");
	{
		char *wt8 = t_path(dir, "wt-8");

		assert_int_equal(pd_worktree_prepare(repo, wt8, "crash/t8", NULL, NULL), PD_EIO);
		free(wt8);
	}
	sh(out, sizeof(out), "test -e repo/.git/refs/heads/crash/t8.lock && echo kept");
	assert_string_equal(out, "kept");
	/* without the intent, a broken directory is the user's: refused, kept */
	sh(NULL, 0, "mkdir plain && echo mine > plain/file");
	assert_int_equal(pd_worktree_prepare(repo, plain, "t6", NULL, NULL), PD_EINVALID);
	sh(out, sizeof(out), "cat plain/file");
	assert_string_equal(out, "mine");
	free(repo);
	free(wt);
	free(plain);
}

static void an_existing_branch_is_checked_out_not_recreated(void **state)
{
	char *repo = t_path(dir, "repo"), *wt = t_path(dir, "wt-4");
	pd_worktree_info w;

	(void)state;
	make_repo();
	sh(NULL, 0, "git -C repo branch existing %s", first);
	assert_int_equal(pd_worktree_prepare(repo, wt, "existing", NULL, &w), 0);
	assert_string_equal(w.head, first); /* the branch's commit, not HEAD */
	pd_worktree_info_clear(&w);
	free(repo);
	free(wt);
}

static void without_libgit2_the_git_command_does_it(void **state)
{
	char *repo = t_path(dir, "repo"), *wt = t_path(dir, "wt-5"), *pwned = t_path(dir, "pwned");
	pd_worktree_info w;
	bool cli = false;
	/* git accepts this branch name; it must reach git as one argument */
	const char *branch = "feat;touch${IFS}pwned";

	(void)state;
	make_repo();
	sh(NULL, 0, "cd repo && git config core.repositoryformatversion 1 && "
		    "git config extensions.worktreeConfig true");
	assert_int_equal(pd_worktree_create(repo, wt, branch, first, &cli), 0);
	assert_true(cli);
	assert_int_equal(pd_worktree_inspect(&w, wt), 0);
	assert_true(w.via_cli);
	assert_string_equal(w.branch, branch);
	assert_string_equal(w.head, first);
	assert_string_equal(w.subject, "first commit");
	pd_worktree_info_clear(&w);
	assert_int_equal(access(pwned, F_OK), -1);
	assert_int_equal(pd_worktree_prepare(repo, wt, "main2", NULL, NULL), PD_EINVALID);
	free(repo);
	free(wt);
	free(pwned);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, t_setup, t_teardown)
		T(absent_and_foreign_paths),
		T(creates_worktree_and_branch_from_head),
		T(creates_from_a_given_commit),
		T(prepare_accepts_the_branch_and_refuses_another),
		T(a_creation_cut_short_is_repaired_and_nothing_else_is_touched),
		T(an_existing_branch_is_checked_out_not_recreated),
		T(without_libgit2_the_git_command_does_it),
#undef T
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	pd_git_shutdown();
	return failed;
}
