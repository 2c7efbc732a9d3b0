/* gitwt.c - libgit2 behind gitwt.h, with the git command as a fallback;
 * and the repair of a worktree whose creation was cut short (a crash in
 * the middle of `git worktree add` leaves a half-made one that no later
 * run could use). Only this file, verify.c and mergegit.c include git2.h. */
#define _GNU_SOURCE
#include "packetdeck/gitwt.h"
#include "packetdeck/error.h"
#include "packetdeck/fsio.h"
#include "packetdeck/pathutil.h"
#include "packetdeck/runner.h"
#include "gitcli.h"

#include <errno.h>
#include <git2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int initialised;

/* The repositories inspected last, kept open: a run asks about the same
 * worktree several times a track, and opening one (config files, the
 * path's every component) costs more than the rest of the question. An
 * entry stands only while its directory and `.git` are the very files it
 * was opened from; HEAD, refs and objects are read afresh by libgit2. */
#define REPO_CACHE 4
static struct cached_repo {
	char *path;
	dev_t dev;
	ino_t dir_ino, git_ino;
	struct timespec git_ctime;
	git_repository *repo;
} cache[REPO_CACHE];
static unsigned cache_next;

static void cache_drop(struct cached_repo *c)
{
	git_repository_free(c->repo);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

static void cache_forget(const char *path)
{
	size_t i;

	for (i = 0; i < REPO_CACHE; i++)
		if (cache[i].path && strcmp(cache[i].path, path) == 0)
			cache_drop(&cache[i]);
}

/* The repository at `path` (no search upward): 0 with *out set, borrowed
 * from the cache unless *owned; or libgit2's code when it cannot open
 * one. `dir` is path's stat. */
static int cached_open(git_repository **out, bool *owned, const char *path, const struct stat *dir)
{
	char *dotgit = pd_path_join(path, ".git");
	struct stat git;
	struct cached_repo *c;
	bool known = dotgit && lstat(dotgit, &git) == 0;
	size_t i;
	int rc;

	free(dotgit);
	*out = NULL;
	*owned = false;
	for (i = 0; known && i < REPO_CACHE; i++) {
		c = &cache[i];
		if (c->path && c->dev == dir->st_dev && c->dir_ino == dir->st_ino &&
		    c->git_ino == git.st_ino && c->git_ctime.tv_sec == git.st_ctim.tv_sec &&
		    c->git_ctime.tv_nsec == git.st_ctim.tv_nsec && strcmp(c->path, path) == 0) {
			*out = c->repo;
			return 0;
		}
	}
	cache_forget(path);
	if ((rc = git_repository_open_ext(out, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) < 0)
		return rc;
	c = &cache[cache_next++ % REPO_CACHE];
	cache_drop(c);
	if (!known || !(c->path = strdup(path))) {
		*owned = true; /* nothing to know it again by: the caller's alone */
		return 0;
	}
	c->dev = dir->st_dev;
	c->dir_ino = dir->st_ino;
	c->git_ino = git.st_ino;
	c->git_ctime = git.st_ctim;
	c->repo = *out;
	return 0;
}

int pd_git_init(void)
{
	if (initialised)
		return 0;
	if (git_libgit2_init() < 0) {
		const git_error *e = git_error_last();

		return pd_error_set(PD_ERROR, "libgit2: %s", e ? e->message : "cannot initialise");
	}
	initialised = 1;
	return 0;
}

void pd_git_shutdown(void)
{
	size_t i;

	if (!initialised)
		return;
	for (i = 0; i < REPO_CACHE; i++)
		cache_drop(&cache[i]);
	git_libgit2_shutdown();
	initialised = 0;
}

bool pd_git_branch_name_valid(const char *name)
{
	int valid = 0;

	if (pd_git_init() < 0)
		return false;
	if (git_branch_name_is_valid(&valid, name) < 0)
		return false;
	return valid != 0;
}

static const char *git2_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

/* ---- the git command ---- */

int pd_git_cli(char **out, const char *const *args)
{
	char *argv[24];
	char *env[] = {"GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_OPTIONAL_LOCKS=0", NULL};
	pd_spawn_options o = {.argv = argv, .env = env, .output_fd = -1};
	pd_child *c = NULL;
	size_t n = 0, len = 0, cap = 1024;
	char *text = malloc(cap);
	int ws = 0, error;

	if (out)
		*out = NULL;
	if (!text)
		return pd_error_set(PD_ENOMEM, "out of memory");
	argv[n++] = "git";
	while (*args && n < 23)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	if ((error = pd_child_spawn(&c, &o)) < 0) {
		free(text);
		return error;
	}
	for (;;) {
		struct pollfd p = {pd_child_output_fd(c), POLLIN, 0};
		ssize_t r;

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		r = read(p.fd, text + len, cap - len - 1);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (cap - len < 256) {
			char *bigger = realloc(text, cap * 2);

			if (!bigger)
				break;
			text = bigger;
			cap *= 2;
		}
	}
	pd_child_wait(c, true, &ws);
	pd_child_free(c);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	text[len] = '\0';
	if (out)
		*out = text;
	else
		free(text);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
}

static void first_line(char *s)
{
	char *nl = strchr(s, '\n');

	if (nl)
		*nl = '\0';
}

static int inspect_cli(pd_worktree_info *w, const char *path)
{
	char *out = NULL;
	int status;

	w->via_cli = true;
	status = pd_git_cli(&out, (const char *[]){"-C", path, "rev-parse", "--is-inside-work-tree", NULL});
	if (status != 0 || strcmp(out ? out : "", "true") != 0) {
		status = pd_error_set(PD_EINVALID, "%s is not a git worktree: %s", path, out ? out : "");
		free(out);
		return status;
	}
	free(out);
	w->exists = true;
	if (pd_git_cli(&out, (const char *[]){"-C", path, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", NULL}) == 0 &&
	    strlen(out) == 40)
		memcpy(w->head, out, 41);
	free(out);
	if (pd_git_cli(&out, (const char *[]){"-C", path, "symbolic-ref", "--quiet", "--short", "HEAD", NULL}) == 0) {
		first_line(out);
		w->branch = out;
	} else {
		free(out);
	}
	if (pd_git_cli(&out, (const char *[]){"-C", path, "rev-parse", "--path-format=absolute", "--git-dir", NULL}) == 0)
		w->git_dir = out;
	else
		free(out);
	if (pd_git_cli(&out, (const char *[]){"-C", path, "rev-parse", "--path-format=absolute", "--git-common-dir", NULL}) == 0)
		w->common_dir = out;
	else
		free(out);
	if (w->head[0] &&
	    pd_git_cli(&out, (const char *[]){"-C", path, "log", "-1", "--format=%s", "--end-of-options", w->head, NULL}) == 0) {
		first_line(out);
		w->subject = out;
	} else if (w->head[0]) {
		free(out);
	}
	return 0;
}

/* ---- libgit2 ---- */

/* `dir` without its trailing slash, malloc'd. */
static char *dir_name(const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return dir ? strndup(dir, n) : NULL;
}

static int inspect_git2(pd_worktree_info *w, git_repository *repo)
{
	git_reference *head = NULL;
	git_commit *commit = NULL;
	int rc = git_repository_head(&head, repo);

	w->exists = true;
	w->git_dir = dir_name(git_repository_path(repo));
	w->common_dir = dir_name(git_repository_commondir(repo));
	if (rc == GIT_EUNBORNBRANCH) {
		/* a branch with no commit yet: its name is HEAD's target */
		git_reference *sym = NULL;

		if (git_reference_lookup(&sym, repo, "HEAD") == 0 &&
		    git_reference_type(sym) == GIT_REFERENCE_SYMBOLIC &&
		    strncmp(git_reference_symbolic_target(sym), "refs/heads/", 11) == 0)
			w->branch = strdup(git_reference_symbolic_target(sym) + 11);
		git_reference_free(sym);
		return 0;
	}
	if (rc < 0)
		return pd_error_set(PD_EIO, "cannot read HEAD: %s", git2_message());
	if (git_reference_is_branch(head))
		w->branch = strdup(git_reference_shorthand(head));
	if (git_reference_peel((git_object **)&commit, head, GIT_OBJECT_COMMIT) == 0) {
		git_oid_tostr(w->head, sizeof(w->head), git_commit_id(commit));
		if (git_commit_summary(commit))
			w->subject = strdup(git_commit_summary(commit));
		git_commit_free(commit);
	}
	git_reference_free(head);
	return 0;
}

int pd_worktree_inspect(pd_worktree_info *out, const char *path)
{
	git_repository *repo = NULL;
	struct stat st;
	bool owned;
	int rc, error;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st) != 0)
		return errno == ENOENT ? 0 : pd_error_errno(PD_EIO, "%s", path);
	if (!S_ISDIR(st.st_mode))
		return pd_error_set(PD_EINVALID, "%s exists and is not a directory", path);
	if ((error = pd_git_init()) < 0)
		return error;
	rc = cached_open(&repo, &owned, path, &st);
	if (rc == GIT_ENOTFOUND)
		return pd_error_set(PD_EINVALID, "%s exists and is not a git worktree", path);
	if (rc < 0)
		return inspect_cli(out, path); /* libgit2 cannot open it: ask git */
	error = inspect_git2(out, repo);
	if (owned)
		git_repository_free(repo);
	return error;
}

int pd_worktree_dirty(const char *path, bool *dirty)
{
	git_status_options so;
	git_repository *repo = NULL;
	git_status_list *list = NULL;
	char *out = NULL;
	int error;

	*dirty = false;
	if ((error = pd_git_init()) < 0)
		return error;
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		/* libgit2 cannot open it: ask git */
		error = pd_git_cli(&out, (const char *[]){"-C", path, "status", "--porcelain", NULL});
		*dirty = error == 0 && out && out[0];
		free(out);
		return error == 0 ? 0 : pd_error_set(PD_EIO, "%s: git status failed", path);
	}
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&list, repo, &so) < 0) {
		error = pd_error_set(PD_EIO, "%s: %s", path, git2_message());
	} else {
		*dirty = git_status_list_entrycount(list) > 0;
		error = 0;
	}
	git_status_list_free(list);
	git_repository_free(repo);
	return error;
}

