/* state.c - markers, checkpoints, failure records and lock probes (state.h).
 *
 * Not here: taking locks for a run (the executor's), and deciding a
 * track's state from these files (snapshot.c).
 */
#define _GNU_SOURCE /* asprintf */
#include "packetdeck/state.h"
#include "packetdeck/error.h"
#include "packetdeck/fsio.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAX_DEPTH 8

/* DIR/PREFIX{track}SUFFIX */
static char *track_path(const char *dir, const char *prefix, long track, const char *suffix)
{
	char *path = NULL;

	if (asprintf(&path, "%s/%s%ld%s", dir, prefix, track, suffix) < 0)
		return NULL;
	return path;
}

char *pd_marker_path(const char *packet_dir, long track)
{
	return track_path(packet_dir, "track-", track, ".completion.json");
}

char *pd_checkpoint_path(const char *packet_dir, long track)
{
	return track_path(packet_dir, "track-", track, ".checkpoint.json");
}

char *pd_state_file(const char *packet_dir, long track, const char *suffix)
{
	char *path = NULL;

	if (asprintf(&path, "%s/" PD_STATE_DIR "/track-%ld.%s", packet_dir, track, suffix) < 0)
		return NULL;
	return path;
}

long pd_state_file_track(const char *name)
{
	/* what follows track-N in a state file's name (its temporary files
	 * and upstream's lock add to the end) */
	static const char *const kinds[] = {".completion.json", ".checkpoint.json", ".failure.json",
					    ".start.json", ".limit.json", ".lock", ".log",
					    "-complete.json"};
	const char *p = name;
	char *end;
	size_t k;
	long id;

	if (strncmp(p, PD_STATE_DIR "/", sizeof(PD_STATE_DIR)) == 0)
		p += sizeof(PD_STATE_DIR);
	if (*p == '.')
		p++;
	if (strncmp(p, "track-", 6) != 0 || p[6] < '0' || p[6] > '9')
		return -1;
	errno = 0;
	id = strtol(p + 6, &end, 10);
	for (k = 0; errno == 0 && k < sizeof(kinds) / sizeof(*kinds); k++)
		if (strncmp(end, kinds[k], strlen(kinds[k])) == 0)
			return id;
	return -1; /* a packet named track-N.md, say */
}

