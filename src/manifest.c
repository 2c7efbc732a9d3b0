/* manifest.c - manifest.json -> validated pd_manifest (see manifest.h).
 *
 * Not here: anything across tracks (dag.c) and packet contents (packet.c).
 */
#define _GNU_SOURCE /* realpath(path, NULL) */
#include "packetdeck/manifest.h"
#include "packetdeck/fsio.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/pathutil.h"
#include "arena.h"
#include "dirset.h"
#include "json.h"
#include "text.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct loader {
	pd_manifest *m;
	pd_diags *diags;
	pd_arena *arena; /* the model's strings */
	int dir_fd;      /* the packet dir, for fstatat; -1 if it could not be opened */
	pd_dirset *regular; /* its regular files, for many tracks; NULL: stat each */
} loader;

/* A JSON path, formatted only when a problem is reported:
 * BASE[TRACK].KEY[INDEX], each part optional ("tracks[2].depends_on[0]"). */
typedef struct jpath {
	const char *base; /* "" at the root */
	long track;       /* -1: none */
	const char *key;  /* NULL: none */
	long index;       /* -1: none */
} jpath;

static const jpath ROOT = {"", -1, NULL, -1};

static jpath at_key(jpath p, const char *key)
{
	p.key = key;
	return p;
}

static jpath at_index(jpath p, long index)
{
	p.index = index;
	return p;
}

static void format_jpath(char *buf, size_t cap, jpath p)
{
	int n = snprintf(buf, cap, "%s", p.base);

	if (p.track >= 0)
		n += snprintf(buf + n, cap - (size_t)n, "[%ld]", p.track);
	if (p.key)
		n += snprintf(buf + n, cap - (size_t)n, "%s%s", n ? "." : "", p.key);
	if (p.index >= 0)
		snprintf(buf + n, cap - (size_t)n, "[%ld]", p.index);
}

/* Report a problem at "DIR/manifest.json[: jsonpath]". */
static void PD_PRINTF(3, 4) report(loader *l, jpath at, const char *fmt, ...)
{
	char where[1400], path[256], msg[1024];
	va_list ap;

	format_jpath(path, sizeof(path), at);
	if (*path)
		snprintf(where, sizeof(where), "%s: %s", l->m->path, path);
	else
		snprintf(where, sizeof(where), "%s", l->m->path);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pd_diags_add(l->diags, where, "%s", msg);
}

/* A required or optional string field of the object `obj` at `at`.
 * Returns a copy in the model's arena, or NULL (reported, unless absent
 * and optional). */
static char *get_string(loader *l, const cJSON *obj, jpath at, const char *key, bool required,
			const char *hint)
{
	const cJSON *item = pd_json_get(obj, key);
	const char *bad;

	if (!item) {
		if (required)
			report(l, at, "missing required field \"%s\"%s", key, hint ? hint : "");
		return NULL;
	}
	if (!cJSON_IsString(item)) {
		report(l, at_key(at, key), "must be a string, not %s", pd_json_type(item));
		return NULL;
	}
	if (required && item->valuestring[0] == '\0') {
		report(l, at_key(at, key), "must not be empty");
		return NULL;
	}
	if ((bad = pd_find_control(item->valuestring)) != NULL) {
		report(l, at_key(at, key), "contains control character 0x%02x", (unsigned char)*bad);
		return NULL;
	}
	return pd_arena_strdup(l->arena, item->valuestring);
}

/* A track id: an integer in [0, PD_TRACK_ID_MAX]. */
static bool get_id(loader *l, const cJSON *item, jpath at, long *out)
{
	int64_t v;

	if (pd_json_int(item, 0, PD_TRACK_ID_MAX, &v)) {
		*out = (long)v;
		return true;
	}
	if (cJSON_IsNumber(item))
		report(l, at, "must be an integer from 0 to %d, not %.17g", PD_TRACK_ID_MAX,
		       item->valuedouble);
	else if (cJSON_IsString(item))
		report(l, at, "must be an integer, not a string (\"%.40s\")", item->valuestring);
	else
		report(l, at, "must be an integer, not %s", pd_json_type(item));
	return false;
}

/* Shell metacharacters in a name packetdeck passes around: refused. */
static bool bad_chars(loader *l, jpath at, const char *value, const char *what)
{
	const char *bad = pd_find_shell_meta(value);

	if (bad)
		report(l, at, "%s \"%s\" contains '%c', which is not allowed in %ss", what, value,
		       *bad, what);
	return bad != NULL;
}

