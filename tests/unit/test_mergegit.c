/* test_mergegit.c - the git side of a merge in real repositories: clean
 * merges with a merge commit, up to date, a conflict left as git leaves
 * it, its resolution committed, a reset, a worktree and a branch removed;
 * and merge.json read back as written. */
#define _GNU_SOURCE
#include "test.h"
#include "mergegit.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define sh t_sh

/* repo on main; t1 adds b, t2 and t3 change the same line of a; the
 * integration worktree `integ` on branch integ at main. */
static void make_repo(void)
{
	sh(NULL, 0, "git init -q -b main repo && cd repo && echo 1 > a && git add a && "
		    "git commit -qm base && git branch t1 && git branch t2 && git branch t3 && "
		    "git checkout -q t1 && echo b > b && git add b && git commit -qm t1 && "
		    "git checkout -q t2 && echo two > a && git commit -qam t2 && "
		    "git checkout -q t3 && echo three > a && git commit -qam t3 && "
		    "git checkout -q main && git worktree add -q -b integ ../integ main");
}

static void merges_conflicts_resolves_and_undoes(void **state)
{
	char *integ = t_path(dir, "integ"), *repo = t_path(dir, "repo");
	char base[64], c[41], head[41], out[256];
	pd_mg_outcome o;
	char **files;
	size_t n;
	bool yes;
	pd_mg *g;

	(void)state;
	make_repo();
	sh(base, sizeof(base), "git -C repo rev-parse main");
	assert_int_equal(pd_mg_open(&g, integ), 0);
	assert_int_equal(pd_mg_merge(g, "t1", "Merge track 1 (one)", &o, c, &files, &n), 0);
	assert_int_equal(o, PD_MG_MERGED);
	assert_int_equal(n, 0);
	sh(out, sizeof(out), "(cd integ && git log -1 --format='%%s %%P' | wc -w && git log -1 --format=%%s) | paste -sd'|'");
	assert_string_equal(out, "6|Merge track 1 (one)"); /* 4 words, 2 parents */
	assert_int_equal(pd_mg_head(g, head), 0);
	assert_string_equal(head, c);
	sh(out, sizeof(out), "git -C repo rev-parse t1");
	assert_int_equal(pd_mg_reachable(g, out, &yes), 0);
	assert_true(yes);
	assert_int_equal(pd_mg_merge(g, "t1", "again", &o, c, &files, &n), 0);
	assert_int_equal(o, PD_MG_UP_TO_DATE);
	assert_int_equal(pd_mg_merge(g, "t2", "Merge track 2 (two)", &o, c, &files, &n), 0);
	assert_int_equal(o, PD_MG_MERGED);
	/* t3 changes the line t2 changed */
	assert_int_equal(pd_mg_merge(g, "t3", "Merge track 3 (three)", &o, c, &files, &n), 0);
	assert_int_equal(o, PD_MG_CONFLICT);
	assert_int_equal(n, 1);
	assert_string_equal(files[0], "a");
	pd_merge_files_free(files, n);
	sh(out, sizeof(out), "(cd integ && git status --porcelain && grep -c '^<<<<<<<' a) | paste -sd'|'");
	assert_string_equal(out, "UU a|1");
	assert_int_equal(pd_mg_merging(g, &yes, c), 0);
	assert_true(yes);
	assert_int_equal(pd_mg_commit_merge(g, "Merge track 3 (three)", c), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "1 file still conflicted"));
	sh(NULL, 0, "cd integ && echo both > a && git add a");
	assert_int_equal(pd_mg_commit_merge(g, "Merge track 3 (three)", c), 0);
	assert_int_equal(pd_mg_merging(g, &yes, head), 0);
	assert_false(yes);
	sh(out, sizeof(out), "(cd integ && git status --porcelain && git log -1 --format=%%s && cat a) | paste -sd'|'");
	assert_string_equal(out, "Merge track 3 (three)|both");
	assert_int_equal(pd_mg_dirty(g, &yes), 0);
	assert_false(yes);
	/* back to the start: files, index, branch; an untracked file goes */
	sh(NULL, 0, "echo x > integ/untracked");
	assert_int_equal(pd_mg_dirty(g, &yes), 0);
	assert_true(yes);
	assert_int_equal(pd_mg_reset(g, base), 0);
	sh(out, sizeof(out), "(cd integ && git status --porcelain && git rev-parse integ && cat a) | paste -sd'|'");
	assert_true(strncmp(out, base, 40) == 0);
	assert_string_equal(out + 40, "|1");
	pd_mg_close(g);
	assert_int_equal(pd_mg_worktree_remove(repo, integ), 0);
	assert_int_equal(access(integ, F_OK), -1);
	assert_int_equal(pd_mg_branch_set(repo, "integ", NULL), 0);
	assert_int_equal(pd_mg_branch_tip(repo, "integ", c), 0);
	assert_string_equal(c, "");
	sh(out, sizeof(out), "test -e repo/.git/logs/refs/heads/integ && echo reflog || echo none");
	assert_string_equal(out, "none");
	sh(out, sizeof(out), "git -C repo worktree list --porcelain | grep -c ^worktree");
	assert_string_equal(out, "1");
	assert_int_equal(pd_mg_branch_set(repo, "integ", base), 0);
	assert_int_equal(pd_mg_branch_tip(repo, "integ", c), 0);
	assert_string_equal(c, base);
	free(integ);
	free(repo);
}