char *pd_timestamp(char buf[21], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* buf[0..len), NUL-terminated at len, as a JSON object; NULL with *state
 * CORRUPT and *problem saying why (`where` names the source). */
static cJSON *parse_object(const char *buf, size_t len, const char *where, pd_file_state *state,
			   char **problem)
{
	cJSON *root = NULL;

	if (pd_json_parse(&root, buf, len, where, STATE_MAX_DEPTH) < 0) {
		*state = PD_FILE_CORRUPT;
		*problem = strdup(pd_error_last());
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		*state = PD_FILE_CORRUPT;
		if (asprintf(problem, "%s: must hold a JSON object", where) < 0)
			*problem = NULL;
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* Read a state file as a JSON object. Returns the object, or NULL with
 * *state ABSENT (no file) or CORRUPT (*problem says why). */
static cJSON *read_object(const char *path, pd_file_state *state, char **problem,
			  struct timespec *mtime)
{
	char *buf = NULL;
	size_t len;
	cJSON *root;
	struct stat st;
	int error;

	*state = PD_FILE_ABSENT;
	error = pd_read_file(&buf, &len, path, PD_STATE_MAX_BYTES);
	if (error == PD_ENOTFOUND)
		return NULL;
	*state = PD_FILE_CORRUPT;
	if (error < 0) {
		*problem = strdup(pd_error_last());
		return NULL;
	}
	if (mtime && stat(path, &st) == 0)
		*mtime = st.st_mtim;
	root = parse_object(buf, len, path, state, problem);
	free(buf);
	return root;
}

static void corrupt(pd_file_state *state, char **problem, const char *path, const char *why)
{
	*state = PD_FILE_CORRUPT;
	free(*problem);
	if (asprintf(problem, "%s: %s", path, why) < 0)
		*problem = NULL;
}

/* Try the current name, then the legacy one. Sets *path to the one read. */
static cJSON *read_either(const char *current, const char *legacy, char **path,
			  pd_file_state *state, char **problem, struct timespec *mtime)
{
	cJSON *root = read_object(current, state, problem, mtime);

	if (*state != PD_FILE_ABSENT) {
		*path = strdup(current);
		return root;
	}
	root = read_object(legacy, state, problem, mtime);
	if (*state != PD_FILE_ABSENT)
		*path = strdup(legacy);
	return root;
}

/* The statuses upstream's executors write into a marker before the track
 * is done: such a marker says "not complete", it is not corrupt. Any
 * other status than "complete" stays a corrupt marker (a "done" or a
 * "completed" may mean complete: a run halts on it rather than guess). */
static bool unfinished_status(const char *status)
{
	static const char *const words[] = {"in_progress", "in-progress", "pending", "started",
					    "running", "not_started", "incomplete"};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (strcmp(status, words[i]) == 0)
			return true;
	return false;
}

int pd_marker_read(pd_marker *out, const char *packet_dir, long track)
{
	char *current = pd_marker_path(packet_dir, track);
	char *legacy = track_path(packet_dir, ".track-", track, "-complete.json");
	const char *status;
	cJSON *root;

	memset(out, 0, sizeof(*out));
	if (!current || !legacy) {
		free(current);
		free(legacy);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	root = read_either(current, legacy, &out->path, &out->state, &out->problem, &out->mtime);
	if (root) {
		int has = pd_json_string(root, "status", &status);

		if (has == 1 && strcmp(status, "complete") == 0) {
			out->state = PD_FILE_OK;
			out->commit = pd_json_strdup(root, "commit");
			out->timestamp = pd_json_strdup(root, "timestamp");
		} else if (has == 1 && unfinished_status(status)) {
			/* not complete, and said so: as if absent, the file named */
			out->state = PD_FILE_ABSENT;
			out->unfinished = strdup(status);
			out->timestamp = pd_json_strdup(root, "timestamp");
			if (!out->unfinished) {
				cJSON_Delete(root);
				free(current);
				free(legacy);
				pd_marker_clear(out);
				return pd_error_set(PD_ENOMEM, "out of memory");
			}
		} else if (has == 1) {
			char why[160];

			snprintf(why, sizeof(why), "\"status\" is \"%.100s\", not \"complete\"", status);
			corrupt(&out->state, &out->problem, out->path, why);
		} else {
			corrupt(&out->state, &out->problem, out->path,
				"no \"status\": \"complete\"");
		}
		cJSON_Delete(root);
	}
	free(current);
	free(legacy);
	return 0;
}

/* The fields of a checkpoint object, checked (out->path names it). */
static void checkpoint_fields(pd_checkpoint *out, const cJSON *root, long track)
{
	const cJSON *next = pd_json_get(root, "next_task");
	int64_t t;

	out->last_completed_task = pd_json_strdup(root, "last_completed_task");
	out->commit = pd_json_strdup(root, "commit");
	out->timestamp = pd_json_strdup(root, "timestamp");
	if (!pd_json_int(pd_json_get(root, "track"), 0, 2147483647, &t))
		corrupt(&out->state, &out->problem, out->path, "\"track\" is not a track id");
	else if ((out->track = (long)t) != track)
		corrupt(&out->state, &out->problem, out->path, "\"track\" names another track");
	else if (!out->last_completed_task)
		corrupt(&out->state, &out->problem, out->path,
			"\"last_completed_task\" is missing or not a string");
	else if (!next || !(cJSON_IsNull(next) || cJSON_IsString(next)))
		corrupt(&out->state, &out->problem, out->path, "\"next_task\" must be a task id or null");
	else
		out->state = PD_FILE_OK;
	if (cJSON_IsString(next))
		out->next_task = strdup(next->valuestring);
}

int pd_checkpoint_read(pd_checkpoint *out, const char *packet_dir, long track)
{
	char *current = pd_checkpoint_path(packet_dir, track);
	char *legacy = track_path(packet_dir, "checkpoints/track-", track, "-checkpoint.json");
	cJSON *root;

	memset(out, 0, sizeof(*out));
	out->track = -1;
	if (!current || !legacy) {
		free(current);
		free(legacy);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	root = read_either(current, legacy, &out->path, &out->state, &out->problem, &out->mtime);
	if (root) {
		checkpoint_fields(out, root, track);
		cJSON_Delete(root);
	}
	free(current);
	free(legacy);
	return 0;
}

int pd_checkpoint_parse(pd_checkpoint *out, const char *text, size_t len, const char *where,
			long track)
{
	cJSON *root;
	char *copy = NULL;

	memset(out, 0, sizeof(*out));
	out->track = -1;
	out->state = PD_FILE_CORRUPT;
	/* the JSON reader wants a NUL at len, which a line in a buffer lacks */
	if (!(out->path = strdup(where)) || !(copy = malloc(len + 1))) {
		free(out->path);
		out->path = NULL;
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	if ((root = parse_object(copy, len, where, &out->state, &out->problem)) != NULL)
		checkpoint_fields(out, root, track);
	cJSON_Delete(root);
	free(copy);
	return 0;
}

int pd_failure_read(pd_failure *out, const char *packet_dir, long track)
{
	char *path = pd_state_file(packet_dir, track, "failure.json");
	int64_t v;
	cJSON *root;

	memset(out, 0, sizeof(*out));
	out->track = -1;
	if (!path)
		return pd_error_set(PD_ENOMEM, "out of memory");
	root = read_object(path, &out->state, &out->problem, &out->mtime);
	if (root) {
		out->path = strdup(path);
		out->task = pd_json_strdup(root, "task");
		out->message = pd_json_strdup(root, "message");
		out->hint = pd_json_strdup(root, "hint");
		out->timestamp = pd_json_strdup(root, "timestamp");
		if (pd_json_int(pd_json_get(root, "exit_status"), -1000, 1000, &v))
			out->exit_status = (int)v;
		if (!pd_json_int(pd_json_get(root, "track"), 0, 2147483647, &v) || v != track)
			corrupt(&out->state, &out->problem, path, "\"track\" is missing or names another track");
		else if (!out->message)
			corrupt(&out->state, &out->problem, path, "\"message\" is missing");
		else
			out->state = PD_FILE_OK;
		out->track = (long)v;
		cJSON_Delete(root);
	} else if (out->state != PD_FILE_ABSENT) {
		out->path = strdup(path);
	}
	free(path);
	return 0;
}

/* .packetdeck/track-N.SUFFIX as a JSON object (NULL when absent or not
 * one: *state says which); *path kept when the file is there. Also checks
 * that its "track" names this track. PD_ENOMEM in *error. */
static cJSON *read_record(const char *packet_dir, long track, const char *suffix, pd_file_state *state,
			  char **problem, struct timespec *mtime, char **path, int *error)
{
	char *p = pd_state_file(packet_dir, track, suffix);
	int64_t v;
	cJSON *root;

	*error = 0;
	if (!p) {
		*error = pd_error_set(PD_ENOMEM, "out of memory");
		return NULL;
	}
	root = read_object(p, state, problem, mtime);
	if (*state != PD_FILE_ABSENT)
		*path = p;
	else
		free(p);
	if (root && (!pd_json_int(pd_json_get(root, "track"), 0, 2147483647, &v) || v != track))
		corrupt(state, problem, *path, "\"track\" is missing or names another track");
	return root;
}

int pd_start_read(pd_start *out, const char *packet_dir, long track)
{
	const cJSON *commit;
	cJSON *root;
	int error;

	memset(out, 0, sizeof(*out));
	root = read_record(packet_dir, track, "start.json", &out->state, &out->problem, NULL, &out->path,
			   &error);
	if (!root)
		return error;
	commit = pd_json_get(root, "commit");
	out->branch = pd_json_strdup(root, "branch");
	out->commit = pd_json_strdup(root, "commit");
	out->runner = pd_json_strdup(root, "runner");
	out->timestamp = pd_json_strdup(root, "timestamp");
	if (out->problem) /* its track is not this one */
		out->state = PD_FILE_CORRUPT;
	else if (!out->branch)
		corrupt(&out->state, &out->problem, out->path, "\"branch\" is missing");
	else if (!commit || !(cJSON_IsNull(commit) || cJSON_IsString(commit)))
		corrupt(&out->state, &out->problem, out->path, "\"commit\" must be a commit id or null");
	else
		out->state = PD_FILE_OK;
	cJSON_Delete(root);
	return 0;
}

int pd_limit_read(pd_limit *out, const char *packet_dir, long track)
{
	const cJSON *reset;
	cJSON *root;
	int error;

	memset(out, 0, sizeof(*out));
	root = read_record(packet_dir, track, "limit.json", &out->state, &out->problem, &out->mtime, &out->path,
			   &error);
	if (!root)
		return error;
	reset = pd_json_get(root, "resets_at");
	out->message = pd_json_strdup(root, "message");
	out->timestamp = pd_json_strdup(root, "timestamp");
	if (out->problem) /* its track is not this one */
		out->state = PD_FILE_CORRUPT;
	else if (!reset || !(cJSON_IsNull(reset) ||
			     (cJSON_IsString(reset) && pd_timestamp_parse(reset->valuestring, &out->resets_at))))
		corrupt(&out->state, &out->problem, out->path,
			"\"resets_at\" must be a UTC timestamp (2026-01-05T12:30:00Z) or null");
	else
		out->state = PD_FILE_OK;
	cJSON_Delete(root);
	return 0;
}

void pd_limit_clear(pd_limit *l)
{
	free(l->path);
	free(l->message);
	free(l->timestamp);
	free(l->problem);
	memset(l, 0, sizeof(*l));
}

void pd_start_clear(pd_start *s)
{
	free(s->path);
	free(s->branch);
	free(s->commit);
	free(s->runner);
	free(s->timestamp);
	free(s->problem);
	memset(s, 0, sizeof(*s));
}

void pd_marker_clear(pd_marker *m)
{
	free(m->path);
	free(m->commit);
	free(m->timestamp);
	free(m->problem);
	free(m->unfinished);
	memset(m, 0, sizeof(*m));
}

void pd_checkpoint_clear(pd_checkpoint *c)
{
	free(c->path);
	free(c->last_completed_task);
	free(c->next_task);
	free(c->commit);
	free(c->timestamp);
	free(c->problem);
	free(c->commit_problem);
	memset(c, 0, sizeof(*c));
	c->track = -1;
}

void pd_failure_clear(pd_failure *f)
{
	free(f->path);
	free(f->task);
	free(f->message);
	free(f->hint);
	free(f->timestamp);
	free(f->problem);
	memset(f, 0, sizeof(*f));
	f->track = -1;
}

/* Print `obj` as one line and write it atomically to `path`. */
static int write_object(const char *path, cJSON *obj, bool no_replace)
{
	pd_write_options opts = PD_WRITE_OPTIONS_INIT;
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
	size_t len;
	int error;

	cJSON_Delete(obj);
	if (!text || !path) {
		free(text);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	len = strlen(text);
	/* cJSON allocated len + 1 bytes: the NUL becomes the newline. */
	text[len] = '\n';
	opts.no_replace = no_replace;
	error = pd_write_atomic(path, text, len + 1, &opts);
	free(text);
	return error;
}

static void add_string_or_null(cJSON *obj, const char *key, const char *value)
{
	if (value)
		cJSON_AddStringToObject(obj, key, value);
	else
		cJSON_AddNullToObject(obj, key);
}

static cJSON *marker_object(const char *commit, const char *timestamp)
{
	cJSON *obj = cJSON_CreateObject();
	char now[21];

	if (obj) {
		cJSON_AddStringToObject(obj, "format_version", "1.0.0");
		cJSON_AddStringToObject(obj, "status", "complete");
		add_string_or_null(obj, "commit", commit);
		cJSON_AddStringToObject(obj, "timestamp",
					timestamp ? timestamp : pd_timestamp(now, time(NULL)));
	}
	return obj;
}

int pd_marker_write(const char *packet_dir, long track, const char *commit, const char *timestamp)
{
	char now[21], *path = pd_marker_path(packet_dir, track);
	pd_marker old;
	int error;

	if (!timestamp)
		timestamp = pd_timestamp(now, time(NULL)); /* the same in a second try */
	error = write_object(path, marker_object(commit, timestamp), true);
	/* A marker that says the track is not complete ("in_progress", as
	 * upstream's executors write one while they work) is the one marker
	 * replaced: by this track's completion. */
	if (error == PD_EINVALID) {
		char *why = strdup(pd_error_last()); /* reading may say something else */

		if (pd_marker_read(&old, packet_dir, track) == 0 && old.unfinished && old.path &&
		    strcmp(old.path, path) == 0)
			error = write_object(path, marker_object(commit, timestamp), false);
		else if (why)
			pd_error_set(error, "%s", why);
		pd_marker_clear(&old);
		free(why);
	}
	free(path);
	return error;
}

static cJSON *checkpoint_object(long track, const char *last_completed_task, const char *next_task,
				const char *commit, const char *timestamp)
{
	cJSON *obj = cJSON_CreateObject();
	char now[21];

	if (obj) {
		cJSON_AddStringToObject(obj, "format_version", "1.0.0");
		cJSON_AddNumberToObject(obj, "track", (double)track);
		cJSON_AddStringToObject(obj, "last_completed_task", last_completed_task);
		add_string_or_null(obj, "commit", commit);
		cJSON_AddStringToObject(obj, "timestamp",
					timestamp ? timestamp : pd_timestamp(now, time(NULL)));
		add_string_or_null(obj, "next_task", next_task);
	}
	return obj;
}

int pd_checkpoint_write(const char *packet_dir, long track, const char *last_completed_task,
			const char *next_task, const char *commit, const char *timestamp)
{
	char *path = pd_checkpoint_path(packet_dir, track);
	int error = write_object(path, checkpoint_object(track, last_completed_task, next_task, commit,
							 timestamp), false);

	free(path);
	return error;
}

char *pd_checkpoint_text(long track, const char *last_completed_task, const char *next_task,
			 const char *commit, const char *timestamp)
{
	cJSON *obj = checkpoint_object(track, last_completed_task, next_task, commit, timestamp);
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;

	cJSON_Delete(obj);
	return text;
}

/* PACKET_DIR/.packetdeck, made if absent. */
static int state_dir(const char *packet_dir)
{
	char *dir = NULL;
	int error = 0;

	if (asprintf(&dir, "%s/" PD_STATE_DIR, packet_dir) < 0)
		return pd_error_set(PD_ENOMEM, "out of memory");
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		error = pd_error_errno(PD_EIO, "%s: cannot create", dir);
	free(dir);
	return error;
}

/* .packetdeck/track-N.SUFFIX, atomically, from `obj` (taken: freed here). */
static int write_record(const char *packet_dir, long track, const char *suffix, cJSON *obj)
{
	char *path;
	int error;

	if ((error = state_dir(packet_dir)) < 0) {
		cJSON_Delete(obj);
		return error;
	}
	path = pd_state_file(packet_dir, track, suffix);
	error = write_object(path, obj, false);
	free(path);
	return error;
}

int pd_start_write(const char *packet_dir, long track, const char *branch, const char *commit,
		   const char *runner)
{
	char now[21];
	cJSON *obj = cJSON_CreateObject();

	if (obj) {
		cJSON_AddStringToObject(obj, "format_version", "1.0.0");
		cJSON_AddNumberToObject(obj, "track", (double)track);
		cJSON_AddStringToObject(obj, "branch", branch);
		add_string_or_null(obj, "commit", commit);
		cJSON_AddStringToObject(obj, "runner", runner);
		cJSON_AddStringToObject(obj, "timestamp", pd_timestamp(now, time(NULL)));
	}
	return write_record(packet_dir, track, "start.json", obj);
}

int pd_failure_write(const char *packet_dir, long track, const char *task, const char *message,
		     const char *hint, int exit_status, const char *timestamp)
{
	char now[21];
	cJSON *obj = cJSON_CreateObject();

	if (obj) {
		cJSON_AddNumberToObject(obj, "track", (double)track);
		add_string_or_null(obj, "task", task);
		cJSON_AddStringToObject(obj, "message", message);
		if (hint && *hint)
			cJSON_AddStringToObject(obj, "hint", hint);
		cJSON_AddNumberToObject(obj, "exit_status", exit_status);
		cJSON_AddStringToObject(obj, "timestamp",
					timestamp ? timestamp : pd_timestamp(now, time(NULL)));
	}
	return write_record(packet_dir, track, "failure.json", obj);
}

int pd_limit_write(const char *packet_dir, long track, time_t resets_at, const char *message)
{
	char now[21], when[21];
	cJSON *obj = cJSON_CreateObject();

	if (obj) {
		cJSON_AddStringToObject(obj, "format_version", "1.0.0");
		cJSON_AddNumberToObject(obj, "track", (double)track);
		add_string_or_null(obj, "resets_at", resets_at ? pd_timestamp(when, resets_at) : NULL);
		cJSON_AddStringToObject(obj, "message", message ? message : "usage limit reached");
		cJSON_AddStringToObject(obj, "timestamp", pd_timestamp(now, time(NULL)));
	}
	return write_record(packet_dir, track, "limit.json", obj);
}

int pd_limit_remove(const char *packet_dir, long track)
{
	char *path = pd_state_file(packet_dir, track, "limit.json");
	int error = 0;

	if (!path)
		return pd_error_set(PD_ENOMEM, "out of memory");
	if (unlink(path) != 0 && errno != ENOENT)
		error = pd_error_errno(PD_EIO, "%s: cannot remove", path);
	free(path);
	return error;
}

bool pd_timestamp_parse(const char *text, time_t *out)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	if (!text || strlen(text) != 20 || !(end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm)) || *end)
		return false;
	*out = timegm(&tm);
	return *out != (time_t)-1;
}

const char *pd_limit_text(const pd_limit *l, char *buf, size_t cap)
{
	char when[21];

	if (l->resets_at)
		snprintf(buf, cap, "usage limit until %s", pd_timestamp(when, l->resets_at));
	else
		snprintf(buf, cap, "usage limit (reset time not known)");
	return buf;
}