/* Fast path: a plain name that is a regular file (not a symlink) in the
 * packet dir is inside it; one fstatat instead of realpath's readlink per
 * path component. Returns true if settled, false for the slow path. */
static bool plain_file_in_dir(loader *l, pd_track *t, const char *clean)
{
	struct stat st;
	char *joined;

	if (l->dir_fd < 0 || strchr(clean, '/'))
		return false;
	if (!(l->regular && pd_dirset_has_regular(l->regular, clean)) &&
	    (fstatat(l->dir_fd, clean, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)))
		return false;
	joined = pd_path_join(l->m->dir_real, clean);
	t->packet_path = pd_arena_strdup(l->arena, joined);
	free(joined);
	return true;
}

/* packet: relative, inside the packet dir after ".." and symlinks. */
static void resolve_packet(loader *l, pd_track *t, jpath at)
{
	char *clean = NULL, *joined = NULL, *real = NULL;
	bool escapes;
	struct stat st;

	if (bad_chars(l, at, t->packet, "packet file name"))
		return;
	if (t->packet[0] == '/') {
		report(l, at, "packet path \"%s\" is absolute; name a file inside the packet dir",
		       t->packet);
		return;
	}
	clean = pd_path_clean(t->packet, &escapes);
	if (!clean)
		return;
	if (escapes) {
		report(l, at, "packet path \"%s\" is outside the packet dir", t->packet);
		goto done;
	}
	if (plain_file_in_dir(l, t, clean))
		goto done;
	joined = pd_path_join(l->m->dir_real, clean);
	if (!joined)
		goto done;
	real = realpath(joined, NULL);
	if (!real) {
		if (errno == ENOENT || errno == ENOTDIR)
			report(l, at, "packet file \"%s\" not found", t->packet);
		else
			report(l, at, "packet file \"%s\": %s", t->packet, strerror(errno));
		goto done;
	}
	if (!pd_path_within(real, l->m->dir_real)) {
		report(l, at, "packet path \"%s\" resolves to %s, outside the packet dir", t->packet,
		       real);
		goto done;
	}
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		report(l, at, "packet path \"%s\" is not a regular file", t->packet);
		goto done;
	}
	t->packet_path = pd_arena_strdup(l->arena, real);
done:
	free(clean);
	free(joined);
	free(real);
}

char *pd_manifest_root(const pd_manifest *m)
{
	char *joined, *clean;

	if (!m->project_root)
		return strdup(m->dir_real);
	if (m->project_root[0] == '/')
		return pd_path_clean(m->project_root, NULL);
	joined = pd_path_join(m->dir_real, m->project_root);
	clean = joined ? pd_path_clean(joined, NULL) : NULL;
	free(joined);
	return clean;
}

static void resolve_worktree(loader *l, pd_track *t, jpath at, const char *base)
{
	bool escapes;
	char *clean, *joined;

	if (bad_chars(l, at, t->worktree, "worktree path"))
		return;
	clean = pd_path_clean(t->worktree, &escapes);
	if (!clean)
		return;
	if (t->worktree[0] == '/') {
		t->worktree_path = pd_arena_strdup(l->arena, clean);
	} else if (escapes) {
		report(l, at, "relative worktree \"%s\" climbs out of %s; use an absolute path",
		       t->worktree, l->m->project_root ? "project_root" : "the packet dir");
	} else if (base) {
		joined = pd_path_join(base, clean);
		t->worktree_path = pd_arena_strdup(l->arena, joined);
		free(joined);
	}
	free(clean);
}

static void check_branch(loader *l, pd_track *t, jpath at)
{
	if (!bad_chars(l, at, t->branch, "branch name") && !pd_git_branch_name_valid(t->branch))
		report(l, at, "\"%s\" is not a valid git branch name", t->branch);
}

static void load_depends(loader *l, pd_track *t, const cJSON *item, jpath at)
{
	const cJSON *dep;
	size_t n = 0, j = 0;

	if (!item) {
		report(l, at, "missing required field \"depends_on\" (use [] for none)");
		return;
	}
	at = at_key(at, "depends_on");
	if (!cJSON_IsArray(item)) {
		report(l, at, "must be an array of track ids, not %s", pd_json_type(item));
		return;
	}
	cJSON_ArrayForEach(dep, item)
		n++;
	if (n == 0)
		return;
	t->depends_on = pd_arena_alloc(l->arena, n * sizeof(*t->depends_on));
	if (!t->depends_on)
		return;
	cJSON_ArrayForEach(dep, item) {
		long id = -1;

		if (get_id(l, dep, at_index(at, (long)j++), &id))
			t->depends_on[t->ndeps++] = id;
	}
}

