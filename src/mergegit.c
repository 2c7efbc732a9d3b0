/* mergegit.c - libgit2 behind mergegit.h. A merge here is what `git merge
 * --no-ff` does: the merge of the trees into the index and the files (with
 * conflict markers where they disagree, and MERGE_HEAD written), then, when
 * nothing conflicts, a commit with both parents on HEAD's branch. */
#define _GNU_SOURCE
#include "mergegit.h"
#include "packetdeck/error.h"
#include "packetdeck/fsio.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/merge.h"

#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pd_mg {
	git_repository *repo;
	char *path;
};

static int fail(int code, const char *what, const char *where)
{
	const git_error *e = git_error_last();

	return pd_error_set(code, "%s: %s: %s", where, what, e && e->message ? e->message : "unknown libgit2 error");
}

static void hex(char out[41], const git_oid *id)
{
	git_oid_tostr(out, 41, id);
}

int pd_mg_open(pd_mg **out, const char *worktree)
{
	pd_mg *g;
	int error;

	*out = NULL;
	if ((error = pd_git_init()) < 0)
		return error;
	if (!(g = calloc(1, sizeof(*g))) || !(g->path = strdup(worktree))) {
		free(g);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	if (git_repository_open_ext(&g->repo, worktree, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		error = fail(PD_EIO, "cannot open the repository", worktree);
		pd_mg_close(g);
		return error;
	}
	*out = g;
	return 0;
}

void pd_mg_close(pd_mg *g)
{
	if (!g)
		return;
	git_repository_free(g->repo);
	free(g->path);
	free(g);
}

static int tip_of(git_repository *repo, const char *branch, char tip[41], const char *where)
{
	git_reference *ref = NULL;
	git_object *c = NULL;
	int r;

	tip[0] = '\0';
	r = git_branch_lookup(&ref, repo, branch, GIT_BRANCH_LOCAL);
	if (r == GIT_ENOTFOUND)
		return 0;
	if (r < 0 || git_reference_peel(&c, ref, GIT_OBJECT_COMMIT) < 0) {
		git_reference_free(ref);
		return fail(PD_EIO, branch, where);
	}
	hex(tip, git_object_id(c));
	git_object_free(c);
	git_reference_free(ref);
	return 0;
}

int pd_mg_branch_tip(const char *repo, const char *branch, char tip[41])
{
	pd_mg *g;
	int error;

	tip[0] = '\0';
	if ((error = pd_mg_open(&g, repo)) < 0)
		return error;
	error = tip_of(g->repo, branch, tip, repo);
	pd_mg_close(g);
	return error;
}

int pd_mg_head(pd_mg *g, char head[41])
{
	git_oid id;
	int r = git_reference_name_to_id(&id, g->repo, "HEAD");

	head[0] = '\0';
	if (r == GIT_ENOTFOUND || r == GIT_EUNBORNBRANCH)
		return 0;
	if (r < 0)
		return fail(PD_EIO, "HEAD", g->path);
	hex(head, &id);
	return 0;
}

int pd_mg_reachable(pd_mg *g, const char *commit, bool *yes)
{
	git_oid id, head;
	int r;

	*yes = false;
	if (git_oid_fromstr(&id, commit) < 0)
		return pd_error_set(PD_EINVALID, "%s: not a commit", commit);
	if (git_reference_name_to_id(&head, g->repo, "HEAD") < 0)
		return 0;
	if (git_oid_equal(&id, &head)) {
		*yes = true;
		return 0;
	}
	r = git_graph_descendant_of(g->repo, &head, &id);
	if (r < 0)
		return fail(PD_EIO, commit, g->path);
	*yes = r == 1;
	return 0;
}

static int index_conflicts(git_index *ix, char ***files, size_t *nfiles, const char *where)
{
	git_index_conflict_iterator *it = NULL;
	const git_index_entry *anc, *ours, *theirs;
	size_t n = 0, cap = 0;
	char **list = NULL;
	int r;

	*files = NULL;
	*nfiles = 0;
	if (git_index_conflict_iterator_new(&it, ix) < 0)
		return fail(PD_EIO, "cannot read the conflicts", where);
	while ((r = git_index_conflict_next(&anc, &ours, &theirs, it)) == 0) {
		const char *p = ours ? ours->path : theirs ? theirs->path : anc->path;

		if (n == cap) {
			char **bigger = realloc(list, (cap = cap ? cap * 2 : 8) * sizeof(*list));

			if (!bigger)
				break;
			list = bigger;
		}
		if (!(list[n] = strdup(p)))
			break;
		n++;
	}
	git_index_conflict_iterator_free(it);
	if (r != GIT_ITEROVER) {
		pd_merge_files_free(list, n);
		return r < 0 ? fail(PD_EIO, "cannot read the conflicts", where)
			     : pd_error_set(PD_ENOMEM, "out of memory");
	}
	*files = list;
	*nfiles = n;
	return 0;
}

int pd_mg_conflicts(pd_mg *g, char ***files, size_t *nfiles)
{
	git_index *ix = NULL;
	int error;

	*files = NULL;
	*nfiles = 0;
	if (git_repository_index(&ix, g->repo) < 0 || git_index_read(ix, 1) < 0) {
		git_index_free(ix);
		return fail(PD_EIO, "cannot read the index", g->path);
	}
	error = git_index_has_conflicts(ix) ? index_conflicts(ix, files, nfiles, g->path) : 0;
	git_index_free(ix);
	return error;
}

/* The committer: the repository's user.name and user.email, else
 * packetdeck's own name (git would refuse; a merge left at the last
 * track for want of an identity helps no one). */
static int signature(git_signature **sig, git_repository *repo)
{
	if (git_signature_default(sig, repo) == 0)
		return 0;
	return git_signature_now(sig, "packetdeck", "packetdeck@localhost");
}

/* Commit the index of `repo` on HEAD with parents HEAD and `their`. */
static int commit_index(pd_mg *g, const git_oid *their, const char *message, char out[41])
{
	git_index *ix = NULL;
	git_tree *tree = NULL;
	git_commit *parents[2] = {NULL, NULL};
	git_signature *sig = NULL;
	git_oid tree_id, head, id;
	int error = 0;

	if (git_repository_index(&ix, g->repo) < 0 || git_index_read(ix, 1) < 0 ||
	    git_index_write_tree(&tree_id, ix) < 0 || git_tree_lookup(&tree, g->repo, &tree_id) < 0 ||
	    git_reference_name_to_id(&head, g->repo, "HEAD") < 0 ||
	    git_commit_lookup(&parents[0], g->repo, &head) < 0 ||
	    git_commit_lookup(&parents[1], g->repo, their) < 0 || signature(&sig, g->repo) < 0 ||
	    git_commit_create(&id, g->repo, "HEAD", sig, sig, NULL, message, tree, 2,
			      (const git_commit **)parents) < 0 ||
	    git_repository_state_cleanup(g->repo) < 0)
		error = fail(PD_EIO, "cannot commit the merge", g->path);
	else
		hex(out, &id);
	git_signature_free(sig);
	git_commit_free(parents[0]);
	git_commit_free(parents[1]);
	git_tree_free(tree);
	git_index_free(ix);
	return error;
}

int pd_mg_merge(pd_mg *g, const char *branch, const char *message, pd_mg_outcome *outcome,
		char commit[41], char ***files, size_t *nfiles)
{
	git_reference *ref = NULL;
	git_annotated_commit *their = NULL;
	git_merge_analysis_t analysis;
	git_merge_preference_t pref;
	git_merge_options mo;
	git_checkout_options co;
	git_oid their_id;
	bool reached = false;
	int error = 0;

	commit[0] = '\0';
	*files = NULL;
	*nfiles = 0;
	*outcome = PD_MG_MERGED;
	if (git_branch_lookup(&ref, g->repo, branch, GIT_BRANCH_LOCAL) < 0 ||
	    git_annotated_commit_from_ref(&their, g->repo, ref) < 0) {
		error = fail(PD_EINVALID, branch, g->path);
		goto done;
	}
	git_oid_cpy(&their_id, git_annotated_commit_id(their));
	hex(commit, &their_id);
	if ((error = pd_mg_reachable(g, commit, &reached)) < 0)
		goto done;
	if (reached) {
		*outcome = PD_MG_UP_TO_DATE;
		goto done;
	}
	if (git_merge_analysis(&analysis, &pref, g->repo, (const git_annotated_commit **)&their, 1) < 0) {
		error = fail(PD_EIO, branch, g->path);
		goto done;
	}
	if (analysis & GIT_MERGE_ANALYSIS_UP_TO_DATE) {
		*outcome = PD_MG_UP_TO_DATE;
		goto done;
	}
	git_merge_options_init(&mo, GIT_MERGE_OPTIONS_VERSION);
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_SAFE | GIT_CHECKOUT_ALLOW_CONFLICTS |
			       GIT_CHECKOUT_CONFLICT_STYLE_MERGE;
	if (git_merge(g->repo, (const git_annotated_commit **)&their, 1, &mo, &co) < 0) {
		error = fail(PD_EIO, "cannot merge", branch);
		goto done;
	}
	if ((error = pd_mg_conflicts(g, files, nfiles)) < 0)
		goto done;
	if (*nfiles > 0) {
		*outcome = PD_MG_CONFLICT;
		goto done;
	}
	error = commit_index(g, &their_id, message, commit);
done:
	git_annotated_commit_free(their);
	git_reference_free(ref);
	return error;
}

int pd_mg_merging(pd_mg *g, bool *yes, char their[41])
{
	git_oid id;

	*yes = false;
	their[0] = '\0';
	if (git_reference_name_to_id(&id, g->repo, "MERGE_HEAD") < 0)
		return 0;
	*yes = true;
	hex(their, &id);
	return 0;
}

int pd_mg_commit_merge(pd_mg *g, const char *message, char commit[41])
{
	git_oid their;
	char **files;
	size_t n;
	int error;

	if (git_reference_name_to_id(&their, g->repo, "MERGE_HEAD") < 0)
		return pd_error_set(PD_EINVALID, "%s: no merge in progress", g->path);
	if ((error = pd_mg_conflicts(g, &files, &n)) < 0)
		return error;
	pd_merge_files_free(files, n);
	if (n > 0)
		return pd_error_set(PD_EINVALID, "%s: %zu file%s still conflicted", g->path, n, n == 1 ? "" : "s");
	return commit_index(g, &their, message, commit);
}

int pd_mg_reset(pd_mg *g, const char *commit)
{
	git_object *target = NULL;
	git_checkout_options co;
	git_oid id;
	int error = 0;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
	if (git_oid_fromstr(&id, commit) < 0)
		return pd_error_set(PD_EINVALID, "%s: not a commit", commit);
	if (git_object_lookup(&target, g->repo, &id, GIT_OBJECT_COMMIT) < 0 ||
	    git_reset(g->repo, target, GIT_RESET_HARD, &co) < 0 ||
	    git_checkout_head(g->repo, &co) < 0 || git_repository_state_cleanup(g->repo) < 0)
		error = fail(PD_EIO, "cannot reset", g->path);
	git_object_free(target);
	return error;
}

int pd_mg_dirty(pd_mg *g, bool *dirty)
{
	git_status_options so;
	git_status_list *list = NULL;

	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&list, g->repo, &so) < 0)
		return fail(PD_EIO, "cannot read the status", g->path);
	*dirty = git_status_list_entrycount(list) > 0;
	git_status_list_free(list);
	return 0;
}

