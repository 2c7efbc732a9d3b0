/* mergestate.c - .packetdeck/merge.json, the state of a merge (merge.h),
 * written atomically and durably through fsio; and how a post_merge_qa
 * entry runs. */
#define _GNU_SOURCE
#include "packetdeck/merge.h"
#include "packetdeck/error.h"
#include "packetdeck/fsio.h"
#include "packetdeck/state.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MERGE_FILE PD_STATE_DIR "/merge.json"
#define MERGE_MAX_BYTES (1u << 20)

static const char *const phases[] = {"none", "merging", "conflict", "manual",
				     "qa", "qa_failed", "completed"};

const char *pd_merge_phase_name(pd_merge_phase p)
{
	return (unsigned)p < sizeof(phases) / sizeof(*phases) ? phases[p] : "none";
}

/* The names upstream's versions give their own agent skills. */
static const char *const skills[] = {
	"green-mirage-audit", "auditing-green-mirage", "fact-checking", "fact-check",
	"code-review", "requesting-code-review", "verification-before-completion",
};

pd_gate_kind pd_gate_classify(const char *entry)
{
	size_t i;

	if (strcmp(entry, "pytest") == 0)
		return PD_GATE_PYTEST;
	for (i = 0; i < sizeof(skills) / sizeof(*skills); i++)
		if (strcmp(entry, skills[i]) == 0)
			return PD_GATE_SKILL;
	return PD_GATE_SHELL;
}

void pd_merge_state_clear(pd_merge_state *s)
{
	free(s->branch);
	free(s->worktree);
	pd_merge_files_free(s->files, s->nfiles);
	free(s->started);
	free(s->problem);
	memset(s, 0, sizeof(*s));
	s->track = -1;
}

void pd_merge_files_free(char **files, size_t n)
{
	size_t i;

	for (i = 0; files && i < n; i++)
		free(files[i]);
	free(files);
}

static bool hex40(const char *s)
{
	return s && (strlen(s) == 0 || (strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40));
}

static int refuse(pd_merge_state *s, const char *path, const char *why)
{
	pd_merge_state_clear(s);
	if (asprintf(&s->problem, "%s: %s", path, why) < 0)
		s->problem = NULL;
	return pd_error_set(PD_EINVALID, "%s: %s", path, why);
}