static void load_track(loader *l, pd_track *t, const cJSON *obj, size_t index)
{
	jpath at = {"tracks", (long)index, NULL, -1};

	t->index = index;
	t->id = -1;
	if (!cJSON_IsObject(obj)) {
		report(l, at, "must be an object, not %s", pd_json_type(obj));
		return;
	}
	if (!pd_json_get(obj, "id"))
		report(l, at, "missing required field \"id\"");
	else
		get_id(l, pd_json_get(obj, "id"), at_key(at, "id"), &t->id);

	t->name = get_string(l, obj, at, "name", true, NULL);
	t->packet = get_string(l, obj, at, "packet", true, NULL);
	t->worktree = get_string(l, obj, at, "worktree", true, NULL);
	t->branch = get_string(l, obj, at, "branch", true, NULL);
	load_depends(l, t, pd_json_get(obj, "depends_on"), at);
	if (t->packet)
		resolve_packet(l, t, at_key(at, "packet"));
	if (t->branch)
		check_branch(l, t, at_key(at, "branch"));
	/* Upstream's per-track "status", "checkpoint" and "completion" are
	 * accepted and ignored: the marker files are the truth. */
}

static void load_tracks(loader *l, const cJSON *root)
{
	const cJSON *tracks = pd_json_get(root, "tracks"), *item;
	pd_manifest *m = l->m;
	char *wt_base;
	size_t n = 0, i = 0;

	if (!tracks) {
		report(l, ROOT, "missing required field \"tracks\"");
		return;
	}
	if (!cJSON_IsArray(tracks)) {
		report(l, at_key(ROOT, "tracks"), "must be an array, not %s", pd_json_type(tracks));
		return;
	}
	cJSON_ArrayForEach(item, tracks)
		n++;
	if (n == 0) {
		report(l, at_key(ROOT, "tracks"), "must list at least one track");
		return;
	}
	m->tracks = calloc(n, sizeof(*m->tracks));
	if (!m->tracks)
		return;
	m->ntracks = n;
	cJSON_ArrayForEach(item, tracks)
		load_track(l, &m->tracks[i], item, i), i++;
	wt_base = pd_manifest_root(m);
	for (i = 0; i < n; i++) {
		jpath at = {"tracks", (long)i, "worktree", -1};

		if (m->tracks[i].worktree)
			resolve_worktree(l, &m->tracks[i], at, wt_base);
	}
	free(wt_base);
}

/* " (add upstream's defaults with: packetdeck adopt DIR)", DIR quoted for
 * a shell when it needs it: the command is meant to be pasted. */
static const char *adopt_hint(const loader *l, char *buf, size_t cap)
{
	char *w = pd_shell_word(l->m->dir);

	snprintf(buf, cap, " (add upstream's defaults with: packetdeck adopt %s)", w ? w : l->m->dir);
	free(w);
	return buf;
}

static void load_post_merge_qa(loader *l, const cJSON *root)
{
	char hint[700];
	const cJSON *qa = pd_json_get(root, "post_merge_qa"), *item;
	jpath at = at_key(ROOT, "post_merge_qa");
	pd_manifest *m = l->m;
	size_t n = 0, i = 0;

	if (!qa) {
		report(l, ROOT, "missing required field \"post_merge_qa\"%s",
		       adopt_hint(l, hint, sizeof(hint)));
		return;
	}
	if (!cJSON_IsArray(qa)) {
		report(l, at, "must be an array of strings, not %s", pd_json_type(qa));
		return;
	}
	cJSON_ArrayForEach(item, qa)
		n++;
	m->post_merge_qa = pd_arena_alloc(l->arena, (n ? n : 1) * sizeof(char *));
	if (!m->post_merge_qa)
		return;
	cJSON_ArrayForEach(item, qa) {
		jpath here = at_index(at, (long)i++);

		if (!cJSON_IsString(item))
			report(l, here, "must be a string, not %s", pd_json_type(item));
		else if (pd_find_control(item->valuestring))
			report(l, here, "contains a control character");
		else
			m->post_merge_qa[m->npost_merge_qa++] = pd_arena_strdup(l->arena, item->valuestring);
	}
}