void pd_worktree_info_clear(pd_worktree_info *w)
{
	free(w->branch);
	free(w->subject);
	free(w->git_dir);
	free(w->common_dir);
	memset(w, 0, sizeof(*w));
}

/* A worktree name for libgit2: the path's last component, made unique. */
static void worktree_name(char *name, size_t cap, git_repository *repo, const char *path)
{
	const char *base = strrchr(path, '/');
	git_worktree *wt = NULL;
	int i;

	base = base ? base + 1 : path;
	snprintf(name, cap, "%s", *base ? base : "worktree");
	for (i = 2; i < 1000; i++) {
		/* taken: a worktree of that name, or what a failed attempt left */
		char admin[4096];
		struct stat st;
		bool taken = git_worktree_lookup(&wt, repo, name) == 0;

		git_worktree_free(wt);
		wt = NULL;
		snprintf(admin, sizeof(admin), "%sworktrees/%s", git_repository_commondir(repo), name);
		if (!taken && lstat(admin, &st) != 0)
			break;
		snprintf(name, cap, "%s-%d", *base ? base : "worktree", i);
	}
}

/* mkdir -p of the directory that will hold `path` (git does the same). */
static int make_parents(const char *path)
{
	char buf[4096], *p;
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return pd_error_set(PD_EINVALID, "%s: path too long", path);
	memcpy(buf, path, n + 1);
	if (!(p = strrchr(buf, '/')) || p == buf)
		return 0;
	*p = '\0';
	for (p = buf + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return pd_error_errno(PD_EIO, "%s: cannot create", buf);
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

int pd_repo_init(const char *path, const char *branch, const char *who, const char *email,
		 const char *message)
{
	git_repository_init_options io;
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	git_signature *sig = NULL;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, commit_id;
	char head[300];
	int error = 0;

	if ((error = pd_git_init()) < 0)
		return error;
	git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	snprintf(head, sizeof(head), "refs/heads/%s", branch);
	io.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	io.initial_head = head;
	if (git_repository_init_ext(&repo, path, &io) < 0 || git_repository_config(&cfg, repo) < 0 ||
	    git_config_set_string(cfg, "user.name", who) < 0 ||
	    git_config_set_string(cfg, "user.email", email) < 0 ||
	    git_signature_now(&sig, who, email) < 0 || git_treebuilder_new(&tb, repo, NULL) < 0 ||
	    git_treebuilder_write(&tree_id, tb) < 0 || git_tree_lookup(&tree, repo, &tree_id) < 0 ||
	    git_commit_create_v(&commit_id, repo, "HEAD", sig, sig, NULL, message, tree, 0) < 0)
		error = pd_error_set(PD_EIO, "%s: cannot create the repository: %s", path, git2_message());
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_signature_free(sig);
	git_config_free(cfg);
	git_repository_free(repo);
	return error;
}

static int create_git2(git_repository *repo, const char *path, const char *branch,
		       const char *start)
{
	git_object *target = NULL, *commit = NULL;
	git_reference *ref = NULL;
	git_worktree *wt = NULL;
	git_worktree_add_options opts;
	char name[256];
	int error = 0;

	if (git_branch_lookup(&ref, repo, branch, GIT_BRANCH_LOCAL) != 0) {
		if (git_revparse_single(&target, repo, start ? start : "HEAD") < 0) {
			error = pd_error_set(PD_EINVALID, "cannot find %s to start branch %s from: %s",
					     start ? start : "HEAD", branch, git2_message());
			goto done;
		}
		if (git_object_peel(&commit, target, GIT_OBJECT_COMMIT) < 0 ||
		    git_branch_create(&ref, repo, branch, (git_commit *)commit, 0) < 0) {
			error = pd_error_set(PD_EIO, "cannot create branch %s: %s", branch, git2_message());
			goto done;
		}
	}
	if ((error = make_parents(path)) < 0)
		goto done;
	/* the _INIT macro leaves fields out, which -Werror refuses */
	git_worktree_add_options_init(&opts, GIT_WORKTREE_ADD_OPTIONS_VERSION);
	worktree_name(name, sizeof(name), repo, path);
	opts.ref = ref;
	if (git_worktree_add(&wt, repo, name, path, &opts) < 0)
		error = pd_error_set(PD_EIO, "cannot create worktree %s on %s: %s", path, branch,
				     git2_message());
done:
	git_worktree_free(wt);
	git_reference_free(ref);
	git_object_free(commit);
	git_object_free(target);
	return error;
}

static int create_cli(const char *repo, const char *path, const char *branch, const char *start)
{
	char *out = NULL, ref[512];
	int status;

	snprintf(ref, sizeof(ref), "refs/heads/%s", branch);
	if (pd_git_cli(NULL, (const char *[]){"-C", repo, "show-ref", "--verify", "--quiet", ref, NULL}) == 0)
		status = pd_git_cli(&out, (const char *[]){"-C", repo, "worktree", "add", "--quiet",
						      "--end-of-options", path, branch, NULL});
	else
		status = pd_git_cli(&out, (const char *[]){"-C", repo, "worktree", "add", "--quiet", "-b",
						      branch, "--end-of-options", path,
						      start ? start : "HEAD", NULL});
	if (status != 0) {
		status = pd_error_set(PD_EIO, "cannot create worktree %s on %s: git says: %s", path,
				      branch, out ? out : "?");
		free(out);
		return status;
	}
	free(out);
	return 0;
}

int pd_worktree_create(const char *repo_path, const char *path, const char *branch,
		       const char *start, bool *via_cli)
{
	git_repository *repo = NULL;
	int rc, error;

	if (via_cli)
		*via_cli = false;
	if ((error = pd_git_init()) < 0)
		return error;
	rc = git_repository_open_ext(&repo, repo_path, 0, NULL); /* looks upward */
	if (rc == GIT_ENOTFOUND)
		return pd_error_set(PD_EINVALID, "%s is not inside a git repository (set "
						 "\"project_root\" in the manifest)", repo_path);
	if (rc < 0) {
		if (via_cli)
			*via_cli = true;
		return create_cli(repo_path, path, branch, start);
	}
	error = create_git2(repo, path, branch, start);
	git_repository_free(repo);
	return error;
}

/* The creation intent: a file beside the worktree, written (durably)
 * before it is created and removed once it is whole. Only written when
 * nothing was at `path`, so what it covers was made by us. */
static char *intent_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *out = NULL;

	if (!slash || asprintf(&out, "%.*s/.%s.packetdeck-creating", (int)(slash - path), path, slash + 1) < 0)
		return NULL;
	return out;
}

/* The lock files a creation of `branch` cut short leaves in the
 * repository (`git_branch_create` writes the ref and its reflog through
 * `<file>.lock`): while one is there no one can create the branch. Only
 * called when our own creation intent says the last creation of this very
 * branch died, and the track lock says no other packetdeck is at it. */
static void remove_branch_locks(git_repository *repo, const char *branch)
{
	static const char *const kinds[] = {"refs/heads", "logs/refs/heads"};
	const char *common = git_repository_commondir(repo);
	size_t k;

	for (k = 0; common && k < sizeof(kinds) / sizeof(*kinds); k++) {
		char *rel = NULL, *lock;

		if (asprintf(&rel, "%s/%s.lock", kinds[k], branch) < 0)
			return;
		if ((lock = pd_path_join(common, rel)) != NULL)
			unlink(lock); /* absent: nothing to undo */
		free(lock);
		free(rel);
	}
}

/* Undo a creation cut short: the half-made directory, the repository's
 * record of it (.git/worktrees/NAME), which would keep the branch "checked
 * out" there, and the branch's leftover lock files. */
static int discard_half_made(const char *repo_path, const char *path, const char *branch)
{
	git_repository *repo = NULL;
	git_strarray names = {0};
	size_t i;

	cache_forget(path);
	if (pd_remove_tree(path) < 0)
		return pd_error_errno(PD_EIO, "%s: cannot remove the half-made worktree", path);
	if (pd_git_init() < 0 || git_repository_open_ext(&repo, repo_path, 0, NULL) < 0) {
		/* libgit2 cannot open it: git prunes records of missing worktrees */
		pd_git_cli(NULL, (const char *[]){"-C", repo_path, "worktree", "prune", NULL});
		return 0;
	}
	remove_branch_locks(repo, branch);
	if (git_worktree_list(&names, repo) == 0) {
		for (i = 0; i < names.count; i++) {
			git_worktree *wt = NULL;
			git_worktree_prune_options po;

			if (git_worktree_lookup(&wt, repo, names.strings[i]) != 0)
				continue;
			git_worktree_prune_options_init(&po, GIT_WORKTREE_PRUNE_OPTIONS_VERSION);
			po.flags = GIT_WORKTREE_PRUNE_VALID | GIT_WORKTREE_PRUNE_LOCKED;
			if (git_worktree_path(wt) && strcmp(git_worktree_path(wt), path) == 0)
				git_worktree_prune(wt, &po);
			git_worktree_free(wt);
		}
		git_strarray_dispose(&names);
	}
	git_repository_free(repo);
	return 0;
}

int pd_worktree_prepare(const char *repo, const char *path, const char *branch, const char *start,
			pd_worktree_info *info)
{
	pd_worktree_info w;
	char *intent = intent_path(path);
	int error;

	if (!intent)
		return pd_error_set(PD_ENOMEM, "out of memory");
	if (access(intent, F_OK) == 0 && (error = discard_half_made(repo, path, branch)) < 0)
		goto done;
	if ((error = pd_worktree_inspect(&w, path)) < 0)
		goto done;
	if (!w.exists) {
		if ((error = make_parents(path)) < 0 ||
		    (error = pd_write_atomic(intent, path, strlen(path), NULL)) < 0 ||
		    (error = pd_worktree_create(repo, path, branch, start, NULL)) < 0 ||
		    (error = pd_worktree_inspect(&w, path)) < 0)
			goto done;
		if (unlink(intent) != 0) {
			error = pd_error_errno(PD_EIO, "%s: cannot remove", intent);
			pd_worktree_info_clear(&w);
			goto done;
		}
		*strrchr(intent, '/') = '\0'; /* its directory: the removal made durable */
		pd_fsync_dir(intent);
	}
	if (!w.branch || strcmp(w.branch, branch) != 0) {
		error = pd_error_set(PD_EINVALID,
				     "worktree %s is on %s%s, but the packet's branch is %s; "
				     "packetdeck never checks out another branch for you",
				     path, w.branch ? "branch " : "a detached HEAD",
				     w.branch ? w.branch : "", branch);
		pd_worktree_info_clear(&w);
		goto done;
	}
	if (info)
		*info = w;
	else
		pd_worktree_info_clear(&w);
done:
	free(intent);
	return error;
}