/* The same path, after symlinks, as far as both exist. */
static bool same_path(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	size_t la, lb;

	if (realpath(a, ra) && realpath(b, rb))
		return strcmp(ra, rb) == 0;
	la = strlen(a);
	lb = strlen(b);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncmp(a, b, la) == 0;
}

int pd_mg_worktree_remove(const char *repo, const char *path)
{
	pd_mg *g;
	git_strarray names = {NULL, 0};
	git_worktree_prune_options po;
	int error;
	size_t i;

	if ((error = pd_mg_open(&g, repo)) < 0)
		return error;
	git_worktree_prune_options_init(&po, GIT_WORKTREE_PRUNE_OPTIONS_VERSION);
	po.flags = GIT_WORKTREE_PRUNE_VALID | GIT_WORKTREE_PRUNE_LOCKED | GIT_WORKTREE_PRUNE_WORKING_TREE;
	if (git_worktree_list(&names, g->repo) < 0)
		error = fail(PD_EIO, "cannot list the worktrees", repo);
	for (i = 0; !error && i < names.count; i++) {
		git_worktree *wt = NULL;

		if (git_worktree_lookup(&wt, g->repo, names.strings[i]) < 0)
			continue;
		if (same_path(git_worktree_path(wt), path) && git_worktree_prune(wt, &po) < 0)
			error = fail(PD_EIO, "cannot remove the worktree", path);
		git_worktree_free(wt);
	}
	git_strarray_dispose(&names);
	pd_mg_close(g);
	/* a worktree whose creation was cut short has no administrative
	 * files to find it by: its directory goes all the same */
	return error < 0 ? error : pd_remove_tree(path);
}

