/* manifest.c - manifest.json -> validated pd_manifest (see manifest.h).
 *
 * Not here: anything across tracks (dag.c) and packet contents (packet.c).
 */
#define _GNU_SOURCE /* realpath(path, NULL) */
#include "packetdeck/manifest.h"
#include "packetdeck/fsio.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/pathutil.h"
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct loader {
	pd_manifest *m;
	pd_diags *diags;
} loader;

/* Report a problem at "DIR/manifest.json[: jsonpath]". */
static void PD_PRINTF(3, 4) report(loader *l, const char *jpath, const char *fmt, ...)
{
	char where[1024], msg[1024];
	va_list ap;

	if (jpath && *jpath)
		snprintf(where, sizeof(where), "%s: %s", l->m->path, jpath);
	else
		snprintf(where, sizeof(where), "%s", l->m->path);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pd_diags_add(l->diags, where, "%s", msg);
}

static const char *article_type(const cJSON *item)
{
	return pd_json_type(item);
}

/* A required or optional string field of `obj` at JSON path `base`.
 * Returns a copy, or NULL (reported, unless absent and optional). */
static char *get_string(loader *l, const cJSON *obj, const char *base, const char *key,
			bool required, const char *hint)
{
	const cJSON *item = pd_json_get(obj, key);
	char jpath[300];
	const char *bad;

	snprintf(jpath, sizeof(jpath), "%s%s%s", base, *base ? "." : "", key);
	if (!item) {
		if (required)
			report(l, base, "missing required field \"%s\"%s", key, hint ? hint : "");
		return NULL;
	}
	if (!cJSON_IsString(item)) {
		report(l, jpath, "must be a string, not %s", article_type(item));
		return NULL;
	}
	if (required && item->valuestring[0] == '\0') {
		report(l, jpath, "must not be empty");
		return NULL;
	}
	if ((bad = pd_find_control(item->valuestring)) != NULL) {
		report(l, jpath, "contains control character 0x%02x", (unsigned char)*bad);
		return NULL;
	}
	return strdup(item->valuestring);
}

static void describe_number(const cJSON *item, char *buf, size_t cap)
{
	if (cJSON_IsNumber(item))
		snprintf(buf, cap, "%.17g", item->valuedouble);
	else if (cJSON_IsString(item))
		snprintf(buf, cap, "%s (\"%.40s\")", article_type(item), item->valuestring);
	else
		snprintf(buf, cap, "%s", article_type(item));
}

/* A track id: an integer in [0, PD_TRACK_ID_MAX]. */
static bool get_id(loader *l, const cJSON *item, const char *jpath, long *out)
{
	int64_t v;
	char what[96];

	if (pd_json_int(item, 0, PD_TRACK_ID_MAX, &v)) {
		*out = (long)v;
		return true;
	}
	describe_number(item, what, sizeof(what));
	if (cJSON_IsNumber(item))
		report(l, jpath, "must be an integer from 0 to %d, not %s", PD_TRACK_ID_MAX, what);
	else
		report(l, jpath, "must be an integer, not %s", what);
	return false;
}

static void check_path_chars(loader *l, const char *jpath, const char *value, const char *what)
{
	const char *bad = pd_find_shell_meta(value);

	if (bad)
		report(l, jpath, "%s \"%s\" contains '%c', which is not allowed in %ss", what,
		       value, *bad, what);
}

/* packet: relative, inside the packet dir after ".." and symlinks. */
static void resolve_packet(loader *l, pd_track *t, const char *jpath)
{
	char *clean = NULL, *joined = NULL, *real = NULL;
	bool escapes;
	struct stat st;

	if (pd_find_shell_meta(t->packet)) {
		check_path_chars(l, jpath, t->packet, "packet file name");
		return;
	}
	if (t->packet[0] == '/') {
		report(l, jpath, "packet path \"%s\" is absolute; name a file inside the packet dir",
		       t->packet);
		return;
	}
	clean = pd_path_clean(t->packet, &escapes);
	if (!clean)
		return;
	if (escapes) {
		report(l, jpath, "packet path \"%s\" is outside the packet dir", t->packet);
		goto done;
	}
	joined = pd_path_join(l->m->dir_real, clean);
	if (!joined)
		goto done;
	real = realpath(joined, NULL);
	if (!real) {
		if (errno == ENOENT || errno == ENOTDIR)
			report(l, jpath, "packet file \"%s\" not found", t->packet);
		else
			report(l, jpath, "packet file \"%s\": %s", t->packet, strerror(errno));
		goto done;
	}
	if (!pd_path_within(real, l->m->dir_real)) {
		report(l, jpath, "packet path \"%s\" resolves to %s, outside the packet dir",
		       t->packet, real);
		goto done;
	}
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		report(l, jpath, "packet path \"%s\" is not a regular file", t->packet);
		goto done;
	}
	t->packet_path = real;
	real = NULL;
