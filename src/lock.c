/* lock.c - run and track locks: flock on a never-unlinked file (lock.h). */
#define _GNU_SOURCE /* asprintf */
#include "packetdeck/lock.h"
#include "packetdeck/error.h"
#include "packetdeck/fsio.h"
#include "packetdeck/manifest.h"
#include "packetdeck/pathutil.h"
#include "packetdeck/state.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct pd_lock {
	int fd;
	char *record;   /* ours without its closing brace, to write it again naming a track */
	size_t written; /* the file's length: a shorter record is padded to it */
};

#define LOCK_MAX_BYTES 4096

/* The holder recorded in the file open as fd (best effort: a lock file
 * with garbage in it is still a lock). */
static void read_holder(int fd, pd_lockinfo *out)
{
	char buf[LOCK_MAX_BYTES + 1];
	cJSON *root = NULL;
	ssize_t n = pread(fd, buf, LOCK_MAX_BYTES, 0);
	int64_t pid;

	if (n <= 0)
		return;
	buf[n] = '\0';
	if (pd_json_parse(&root, buf, (size_t)n, "lock", 4) == 0 && cJSON_IsObject(root)) {
		if (pd_json_int(pd_json_get(root, "pid"), 1, 4194304, &pid))
			out->pid = (long)pid;
		out->host = pd_json_strdup(root, "host");
		out->since = pd_json_strdup(root, "since");
		out->run_id = pd_json_strdup(root, "run_id");
		if (pd_json_int(pd_json_get(root, "track"), 0, PD_TRACK_ID_MAX, &pid)) {
			out->has_track = true;
			out->track = (long)pid;
		}
	}
	cJSON_Delete(root);
}

const char *pd_lockinfo_text(const pd_lockinfo *l, char *buf, unsigned cap)
{
	snprintf(buf, cap, "pid %ld on %s since %s%s%s%s", l->pid, l->host ? l->host : "an unknown host",
		 l->since ? l->since : "an unknown time", l->run_id ? " (run " : "",
		 l->run_id ? l->run_id : "", l->run_id ? ")" : "");
	return buf;
}

const char *pd_lock_takeover_text(const pd_lockinfo *stale, const char *what, char *buf,
				  unsigned cap)
{
	char holder[400];

	snprintf(buf, cap, "took over the %s of %s, which is no longer running", what,
		 pd_lockinfo_text(stale, holder, sizeof(holder)));
	return buf;
}

/* Our record, naming `track` (< 0: none), in one write over the old one:
 * padded with spaces (JSON's whitespace) where it is shorter, so that the
 * file is never truncated and no block of it freed and allocated again. */
static int write_holder(pd_lock *l, long track)
{
	char text[LOCK_MAX_BYTES];
	int n = track >= 0 ? snprintf(text, sizeof(text), "%s,\"track\":%ld}", l->record, track)
			   : snprintf(text, sizeof(text), "%s}", l->record);
	size_t len;

	if (n < 0 || (size_t)n >= sizeof(text))
		return pd_error_set(PD_EINVALID, "the lock's record is too long");
	len = (size_t)n;
	while (len < l->written && len < sizeof(text))
		text[len++] = ' ';
	if (pwrite(l->fd, text, len, 0) != (ssize_t)len)
		return pd_error_errno(PD_EIO, "cannot record the lock's holder");
	l->written = len;
	return 0;
}

/* A holder's record without its closing brace (write_holder ends it). */
static char *record_text(long pid, const char *host, const char *since, const char *run_id)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddNumberToObject(o, "pid", (double)pid);
	if (host)
		cJSON_AddStringToObject(o, "host", host);
	if (since)
		cJSON_AddStringToObject(o, "since", since);
	if (run_id)
		cJSON_AddStringToObject(o, "run_id", run_id);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (text)
		text[strlen(text) - 1] = '\0'; /* the '}' */
	return text;
}

/* The record as it will stand for this process. */
static char *holder_record(const char *run_id)
{
	char host[256] = "", now[21];

	gethostname(host, sizeof(host) - 1);
	return record_text((long)getpid(), host, pd_timestamp(now, time(NULL)), run_id);
}

static void lock_free(pd_lock *l)
{
	close(l->fd);
	cJSON_free(l->record);
	free(l);
}

int pd_lock_take(pd_lock **out, const char *path, const char *run_id, pd_lockinfo *holder,
		 pd_lockinfo *stale)
{
	pd_lock *l;
	int fd, error = 0;

	*out = NULL;
	if (holder)
		memset(holder, 0, sizeof(*holder));
	if (stale)
		memset(stale, 0, sizeof(*stale));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd < 0)
		return pd_error_errno(PD_EIO, "%s: cannot open", path);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		pd_lockinfo who = {.held = true};
		char text[512];

		error = errno == EWOULDBLOCK ? PD_ELOCKED : PD_EIO;
		read_holder(fd, &who);
		close(fd);
		if (error == PD_ELOCKED)
			pd_error_set(PD_ELOCKED, "%s is held by %s", path,
				     pd_lockinfo_text(&who, text, sizeof(text)));
		else
			pd_error_errno(PD_EIO, "%s: cannot lock", path);
		if (holder)
			*holder = who;
		else
			pd_lockinfo_clear(&who);
		return error;
	}
	if (stale)
		read_holder(fd, stale); /* whoever wrote it no longer holds it */
	if (!(l = calloc(1, sizeof(*l))) || !(l->record = holder_record(run_id))) {
		free(l);
		close(fd);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	l->fd = fd;
	if (ftruncate(fd, 0) != 0 || (error = write_holder(l, -1)) < 0) {
		error = error < 0 ? error : pd_error_errno(PD_EIO, "cannot record the lock's holder");
		lock_free(l);
		return error;
	}
	*out = l;
	return 0;
}