static void check_version(loader *l)
{
	const char *v = l->m->format_version;

	if (v && !(v[0] == '1' && (v[1] == '\0' || v[1] == '.')))
		report(l, at_key(ROOT, "format_version"),
		       "unsupported format_version \"%s\" (packetdeck reads 1.x)", v);
}

static void load_root(loader *l, const cJSON *root)
{
	pd_manifest *m = l->m;
	char hint[700];

	m->format_version = get_string(l, root, ROOT, "format_version", true,
				       " (add \"format_version\": \"1.0.0\")");
	check_version(l);
	m->feature = get_string(l, root, ROOT, "feature", true, NULL);
	m->merge_strategy = get_string(l, root, ROOT, "merge_strategy", true,
				       adopt_hint(l, hint, sizeof(hint)));
	load_post_merge_qa(l, root);

	m->created = get_string(l, root, ROOT, "created", false, NULL);
	m->project_root = get_string(l, root, ROOT, "project_root", false, NULL);
	m->execution_mode = get_string(l, root, ROOT, "execution_mode", false, NULL);
	m->design_doc = get_string(l, root, ROOT, "design_doc", false, NULL);
	m->impl_plan = get_string(l, root, ROOT, "impl_plan", false, NULL);
	m->shared_setup_commit = get_string(l, root, ROOT, "shared_setup_commit", false, NULL);
	if (m->project_root)
		bad_chars(l, at_key(ROOT, "project_root"), m->project_root, "project root");
	if (m->shared_setup_commit)
		bad_chars(l, at_key(ROOT, "shared_setup_commit"), m->shared_setup_commit, "commit name");
	load_tracks(l, root);
}

int pd_manifest_load(pd_manifest **out, const char *packet_dir, pd_diags *diags)
{
	size_t before = pd_diags_total(diags), len;
	loader l = {NULL, diags, NULL, -1, NULL};
	cJSON *root = NULL;
	char *buf = NULL;
	int error;

	*out = NULL;
	l.m = calloc(1, sizeof(*l.m));
	if (!l.m)
		return pd_error_set(PD_ENOMEM, "out of memory");
	l.m->dir = strdup(packet_dir);
	l.m->path = pd_path_join(packet_dir, "manifest.json");
	l.m->strings = l.arena = pd_arena_new(4096);
	if (!l.m->dir || !l.m->path || !l.arena) {
		pd_manifest_free(l.m);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	l.m->dir_real = realpath(packet_dir, NULL);
	if (!l.m->dir_real) {
		pd_diags_add(diags, packet_dir, "%s", errno == ENOENT ? "no such directory"
								   : strerror(errno));
		pd_manifest_free(l.m);
		return PD_EINVALID;
	}
	error = pd_read_file(&buf, &len, l.m->path, PD_MANIFEST_MAX_BYTES);
	if (error == PD_ENOTFOUND) {
		pd_diags_add(diags, l.m->path, "no such file: %s is not a packet dir", packet_dir);
		goto fail;
	}
	if (error < 0 || (error = pd_json_parse(&root, buf, len, l.m->path,
					       PD_MANIFEST_MAX_DEPTH)) < 0) {
		pd_diags_add(diags, NULL, "%s", pd_error_last());
		goto fail;
	}
	/* The text is no longer needed once parsed: free it before the model
	 * grows, so the two never peak together. */
	free(buf);
	buf = NULL;
	if (!cJSON_IsObject(root)) {
		pd_diags_add(diags, l.m->path, "must hold a JSON object, not %s", pd_json_type(root));
		goto fail;
	}
	l.dir_fd = open(l.m->dir_real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l.dir_fd >= 0 && cJSON_GetArraySize(pd_json_get(root, "tracks")) > 64)
		l.regular = pd_dirset_read(l.dir_fd);
	load_root(&l, root);
	pd_dirset_free(l.regular);
	if (l.dir_fd >= 0)
		close(l.dir_fd);
	cJSON_Delete(root);
	*out = l.m;
	return pd_diags_total(diags) > before ? PD_EINVALID : 0;
fail:
	cJSON_Delete(root);
	free(buf);
	pd_manifest_free(l.m);
	return PD_EINVALID;
}

void pd_manifest_free(pd_manifest *m)
{
	if (!m)
		return;
	free(m->tracks);
	pd_arena_free(m->strings); /* every string and array of the model */
	free(m->dir);
	free(m->dir_real);
	free(m->path);
	free(m);
}
