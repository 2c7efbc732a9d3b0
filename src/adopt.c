/* adopt.c - upstream's defaults added to a manifest that lacks them
 * (adopt.h): read strictly, a member appended per missing field, the
 * original kept as manifest.json.orig, the new text written atomically
 * under the run lock. */
#include "packetdeck/adopt.h"
#include "packetdeck/error.h"
#include "packetdeck/fsio.h"
#include "packetdeck/manifest.h"
#include "packetdeck/pathutil.h"
#include "packetdeck/state.h"
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The seed's schema values: what upstream's merge step expects. */
static cJSON *default_post_merge_qa(void)
{
	static const char *const gates[] = {"pytest", "green-mirage-audit"};

	return cJSON_CreateStringArray(gates, 2);
}

void pd_adopt_clear(pd_adopt *a)
{
	size_t i;

	free(a->manifest_path);
	free(a->orig_path);
	free(a->original);
	free(a->text);
	for (i = 0; i < a->nadded; i++)
		free(a->values[i]);
	pd_lockinfo_clear(&a->holder);
	memset(a, 0, sizeof(*a));
}

/* Append `value` (owned) as `name` unless the object has the member. */
static int add_missing(pd_adopt *a, cJSON *root, const char *name, cJSON *value)
{
	if (pd_json_get(root, name)) {
		cJSON_Delete(value);
		return 0;
	}
	if (!value || !(a->values[a->nadded] = cJSON_PrintUnformatted(value))) {
		cJSON_Delete(value);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	a->names[a->nadded++] = name;
	cJSON_AddItemToObject(root, name, value);
	return 0;
}

int pd_adopt_prepare(pd_adopt *a, const char *packet_dir)
{
	struct stat st;
	cJSON *root = NULL;
	int error;

	memset(a, 0, sizeof(*a));
	a->manifest_path = pd_path_join(packet_dir, "manifest.json");
	a->orig_path = pd_path_join(packet_dir, "manifest.json.orig");
	if (!a->manifest_path || !a->orig_path)
		return pd_error_set(PD_ENOMEM, "out of memory");
	if (lstat(a->manifest_path, &st) == 0 && S_ISLNK(st.st_mode))
		return pd_error_set(PD_EINVALID, "%s: is a symlink; adopt would replace the link "
						 "with a file: adopt the file it points to instead",
				    a->manifest_path);
	error = pd_read_file(&a->original, &a->original_len, a->manifest_path,
			     PD_MANIFEST_MAX_BYTES);
	if (error == PD_ENOTFOUND)
		return pd_error_set(PD_EINVALID, "%s: no such file: %s is not a packet dir",
				    a->manifest_path, packet_dir);
	if (error < 0)
		return error;
	if ((error = pd_json_parse(&root, a->original, a->original_len, a->manifest_path,
				   PD_MANIFEST_MAX_DEPTH)) < 0)
		return error;
	if (!cJSON_IsObject(root)) {
		error = pd_error_set(PD_EINVALID, "%s: must hold a JSON object, not %s",
				     a->manifest_path, pd_json_type(root));
		cJSON_Delete(root);
		return error;
	}
	if ((error = add_missing(a, root, "merge_strategy",
				 cJSON_CreateString(PD_ADOPT_MERGE_STRATEGY))) < 0 ||
	    (error = add_missing(a, root, "post_merge_qa", default_post_merge_qa())) < 0) {
		cJSON_Delete(root);
		return error;
	}
	if (a->nadded) {
		char *printed = cJSON_Print(root), *t;
		size_t n = printed ? strlen(printed) : 0;

		if (!printed || !(t = realloc(printed, n + 2))) {
			free(printed);
			cJSON_Delete(root);
			return pd_error_set(PD_ENOMEM, "out of memory");
		}
		memcpy(t + n, "\n", 2); /* a final newline, and still a C string */
		a->text = t;
		a->text_len = n + 1;
	}
	cJSON_Delete(root);
	return 0;
}

/* Keep the original bytes beside the manifest, once. */
static int keep_original(pd_adopt *a, mode_t mode)
{
	pd_write_options o = PD_WRITE_OPTIONS_INIT;
	struct stat st;
	int error;

	if (lstat(a->orig_path, &st) == 0) {
		a->orig_kept = true;
		return 0;
	}
	o.no_replace = true;
	error = pd_write_atomic(a->orig_path, a->original, a->original_len, &o);
	if (error == PD_EINVALID && lstat(a->orig_path, &st) == 0) {
		a->orig_kept = true; /* made since we looked: kept too */
		return 0;
	}
	if (error == 0 && (mode & 07777) != 0644)
		chmod(a->orig_path, mode & 07777);
	return error;
}

int pd_adopt_write(pd_adopt *a, const char *packet_dir)
{
	pd_lockinfo stale;
	pd_lock *lock = NULL;
	struct stat st;
	char *now = NULL;
	size_t len;
	int error;

	if (!a->text)
		return 0;
	/* the run lock: no run starts while the manifest changes, none runs now */
	if ((error = pd_run_lock_take(&lock, packet_dir, NULL, &a->holder, &stale)) < 0)
		return error;
	/* what was shown is what is written: the manifest must be as read */
	error = pd_read_file(&now, &len, a->manifest_path, PD_MANIFEST_MAX_BYTES);
	if (error == 0 && (len != a->original_len || memcmp(now, a->original, len) != 0))
		error = pd_error_set(PD_EINVALID, "%s: changed since it was read; nothing written: "
						  "run adopt again",
				     a->manifest_path);
	free(now);
	if (error == 0 && stat(a->manifest_path, &st) != 0)
		error = pd_error_errno(PD_EIO, "%s: cannot stat", a->manifest_path);
	if (error == 0)
		error = keep_original(a, st.st_mode);
	if (error == 0)
		error = pd_write_atomic(a->manifest_path, a->text, a->text_len, NULL);
	if (error == 0 && (st.st_mode & 07777) != 0644)
		chmod(a->manifest_path, st.st_mode & 07777);
	pd_lock_release_to(lock, &stale);
	pd_lockinfo_clear(&stale);
	return error;
}