int pd_merge_state_read(pd_merge_state *s, const char *packet_dir)
{
	char path[4096], *text = NULL;
	const char *str;
	cJSON *root = NULL, *files, *f;
	size_t len, i;
	int64_t n;
	int error;

	memset(s, 0, sizeof(*s));
	s->track = -1;
	snprintf(path, sizeof(path), "%s/%s", packet_dir, MERGE_FILE);
	if ((error = pd_read_file(&text, &len, path, MERGE_MAX_BYTES)) == PD_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	error = pd_json_parse(&root, text, len, path, 8);
	free(text);
	if (error < 0)
		return refuse(s, path, "not valid JSON");
	if (pd_json_string(root, "phase", &str) != 1)
		goto bad;
	for (i = 1; i < sizeof(phases) / sizeof(*phases); i++)
		if (strcmp(str, phases[i]) == 0)
			s->phase = (pd_merge_phase)i;
	if (s->phase == PD_MERGE_NONE)
		goto bad;
	s->branch = pd_json_strdup(root, "branch");
	s->worktree = pd_json_strdup(root, "worktree");
	s->started = pd_json_strdup(root, "started");
	if (!s->branch || !s->worktree || s->worktree[0] != '/')
		goto bad;
	s->branch_existed = cJSON_IsTrue(pd_json_get(root, "branch_existed"));
	s->worktree_existed = cJSON_IsTrue(pd_json_get(root, "worktree_existed"));
	if (pd_json_string(root, "before", &str) != 1 || !hex40(str))
		goto bad;
	snprintf(s->before, sizeof(s->before), "%s", str);
	if (!pd_json_int(pd_json_get(root, "merged"), 0, 1000000, &n))
		goto bad;
	s->merged = (size_t)n;
	if (pd_json_get(root, "track") && !cJSON_IsNull(pd_json_get(root, "track"))) {
		if (!pd_json_int(pd_json_get(root, "track"), 0, INT32_MAX, &n))
			goto bad;
		s->track = (long)n;
	}
	if (!pd_json_int(pd_json_get(root, "gate"), 0, 1000000, &n))
		goto bad;
	s->gate = (size_t)n;
	files = (cJSON *)pd_json_get(root, "conflicts");
	if (files && cJSON_IsArray(files) && cJSON_GetArraySize(files) > 0) {
		size_t cnt = (size_t)cJSON_GetArraySize(files);

		if (!(s->files = calloc(cnt, sizeof(*s->files))))
			goto nomem;
		cJSON_ArrayForEach(f, files) {
			if (!cJSON_IsString(f))
				goto bad;
			if (!(s->files[s->nfiles] = strdup(f->valuestring)))
				goto nomem;
			s->nfiles++;
		}
	}
	cJSON_Delete(root);
	return 0;
bad:
	cJSON_Delete(root);
	return refuse(s, path, "not a merge state packetdeck wrote (remove it to start over)");
nomem:
	cJSON_Delete(root);
	pd_merge_state_clear(s);
	return pd_error_set(PD_ENOMEM, "out of memory");
}

int pd_merge_state_write(const pd_merge_state *s, const char *packet_dir)
{
	char path[4096], dir[4096], *text;
	cJSON *o = cJSON_CreateObject(), *files;
	size_t i;
	int error;

	snprintf(dir, sizeof(dir), "%s/" PD_STATE_DIR, packet_dir);
	snprintf(path, sizeof(path), "%s/%s", packet_dir, MERGE_FILE);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		cJSON_Delete(o);
		return pd_error_errno(PD_EIO, "%s: cannot create", dir);
	}
	if (!o)
		return pd_error_set(PD_ENOMEM, "out of memory");
	cJSON_AddStringToObject(o, "format_version", "1.0.0");
	cJSON_AddStringToObject(o, "phase", pd_merge_phase_name(s->phase));
	cJSON_AddStringToObject(o, "branch", s->branch ? s->branch : "");
	cJSON_AddStringToObject(o, "worktree", s->worktree ? s->worktree : "");
	cJSON_AddBoolToObject(o, "branch_existed", s->branch_existed);
	cJSON_AddStringToObject(o, "before", s->before);
	cJSON_AddBoolToObject(o, "worktree_existed", s->worktree_existed);
	cJSON_AddNumberToObject(o, "merged", (double)s->merged);
	if (s->track >= 0)
		cJSON_AddNumberToObject(o, "track", (double)s->track);
	else
		cJSON_AddNullToObject(o, "track");
	files = cJSON_AddArrayToObject(o, "conflicts");
	for (i = 0; i < s->nfiles; i++)
		cJSON_AddItemToArray(files, cJSON_CreateString(s->files[i]));
	cJSON_AddNumberToObject(o, "gate", (double)s->gate);
	if (s->started)
		cJSON_AddStringToObject(o, "started", s->started);
	text = cJSON_Print(o);
	cJSON_Delete(o);
	if (!text)
		return pd_error_set(PD_ENOMEM, "out of memory");
	error = pd_write_atomic(path, text, strlen(text), NULL);
	free(text);
	return error;
}

int pd_merge_state_remove(const char *packet_dir)
{
	char path[4096], dir[4096];

	snprintf(dir, sizeof(dir), "%s/" PD_STATE_DIR, packet_dir);
	snprintf(path, sizeof(path), "%s/%s", packet_dir, MERGE_FILE);
	if (unlink(path) != 0 && errno != ENOENT)
		return pd_error_errno(PD_EIO, "%s: cannot remove", path);
	return pd_fsync_dir(dir);
}
