/* verify.c - verified completion (verify.h): markers and checkpoints
 * checked against the track's repository, through libgit2 or, where
 * libgit2 1.5 cannot open the repository, the git command.
 *
 * Not here: reading the state files (state.c), what a refusal means for a
 * run (engine_run.c) or how it is shown (the front ends).
 */
#define _GNU_SOURCE /* asprintf */
#include "packetdeck/verify.h"
#include "packetdeck/gitwt.h"
#include "gitcli.h"

#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct pd_verifier {
	const pd_manifest *m;
	bool tried;            /* the project's repository was looked for */
	git_repository *repo;  /* the project's, when libgit2 opened it */
	char *cli;             /* the project's path, when only git can open it */
};

/* Where a track's questions go: a repository open in libgit2, or a path
 * for the git command. */
typedef struct where {
	git_repository *repo;
	const char *cli;
	git_repository *own;   /* opened for this track alone: freed after */
	char *own_cli;
	char tip[41];          /* the tip of the track's branch there ("" if none) */
} where;

int pd_verifier_new(pd_verifier **out, const pd_manifest *m)
{
	pd_verifier *v = calloc(1, sizeof(*v));

	*out = v;
	if (!v)
		return pd_error_set(PD_ENOMEM, "out of memory");
	v->m = m;
	return 0;
}

void pd_verifier_free(pd_verifier *v)
{
	if (!v)
		return;
	git_repository_free(v->repo);
	free(v->cli);
	free(v);
}

/* Open the repository at `path` itself (no search upward): 1 opened (in
 * *repo, or *cli when only git can), 0 none there. */
static int open_at(const char *path, git_repository **repo, char **cli)
{
	struct stat st;
	int rc;

	*repo = NULL;
	*cli = NULL;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || pd_git_init() < 0)
		return 0;
	rc = git_repository_open_ext(repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc == 0)
		return 1;
	*repo = NULL;
	if (rc == GIT_ENOTFOUND)
		return 0;
	/* a repository libgit2 cannot read (worktreeConfig, another owner) */
	if (!(*cli = strdup(path)))
		return pd_error_set(PD_ENOMEM, "out of memory");
	return 1;
}

/* ---- the questions, each both ways ---- */

/* Is `s` a commit id (4 to 40 hex digits)? */
static bool hex_id(const char *s)
{
	size_t n = s ? strspn(s, "0123456789abcdefABCDEF") : 0;

	return n >= 4 && n <= 40 && s[n] == '\0';
}

/* The tip of refs/heads/BRANCH into tip ("" when absent or unborn). */
static void branch_tip(const where *w, const char *branch, char tip[41])
{
	char *ref = NULL, *out = NULL;

	tip[0] = '\0';
	if (asprintf(&ref, "refs/heads/%s", branch) < 0)
		return;
	if (w->repo) {
		git_object *obj = NULL;

		if (git_revparse_single(&obj, w->repo, ref) == 0) {
			git_object *c = NULL;

			if (git_object_peel(&c, obj, GIT_OBJECT_COMMIT) == 0)
				git_oid_tostr(tip, 41, git_object_id(c));
			git_object_free(c);
		}
		git_object_free(obj);
	} else {
		char *spec = NULL;

		if (asprintf(&spec, "%s^{commit}", ref) >= 0 &&
		    pd_git_cli(&out, (const char *[]){"-C", w->cli, "rev-parse", "--verify", "--quiet",
						      "--end-of-options", spec, NULL}) == 0 &&
		    strlen(out) == 40)
			memcpy(tip, out, 41);
		free(spec);
	}
	free(out);
	free(ref);
}

/* The commit `id` names, in full: 0, PD_ENOTFOUND (not in the repository)
 * or PD_EINVALID (ambiguous). */
static int resolve(const where *w, const char *id, char full[41])
{
	full[0] = '\0';
	if (w->repo) {
		git_oid oid;
		git_object *obj = NULL;
		size_t len = strlen(id);
		int rc;

		if (git_oid_fromstrn(&oid, id, len) < 0)
			return PD_EINVALID;
		rc = git_object_lookup_prefix(&obj, w->repo, &oid, len, GIT_OBJECT_COMMIT);
		if (rc == 0)
			git_oid_tostr(full, 41, git_object_id(obj));
		git_object_free(obj);
		return rc == 0 ? 0 : rc == GIT_EAMBIGUOUS ? PD_EINVALID : PD_ENOTFOUND;
	} else {
		char *spec = NULL, *out = NULL;
		int rc = -1;

		if (asprintf(&spec, "%s^{commit}", id) >= 0)
			rc = pd_git_cli(&out, (const char *[]){"-C", w->cli, "rev-parse", "--verify", "--quiet",
								"--end-of-options", spec, NULL});
		if (rc == 0 && out && strlen(out) == 40)
			memcpy(full, out, 41);
		free(spec);
		free(out);
		return full[0] ? 0 : PD_ENOTFOUND;
	}
}

/* Does `tip` descend from `base` (or equal it)? */
static bool reaches(const where *w, const char *tip, const char *base)
{
	if (strcmp(tip, base) == 0)
		return true;
	if (w->repo) {
		git_oid t, b;

		return git_oid_fromstr(&t, tip) == 0 && git_oid_fromstr(&b, base) == 0 &&
		       git_graph_descendant_of(w->repo, &t, &b) == 1;
	}
	return pd_git_cli(NULL, (const char *[]){"-C", w->cli, "merge-base", "--is-ancestor",
						 "--end-of-options", base, tip, NULL}) == 0;
}

