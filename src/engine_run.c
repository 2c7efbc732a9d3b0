/* engine_run.c - the engine's running track: start its runner, stream its
 * output to the log, turn checkpoint files into events, judge its exit. */
#define _GNU_SOURCE /* asprintf */
#include "engine_int.h"
#include "clock.h"
#include "packetdeck/exec.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/pathutil.h"
#include "packetdeck/state.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const pd_track *cur_track(const pd_engine *e)
{
	return &e->pd->manifest->tracks[e->cur];
}

static bool builtin(const pd_engine *e)
{
	return strcmp(e->o.runner, "builtin") == 0;
}

/* The runner's argv for the current track. */
static int runner_argv(pd_engine *e, char ***argv)
{
	const pd_track *t = cur_track(e);
	const char *template = pd_runner_preset(e->o.runner);
	char id[24];
	pd_template_var vars[] = {
		{"packet", t->packet_path},
		{"packet_dir", e->pd->manifest->dir_real},
		{"track", id},
		{"worktree", t->worktree_path},
		{"branch", t->branch},
		{"resume", e->o.resume && t->id != e->o.restart_track ? "--resume" : ""},
		{"self", e->o.self_exe ? e->o.self_exe : "packetdeck"},
	};

	snprintf(id, sizeof(id), "%ld", t->id);
	return pd_template_expand(argv, template ? template : e->o.runner, vars,
				  sizeof(vars) / sizeof(*vars));
}

/* "=== TIMESTAMP what ===" into the track's log. */
static void PD_PRINTF(2, 3) log_line(pd_engine *e, const char *fmt, ...)
{
	char line[1024], now[21];
	va_list ap;
	int n;

	if (e->log_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "=== %s ", pd_timestamp(now, time(NULL)));
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 8, fmt, ap);
	va_end(ap);
	n += snprintf(line + n, sizeof(line) - (size_t)n, " ===\n");
	if (write(e->log_fd, line, (size_t)n) < 0)
		(void)0; /* the log is for people; state lives in the marker files */
}

/* A checkpoint is reported (when `report`) and remembered. */
static void checkpoint_seen(pd_engine *e, const pd_checkpoint *c, bool report)
{
	if (report) {
		pd_event ev = PD_EVENT_INIT(PD_EV_CHECKPOINT);

		ev.track = cur_track(e)->id;
		ev.task = c->last_completed_task;
		ev.next_task = c->next_task;
		ev.commit = c->commit;
		pd_engine_emit(e, &ev);
	}
	snprintf(e->seen_task, sizeof(e->seen_task), "%s", c->last_completed_task);
	snprintf(e->seen_stamp, sizeof(e->seen_stamp), "%s", c->timestamp ? c->timestamp : "");
}

/* The checkpoint file as it is now, if it is another than the last one
 * seen (another task, or the same task at another time: a track done again
 * from its start). Of checkpoints written faster than we look, only the
 * last is seen: the built-in runner's status channel reports each one, and
 * the file then shows the one its last line reported. */
static void remember_checkpoint(pd_engine *e, bool report)
{
	pd_checkpoint c;

	if (pd_checkpoint_read(&c, e->pd->manifest->dir, cur_track(e)->id) < 0)
		return;
	if (c.state == PD_FILE_OK && (strcmp(c.last_completed_task, e->seen_task) != 0 ||
				      strncmp(c.timestamp ? c.timestamp : "", e->seen_stamp,
					      sizeof(e->seen_stamp) - 1) != 0))
		checkpoint_seen(e, &c, report);
	pd_checkpoint_clear(&c);
}

/* One line from the status channel: a checkpoint the runner made durable
 * (each is news, even of a task done before). */
static void status_line(void *ctx, const char *line, size_t len, bool cut)
{
	pd_engine *e = ctx;
	pd_checkpoint c;

	if (cut) {
		log_line(e, "ignored: a status line longer than %zu bytes", sizeof(e->status_buf));
		return;
	}
	if (pd_checkpoint_parse(&c, line, len, "the runner's status line", cur_track(e)->id) < 0)
		return;
	if (c.state == PD_FILE_OK)
		checkpoint_seen(e, &c, true);
	else
		log_line(e, "ignored: %s", c.problem ? c.problem : "a bad status line");
	pd_checkpoint_clear(&c);
}

static void drain_status(pd_engine *e)
{
	char buf[4096];
	ssize_t n;

	while (e->status_fd >= 0 && ((n = read(e->status_fd, buf, sizeof(buf))) > 0 ||
				     (n < 0 && errno == EINTR)))
		if (n > 0)
			pd_lines_feed(&e->status_lines, buf, (size_t)n, status_line, e);
}

/* The built-in runner's status channel: a pipe whose write end becomes
 * its fd 3, named in its environment. Returns the write end, or 0 when
 * there is none (then checkpoints are only seen in their file). */