static void state_reads_back_as_written(void **state)
{
	pd_merge_state s = {0}, r;
	char *files[] = {"a", "src/b.c"};

	(void)state;
	s.phase = PD_MERGE_CONFLICT;
	s.branch = "feature/f-integrated";
	s.worktree = "/tmp/wt/f-integrated";
	s.branch_existed = true;
	memset(s.before, 'a', 40);
	s.merged = 2;
	s.track = 3;
	s.files = files;
	s.nfiles = 2;
	s.gate = 0;
	assert_int_equal(pd_merge_state_write(&s, dir), 0);
	assert_int_equal(pd_merge_state_read(&r, dir), 0);
	assert_int_equal(r.phase, PD_MERGE_CONFLICT);
	assert_string_equal(r.branch, s.branch);
	assert_string_equal(r.worktree, s.worktree);
	assert_true(r.branch_existed);
	assert_false(r.worktree_existed);
	assert_string_equal(r.before, s.before);
	assert_int_equal(r.merged, 2);
	assert_int_equal(r.track, 3);
	assert_int_equal(r.nfiles, 2);
	assert_string_equal(r.files[1], "src/b.c");
	pd_merge_state_clear(&r);
	t_write(dir, ".packetdeck/merge.json", "{\"phase\": \"sideways\"}");
	assert_int_equal(pd_merge_state_read(&r, dir), PD_EINVALID);
	assert_int_equal(r.phase, PD_MERGE_NONE);
	assert_non_null(strstr(r.problem, "merge.json: not a merge state packetdeck wrote"));
	pd_merge_state_clear(&r);
	assert_int_equal(pd_merge_state_remove(dir), 0);
	assert_int_equal(pd_merge_state_read(&r, dir), 0);
	assert_int_equal(r.phase, PD_MERGE_NONE);
	pd_merge_state_clear(&r);
	assert_int_equal(pd_gate_classify("pytest"), PD_GATE_PYTEST);
	assert_int_equal(pd_gate_classify("green-mirage-audit"), PD_GATE_SKILL);
	assert_int_equal(pd_gate_classify("auditing-green-mirage"), PD_GATE_SKILL);
	assert_int_equal(pd_gate_classify("make check; rm -rf /"), PD_GATE_SHELL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, t_setup, t_teardown)
		T(merges_conflicts_resolves_and_undoes),
		T(state_reads_back_as_written),
#undef T
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	pd_git_shutdown();
	return failed;
}