int pd_run_lock_take(pd_lock **out, const char *packet_dir, const char *run_id,
		     pd_lockinfo *holder, pd_lockinfo *stale)
{
	char *dir = pd_path_join(packet_dir, PD_STATE_DIR), *path = NULL;
	struct stat st;
	int error;

	*out = NULL;
	if (holder)
		memset(holder, 0, sizeof(*holder));
	if (stale)
		memset(stale, 0, sizeof(*stale));
	if (!dir || !(path = pd_path_join(dir, "run.lock")))
		error = pd_error_set(PD_ENOMEM, "out of memory");
	else if (lstat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		error = pd_error_set(PD_EINVALID, "%s: is not a directory", dir);
	else if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		error = pd_error_errno(PD_EIO, "%s: cannot create", dir);
	else
		error = pd_lock_take(out, path, run_id, holder, stale);
	free(dir);
	free(path);
	return error;
}

void pd_lock_release(pd_lock *l)
{
	if (!l)
		return;
	/* clear the holder first: a reader never sees us named after we left */
	if (ftruncate(l->fd, 0) != 0)
		(void)0; /* the flock, released below, is what counts */
	lock_free(l);
}

void pd_lock_release_to(pd_lock *l, const pd_lockinfo *previous)
{
	char *record;

	if (!l)
		return;
	if (!previous || !previous->pid ||
	    !(record = record_text(previous->pid, previous->host, previous->since, previous->run_id))) {
		pd_lock_release(l);
		return;
	}
	cJSON_free(l->record);
	l->record = record;
	if (write_holder(l, -1) < 0 && ftruncate(l->fd, 0) != 0)
		(void)0; /* then it is cleared, as by pd_lock_release */
	lock_free(l);
}

int pd_run_lock_probe(pd_lockinfo *out, const char *packet_dir)
{
	char *path = pd_path_join(packet_dir, PD_STATE_DIR "/run.lock");

	memset(out, 0, sizeof(*out));
	if (!path)
		return pd_error_set(PD_ENOMEM, "out of memory");
	pd_lock_probe(out, path);
	free(path);
	return 0;
}

int pd_track_lock_take(pd_lock **out, const char *packet_dir, long track, const char *run_id,
		       pd_lockinfo *stale)
{
	char *path = pd_state_file(packet_dir, track, "lock");
	pd_lockinfo runner;
	int error;

	*out = NULL;
	if (stale)
		memset(stale, 0, sizeof(*stale));
	if (!path)
		return pd_error_set(PD_ENOMEM, "out of memory");
	if ((error = pd_lock_take(out, path, run_id, NULL, stale)) == 0 &&
	    (error = pd_run_lock_probe(&runner, packet_dir)) == 0) {
		if (runner.held && runner.has_track && runner.track == track) {
			char text[512];

			pd_lock_release(*out);
			*out = NULL;
			if (stale)
				pd_lockinfo_clear(stale);
			error = pd_error_set(PD_ELOCKED, "track %ld is being executed by the run of %s",
					     track, pd_lockinfo_text(&runner, text, sizeof(text)));
		}
		pd_lockinfo_clear(&runner);
	}
	free(path);
	return error;
}

int pd_track_claim(pd_lock *run, const char *packet_dir, long track)
{
	char *path = pd_state_file(packet_dir, track, "lock");
	pd_lockinfo holder;
	int error;

	if (!path)
		return pd_error_set(PD_ENOMEM, "out of memory");
	if ((error = write_holder(run, track)) == 0) {
		pd_lock_probe(&holder, path);
		if (holder.held) {
			char text[512];

			pd_track_unclaim(run);
			error = pd_error_set(PD_ELOCKED, "%s is held by %s", path,
					     pd_lockinfo_text(&holder, text, sizeof(text)));
		}
		pd_lockinfo_clear(&holder);
	}
	free(path);
	return error;
}

void pd_track_unclaim(pd_lock *run)
{
	if (run && write_holder(run, -1) < 0)
		(void)0; /* a record naming a finished track: its marker says complete */
}

int pd_lock_probe(pd_lockinfo *out, const char *lock_path)
{
	int fd;

	memset(out, 0, sizeof(*out));
	fd = open(lock_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return 0; /* no lock file: nobody holds it */
	if (flock(fd, LOCK_SH | LOCK_NB) != 0)
		out->held = errno == EWOULDBLOCK;
	else
		flock(fd, LOCK_UN);
	if (out->held)
		read_holder(fd, out);
	close(fd);
	return 0;
}

void pd_lockinfo_clear(pd_lockinfo *l)
{
	free(l->host);
	free(l->since);
	free(l->run_id);
	memset(l, 0, sizeof(*l));
}