done:
	free(clean);
	free(joined);
	free(real);
}

/* The directory relative worktrees are taken from: project_root, else the
 * packet dir. */
static char *worktree_base(const pd_manifest *m)
{
	if (!m->project_root)
		return strdup(m->dir_real);
	if (m->project_root[0] == '/')
		return pd_path_clean(m->project_root, NULL);
	{
		char *joined = pd_path_join(m->dir_real, m->project_root);
		char *clean = joined ? pd_path_clean(joined, NULL) : NULL;

		free(joined);
		return clean;
	}
}

static void resolve_worktree(loader *l, pd_track *t, const char *jpath, const char *base)
{
	bool escapes;
	char *clean;

	if (pd_find_shell_meta(t->worktree)) {
		check_path_chars(l, jpath, t->worktree, "worktree path");
		return;
	}
	if (t->worktree[0] == '/') {
		t->worktree_path = pd_path_clean(t->worktree, NULL);
		return;
	}
	clean = pd_path_clean(t->worktree, &escapes);
	if (!clean)
		return;
	if (escapes) {
		report(l, jpath, "relative worktree \"%s\" climbs out of %s; use an absolute path",
		       t->worktree, l->m->project_root ? "project_root" : "the packet dir");
	} else if (base) {
		t->worktree_path = pd_path_join(base, clean);
	}
	free(clean);
}

static void check_branch(loader *l, pd_track *t, const char *jpath)
{
	if (pd_find_shell_meta(t->branch)) {
		check_path_chars(l, jpath, t->branch, "branch name");
	} else if (!pd_git_branch_name_valid(t->branch)) {
		report(l, jpath, "\"%s\" is not a valid git branch name", t->branch);
	}
}

static void load_depends(loader *l, pd_track *t, const cJSON *item, const char *base)
{
	const cJSON *dep;
	char jpath[300];
	size_t n = 0, j = 0;

	snprintf(jpath, sizeof(jpath), "%s.depends_on", base);
	if (!item) {
		report(l, base, "missing required field \"depends_on\" (use [] for none)");
		return;
	}
	if (!cJSON_IsArray(item)) {
		report(l, jpath, "must be an array of track ids, not %s", article_type(item));
		return;
	}
	cJSON_ArrayForEach(dep, item)
		n++;
	if (n == 0)
		return;
	t->depends_on = malloc(n * sizeof(*t->depends_on));
	if (!t->depends_on)
		return;
	cJSON_ArrayForEach(dep, item) {
		long id = -1;

		snprintf(jpath, sizeof(jpath), "%s.depends_on[%zu]", base, j++);
		if (get_id(l, dep, jpath, &id))
			t->depends_on[t->ndeps++] = id;
	}
}

static void load_track(loader *l, pd_track *t, const cJSON *obj, size_t index, const char *base)
{
	char jpath[300];

	t->index = index;
	t->id = -1;
	if (!cJSON_IsObject(obj)) {
		report(l, base, "must be an object, not %s", article_type(obj));
		return;
	}
	snprintf(jpath, sizeof(jpath), "%s.id", base);
	if (!pd_json_get(obj, "id"))
		report(l, base, "missing required field \"id\"");
	else
		get_id(l, pd_json_get(obj, "id"), jpath, &t->id);

	t->name = get_string(l, obj, base, "name", true, NULL);
	t->packet = get_string(l, obj, base, "packet", true, NULL);
	t->worktree = get_string(l, obj, base, "worktree", true, NULL);
	t->branch = get_string(l, obj, base, "branch", true, NULL);
	load_depends(l, t, pd_json_get(obj, "depends_on"), base);

	snprintf(jpath, sizeof(jpath), "%s.packet", base);
	if (t->packet)
		resolve_packet(l, t, jpath);
	snprintf(jpath, sizeof(jpath), "%s.branch", base);
	if (t->branch)
		check_branch(l, t, jpath);
	/* Upstream's per-track "status", "checkpoint" and "completion" are
	 * accepted and ignored: the marker files are the truth. */
}

static void load_tracks(loader *l, const cJSON *root)
{
	const cJSON *tracks = pd_json_get(root, "tracks"), *item;
	pd_manifest *m = l->m;
	char base[64], *wt_base;
	size_t n = 0, i = 0;

	if (!tracks) {
		report(l, NULL, "missing required field \"tracks\"");
		return;
	}
	if (!cJSON_IsArray(tracks)) {
		report(l, "tracks", "must be an array, not %s", article_type(tracks));
		return;
	}
	cJSON_ArrayForEach(item, tracks)
		n++;
	if (n == 0) {
		report(l, "tracks", "must list at least one track");
		return;
	}
	m->tracks = calloc(n, sizeof(*m->tracks));
	if (!m->tracks)
		return;
	m->ntracks = n;
	cJSON_ArrayForEach(item, tracks) {
		snprintf(base, sizeof(base), "tracks[%zu]", i);
		load_track(l, &m->tracks[i], item, i, base);
		i++;
	}
	wt_base = worktree_base(m);
	for (i = 0; i < n; i++) {
		snprintf(base, sizeof(base), "tracks[%zu].worktree", i);
		if (m->tracks[i].worktree)
			resolve_worktree(l, &m->tracks[i], base, wt_base);
	}
	free(wt_base);
}