int pd_mg_branch_set(const char *repo, const char *branch, const char *commit)
{
	pd_mg *g;
	git_reference *ref = NULL, *made = NULL;
	char name[1024];
	git_oid id;
	int error, r;

	if ((error = pd_mg_open(&g, repo)) < 0)
		return error;
	r = git_branch_lookup(&ref, g->repo, branch, GIT_BRANCH_LOCAL);
	if (!commit) {
		/* the ref and its reflog; not git_branch_delete, whose search
		 * of the config for branch.NAME.* leaks pcre2 match data in
		 * libgit2 1.5 (and the merge gives its branch no config) */
		if (r == 0 && git_reference_delete(ref) < 0)
			error = fail(PD_EIO, "cannot delete the branch", branch);
		else if (r < 0 && r != GIT_ENOTFOUND)
			error = fail(PD_EIO, branch, repo);
	} else if (git_oid_fromstr(&id, commit) < 0) {
		error = pd_error_set(PD_EINVALID, "%s: not a commit", commit);
	} else {
		snprintf(name, sizeof(name), "refs/heads/%s", branch);
		if (git_reference_create(&made, g->repo, name, &id, 1, "packetdeck merge --abort") < 0)
			error = fail(PD_EIO, "cannot set the branch", branch);
	}
	git_reference_free(made);
	git_reference_free(ref);
	pd_mg_close(g);
	return error;
}