/* ---- which repository ---- */

static void where_clear(where *w)
{
	git_repository_free(w->own);
	free(w->own_cli);
	memset(w, 0, sizeof(*w));
}

/* Find t's repository and its branch's tip there: 0 with *w set,
 * PD_ENOTFOUND when there is none. */
static int track_where(pd_verifier *v, const pd_track *t, where *w)
{
	int rc;

	memset(w, 0, sizeof(*w));
	if (!v->tried) {
		char *root = pd_manifest_root(v->m);

		v->tried = true;
		if (!root)
			return pd_error_set(PD_ENOMEM, "out of memory");
		rc = open_at(root, &v->repo, &v->cli);
		free(root);
		if (rc < 0)
			return rc;
	}
	w->repo = v->repo;
	w->cli = v->cli;
	if (w->repo || w->cli) {
		branch_tip(w, t->branch, w->tip);
		if (w->tip[0])
			return 0;
	}
	if (t->worktree_path && (rc = open_at(t->worktree_path, &w->own, &w->own_cli)) != 0) {
		if (rc < 0)
			return rc;
		w->repo = w->own;
		w->cli = w->own_cli;
		branch_tip(w, t->branch, w->tip);
		return 0;
	}
	return w->repo || w->cli ? 0 : PD_ENOTFOUND;
}

/* ---- verify.h ---- */

static int PD_PRINTF(2, 3) refuse(pd_marker *mk, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	free(mk->problem);
	mk->state = PD_FILE_CORRUPT;
	mk->refused = true;
	if (asprintf(&mk->problem, "%s: %s", mk->path ? mk->path : "completion marker", why) < 0) {
		mk->problem = NULL;
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	return 0;
}

int pd_verify_marker(pd_verifier *v, const pd_track *t, pd_marker *mk)
{
	char full[41];
	where w;
	int rc;

	if (mk->state != PD_FILE_OK)
		return 0;
	if ((rc = track_where(v, t, &w)) == PD_ENOTFOUND) {
		mk->unverified = true;
		return 0;
	}
	if (rc < 0)
		return rc;
	if (!mk->commit) {
		rc = refuse(mk, "names no commit");
	} else if (!hex_id(mk->commit)) {
		rc = refuse(mk, "\"%.60s\" is not a commit id", mk->commit);
	} else if ((rc = resolve(&w, mk->commit, full)) < 0) {
		rc = refuse(mk, "commit %.12s is %s the repository", mk->commit,
			    rc == PD_EINVALID ? "ambiguous in" : "not in");
	} else {
		if (!w.tip[0])
			rc = refuse(mk, "branch %.200s does not exist in the repository", t->branch);
		else if (!reaches(&w, w.tip, full))
			rc = refuse(mk, "commit %.7s is not on branch %.200s", full, t->branch);
	}
	where_clear(&w);
	return rc;
}

int pd_verify_checkpoint(pd_verifier *v, const pd_track *t, pd_checkpoint *c)
{
	char full[41];
	const char *why = NULL;
	where w;
	int rc;

	if (c->state != PD_FILE_OK)
		return 0;
	if ((rc = track_where(v, t, &w)) == PD_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	if (!c->commit)
		why = "names no commit (null)";
	else if (!hex_id(c->commit) || resolve(&w, c->commit, full) < 0)
		why = "is not in the repository";
	where_clear(&w);
	free(c->commit_problem);
	c->commit_problem = NULL;
	if (!why)
		return 0;
	if (c->commit ? asprintf(&c->commit_problem, "commit %.12s %s", c->commit, why) < 0
		      : !(c->commit_problem = strdup("the checkpoint names no commit (null)"))) {
		c->commit_problem = NULL;
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	return 0;
}

int pd_verify_branch_tip(pd_verifier *v, const pd_track *t, char tip[41])
{
	where w;
	int rc;

	tip[0] = '\0';
	if ((rc = track_where(v, t, &w)) < 0)
		return rc;
	memcpy(tip, w.tip, sizeof(w.tip));
	where_clear(&w);
	return 0;
}

int pd_verify_advanced(pd_verifier *v, const pd_track *t, const char *base, bool *advanced)
{
	where w;
	int rc;

	*advanced = false;
	if ((rc = track_where(v, t, &w)) < 0)
		return rc;
	if (w.tip[0])
		*advanced = !base || !base[0] || (strcmp(w.tip, base) != 0 && reaches(&w, w.tip, base));
	where_clear(&w);
	return 0;
}

bool pd_failure_refutes(const pd_failure *f, const pd_marker *mk)
{
	if (f->state == PD_FILE_ABSENT || mk->state != PD_FILE_OK)
		return false;
	return f->mtime.tv_sec > mk->mtime.tv_sec ||
	       (f->mtime.tv_sec == mk->mtime.tv_sec && f->mtime.tv_nsec >= mk->mtime.tv_nsec);
}

int pd_track_verified(pd_verifier *v, const pd_manifest *m, const pd_track *t, pd_marker *mk,
		      bool *complete)
{
	pd_failure f;
	int error;

	*complete = false;
	if ((error = pd_marker_read(mk, m->dir, t->id)) < 0)
		return error;
	if (mk->state != PD_FILE_OK)
		return 0;
	if ((error = pd_verify_marker(v, t, mk)) < 0)
		return error;
	if (mk->state != PD_FILE_OK)
		return 0;
	if ((error = pd_failure_read(&f, m->dir, t->id)) < 0)
		return error;
	*complete = !pd_failure_refutes(&f, mk);
	pd_failure_clear(&f);
	return 0;
}