static int open_status(pd_engine *e, char ***env)
{
	int p[2];
	size_t n = 0;
	char **more;

	if (!builtin(e) || pipe2(p, O_CLOEXEC) != 0)
		return 0;
	while ((*env)[n])
		n++;
	if (!(more = realloc(*env, (n + 2) * sizeof(*more))) || !(more[n] = strdup("PACKETDECK_STATUS_FD=3"))) {
		if (more)
			*env = more;
		close(p[0]);
		close(p[1]);
		return 0;
	}
	more[n + 1] = NULL;
	*env = more;
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	e->status_fd = p[0];
	e->status_lines = (pd_lines)PD_LINES_INIT(e->status_buf);
	return p[1];
}

void pd_engine_close_track(pd_engine *e)
{
	if (e->pidfd >= 0)
		close(e->pidfd);
	if (e->log_fd >= 0)
		close(e->log_fd);
	if (e->status_fd >= 0)
		close(e->status_fd);
	e->pidfd = e->log_fd = e->status_fd = -1;
	pd_lock_release(e->track_lock);
	e->track_lock = NULL;
}

void pd_engine_start_track(pd_engine *e)
{
	const pd_track *t = cur_track(e);
	pd_event ev = PD_EVENT_INIT(PD_EV_TRACK_STARTED);
	char *repo = pd_manifest_root(e->pd->manifest), **argv = NULL, **env = NULL, *lock = NULL;
	pd_spawn_options so;
	int error, status_w;

	ev.track = t->id;
	ev.runner = e->o.runner;
	pd_engine_emit(e, &ev);
	e->seen_task[0] = e->seen_stamp[0] = e->last_line[0] = '\0';
	e->out_lines = (pd_lines)PD_LINES_INIT(e->out_buf);
	remember_checkpoint(e, false);
	/* every runner gets its worktree prepared, not only the built-in one */
	if (!repo || pd_worktree_prepare(repo, t->worktree_path, t->branch,
					 e->pd->manifest->shared_setup_commit, NULL) < 0) {
		pd_engine_failed(e, NULL, repo ? pd_error_last() : "out of memory", 0, true);
		goto done;
	}
	if (!builtin(e)) {
		/* an agent cannot take the lock: hold it for it */
		pd_lockinfo holder;

		lock = pd_state_file(e->pd->manifest->dir, t->id, "lock");
		if (!lock || pd_lock_take(&e->track_lock, lock, e->run_id, &holder, NULL) < 0) {
			pd_lockinfo_clear(&holder);
			pd_engine_failed(e, NULL, pd_error_last(), 0, false);
			goto done;
		}
	}
	if ((error = runner_argv(e, &argv)) < 0 || !(env = pd_track_env(e->pd->manifest, t, e->run_id, NULL))) {
		pd_engine_failed(e, NULL, error < 0 ? pd_error_last() : "out of memory", 0, false);
		goto done;
	}
	e->log_fd = -1;
	{
		int fd = open(e->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char name[64];

		snprintf(name, sizeof(name), "track-%ld.log", t->id);
		if (fd >= 0) {
			e->log_fd = openat(fd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
					   0644);
			close(fd);
		}
	}
	log_line(e, "packetdeck run %s: track %ld started (runner: %s)", e->run_id, t->id,
		 e->o.runner);
	status_w = open_status(e, &env); /* first: it may move env */
	so = (pd_spawn_options){.argv = argv, .cwd = t->worktree_path, .env = env, .output_fd = -1,
				.status_fd = status_w};
	error = pd_child_spawn(&e->child, &so);
	if (status_w > 0)
		close(status_w); /* the runner holds it now: EOF when it is gone */
	if (error < 0) {
		log_line(e, "%s", pd_error_last());
		pd_engine_close_track(e);
		pd_engine_failed(e, NULL, pd_error_last(), 127, true);
		goto done;
	}
	e->pidfd = (int)syscall(SYS_pidfd_open, pd_child_pid(e->child), 0);
	pd_watch_drain(e->watch); /* what happened before this track is not its news */
	e->st = ST_RUNNING;
done:
	pd_argv_free(argv);
	pd_argv_free(env);
	free(repo);
	free(lock);
}

/* Keep the last complete, non-blank line of output, for failure messages
 * (control characters left out). */
static void output_line(void *ctx, const char *line, size_t len, bool cut)
{
	pd_engine *e = ctx;
	char shown[sizeof(e->last_line)];
	size_t i, k = 0;

	(void)cut; /* its start is enough */
	for (i = 0; i < len && k + 1 < sizeof(shown); i++)
		if ((unsigned char)line[i] >= 0x20)
			shown[k++] = line[i];
	shown[k] = '\0';
	if (strspn(shown, " ") < k)
		memcpy(e->last_line, shown, k + 1);
}

void pd_engine_drain_output(pd_engine *e)
{
	char buf[65536];
	ssize_t n;
	int fd = e->child ? pd_child_output_fd(e->child) : -1;

	while (fd >= 0 && ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))) {
		if (n <= 0)
			continue;
		pd_lines_feed(&e->out_lines, buf, (size_t)n, output_line, e);
		if (e->log_fd >= 0 && write(e->log_fd, buf, (size_t)n) < 0)
			(void)0;
		if (e->o.on_output)
			e->o.on_output(e->o.ctx, cur_track(e)->id, buf, (size_t)n);
	}
	drain_status(e);
}