static void load_post_merge_qa(loader *l, const cJSON *root)
{
	const cJSON *qa = pd_json_get(root, "post_merge_qa"), *item;
	pd_manifest *m = l->m;
	size_t n = 0, i = 0;

	if (!qa) {
		report(l, NULL, "missing required field \"post_merge_qa\" "
				"(add \"post_merge_qa\": [] if there is nothing to run after the merge)");
		return;
	}
	if (!cJSON_IsArray(qa)) {
		report(l, "post_merge_qa", "must be an array of strings, not %s", article_type(qa));
		return;
	}
	cJSON_ArrayForEach(item, qa)
		n++;
	m->post_merge_qa = calloc(n ? n : 1, sizeof(char *));
	if (!m->post_merge_qa)
		return;
	cJSON_ArrayForEach(item, qa) {
		char jpath[64];

		snprintf(jpath, sizeof(jpath), "post_merge_qa[%zu]", i++);
		if (!cJSON_IsString(item))
			report(l, jpath, "must be a string, not %s", article_type(item));
		else if (pd_find_control(item->valuestring))
			report(l, jpath, "contains a control character");
		else
			m->post_merge_qa[m->npost_merge_qa++] = strdup(item->valuestring);
	}
}

static void check_version(loader *l)
{
	const char *v = l->m->format_version;

	if (v && !(v[0] == '1' && (v[1] == '\0' || v[1] == '.')))
		report(l, "format_version", "unsupported format_version \"%s\" (packetdeck reads 1.x)", v);
}

static void load_root(loader *l, const cJSON *root)
{
	pd_manifest *m = l->m;
	const char *bad;

	m->format_version = get_string(l, root, "", "format_version", true,
				       " (add \"format_version\": \"1.0.0\")");
	check_version(l);
	m->feature = get_string(l, root, "", "feature", true, NULL);
	m->merge_strategy = get_string(l, root, "", "merge_strategy", true,
				       " (add \"merge_strategy\": \"worktree-merge\", the upstream default)");
	load_post_merge_qa(l, root);

	m->created = get_string(l, root, "", "created", false, NULL);
	m->project_root = get_string(l, root, "", "project_root", false, NULL);
	m->execution_mode = get_string(l, root, "", "execution_mode", false, NULL);
	m->design_doc = get_string(l, root, "", "design_doc", false, NULL);
	m->impl_plan = get_string(l, root, "", "impl_plan", false, NULL);
	m->shared_setup_commit = get_string(l, root, "", "shared_setup_commit", false, NULL);
	if (m->project_root && (bad = pd_find_shell_meta(m->project_root)))
		check_path_chars(l, "project_root", m->project_root, "project root");
	if (m->shared_setup_commit && (bad = pd_find_shell_meta(m->shared_setup_commit)))
		check_path_chars(l, "shared_setup_commit", m->shared_setup_commit, "commit name");
	load_tracks(l, root);
}

int pd_manifest_load(pd_manifest **out, const char *packet_dir, pd_diags *diags)
{
	size_t before = pd_diags_total(diags), len;
	loader l = {NULL, diags};
	cJSON *root = NULL;
	char *buf = NULL;
	int error;

	*out = NULL;
	l.m = calloc(1, sizeof(*l.m));
	if (!l.m)
		return pd_error_set(PD_ENOMEM, "out of memory");
	l.m->dir = strdup(packet_dir);
	l.m->path = pd_path_join(packet_dir, "manifest.json");
	if (!l.m->dir || !l.m->path) {
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
	if (!cJSON_IsObject(root)) {
		pd_diags_add(diags, l.m->path, "must hold a JSON object, not %s", pd_json_type(root));
		goto fail;
	}
	load_root(&l, root);
	cJSON_Delete(root);
	free(buf);
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
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->ntracks; i++) {
		pd_track *t = &m->tracks[i];

		free(t->name);
		free(t->packet);
		free(t->packet_path);
		free(t->worktree);
		free(t->worktree_path);
		free(t->branch);
		free(t->depends_on);
	}
	free(m->tracks);
	for (i = 0; i < m->npost_merge_qa; i++)
		free(m->post_merge_qa[i]);
	free(m->post_merge_qa);
	free(m->dir);
	free(m->dir_real);
	free(m->path);
	free(m->format_version);
	free(m->feature);
	free(m->merge_strategy);
	free(m->created);
	free(m->project_root);
	free(m->execution_mode);
	free(m->design_doc);
	free(m->impl_plan);
	free(m->shared_setup_commit);
	free(m);
}