/* The runner exited: the marker decides. */
static void track_ended(pd_engine *e, int ws)
{
	const pd_track *t = cur_track(e);
	char how[64], msg[600];
	pd_marker m;

	remember_checkpoint(e, true);
	log_line(e, "runner ended: %s", pd_wait_status_text(ws, how));
	pd_engine_close_track(e);
	pd_marker_read(&m, e->pd->manifest->dir, t->id);
	if (m.state == PD_FILE_OK) {
		pd_event ev = PD_EVENT_INIT(PD_EV_TRACK_COMPLETED);

		e->completed++;
		ev.track = t->id;
		ev.commit = m.commit;
		pd_engine_emit(e, &ev);
		pd_marker_clear(&m);
		if (e->k + 1 < e->norder && e->completed < e->pd->manifest->ntracks) {
			pd_event h = PD_EVENT_INIT(PD_EV_HANDOFF_SUGGESTED);

			h.completed = e->completed;
			h.total = e->pd->manifest->ntracks;
			pd_engine_emit(e, &h);
			e->st = ST_HANDOFF;
		} else {
			e->k++;
			e->st = ST_NEXT;
			pd_engine_advance(e);
		}
		return;
	}
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
		snprintf(msg, sizeof(msg), "the runner exited 0 without a valid %s (protocol "
					   "violation: re-run the track)%s%s",
			 "completion marker", m.problem ? ": " : "", m.problem ? m.problem : "");
		pd_marker_clear(&m);
		pd_engine_failed(e, NULL, msg, 0, true);
		return;
	}
	pd_marker_clear(&m);
	if (builtin(e) && WIFEXITED(ws) && WEXITSTATUS(ws) == 1) {
		/* the built-in runner leaves its own failure record: report it */
		pd_failure f;
		bool mine = pd_failure_read(&f, e->pd->manifest->dir, t->id) == 0 && f.state == PD_FILE_OK;

		if (mine) {
			snprintf(msg, sizeof(msg), "%s", f.message);
			snprintf(how, sizeof(how), "%s", f.task ? f.task : "");
		}
		pd_failure_clear(&f);
		if (mine) {
			pd_engine_failed(e, how[0] ? how : NULL, msg, 1, false);
			return;
		}
	}
	if (e->last_line[0])
		snprintf(msg, sizeof(msg), "the runner failed (%s): %s (the whole output: %s/track-%ld.log)",
			 pd_wait_status_text(ws, how), e->last_line, e->state_dir, t->id);
	else
		snprintf(msg, sizeof(msg), "the runner failed (%s) without output", pd_wait_status_text(ws, how));
	pd_engine_failed(e, NULL, msg, WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws), true);
}

size_t pd_engine_pollfds(pd_engine *e, struct pollfd *fds, int *timeout_ms)
{
	size_t n = 0;

	*timeout_ms = -1;
	if (e->st == ST_RUNNING) {
		fds[n++] = (struct pollfd){pd_child_output_fd(e->child), POLLIN, 0};
		if (e->status_fd >= 0)
			fds[n++] = (struct pollfd){e->status_fd, POLLIN, 0};
		if (e->pidfd >= 0)
			fds[n++] = (struct pollfd){e->pidfd, POLLIN, 0};
		else
			*timeout_ms = 100; /* no pidfd: look for the exit now and then */
		if (e->watch && pd_watch_fd(e->watch) >= 0)
			fds[n++] = (struct pollfd){pd_watch_fd(e->watch), POLLIN, 0};
		else if (*timeout_ms < 0 || *timeout_ms > 1000)
			*timeout_ms = 1000; /* no inotify: rescan for checkpoints */
	} else if (e->st == ST_WAITING) {
		long now = pd_now_ms();

		if (e->watch && pd_watch_fd(e->watch) >= 0)
			fds[n++] = (struct pollfd){pd_watch_fd(e->watch), POLLIN, 0};
		*timeout_ms = (int)((e->next_poll < e->wait_deadline ? e->next_poll : e->wait_deadline) - now);
		if (*timeout_ms < 0)
			*timeout_ms = 0;
	} else if (e->st == ST_NEXT) {
		*timeout_ms = 0;
	}
	return n;
}

int pd_engine_handle(pd_engine *e, const struct pollfd *fds, size_t n)
{
	bool changed = false;
	size_t i;
	int ws;

	for (i = 0; i < n; i++)
		if (e->watch && fds[i].fd == pd_watch_fd(e->watch) && (fds[i].revents & POLLIN))
			changed = pd_watch_drain(e->watch) || changed;
	if (e->st == ST_WAITING) {
		pd_engine_wait_tick(e, changed);
		return 0;
	}
	if (e->st == ST_NEXT) {
		pd_engine_advance(e);
		return 0;
	}
	if (e->st != ST_RUNNING)
		return 0;
	pd_engine_drain_output(e);
	if (e->status_fd < 0)
		remember_checkpoint(e, true); /* else the status channel reports them */
	if (pd_child_wait(e->child, false, &ws) == 1) {
		pd_engine_end_child(e);
		track_ended(e, ws);
	}
	return 0;
}
