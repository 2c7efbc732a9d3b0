/* engine_run.c - the engine's running track: what every runner shares
 * (its log, its output, its deadlines, its completion) and the runner that
 * is a process (an agent or a template): start it, read its output (an
 * agent's through its stream reader), turn checkpoint files into events,
 * stop it past its timeouts, judge its exit (verify.h; explain.h says why
 * an agent's track failed). The built-in runner is engine_builtin.c. */
#define _GNU_SOURCE /* asprintf */
#include "engine_int.h"
#include "clock.h"
#include "packetdeck/exec.h"
#include "packetdeck/explain.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/pathutil.h"
#include "packetdeck/state.h"
#include "packetdeck/verify.h"

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

bool pd_engine_resuming(const pd_engine *e)
{
	return e->resume_cur || (e->o.resume && cur_track(e)->id != e->o.restart_track);
}

/* The runner's argv for the current track, whose worktree is `w`; `c`
 * is the checkpoint it resumes from (state ABSENT when it starts over). */
static int runner_argv(pd_engine *e, const pd_worktree_info *w, const pd_checkpoint *c, char ***argv)
{
	const pd_track *t = cur_track(e);
	char id[24], *prompt = NULL;
	int error;

	/* where an agent starts: the checkpoint's next task when resuming */
	if (!(prompt = pd_agent_prompt(e->pd, e->cur, c->state == PD_FILE_OK ? (c->next_task ? c->next_task : "")
									     : NULL)))
		return pd_error_set(PD_ENOMEM, "out of memory");
	{
		pd_runner_vars v = {
			.packet = t->packet_path,
			.packet_dir = e->pd->manifest->dir_real,
			.track = id,
			.worktree = t->worktree_path,
			.branch = t->branch,
			.resume = pd_engine_resuming(e) ? "--resume" : "",
			.prompt = prompt,
			.git_dir = w->git_dir ? w->git_dir : t->worktree_path,
			.git_common_dir = w->common_dir ? w->common_dir : t->worktree_path,
			.self = e->o.self_exe ? e->o.self_exe : "packetdeck",
		};

		snprintf(id, sizeof(id), "%ld", t->id);
		error = pd_runner_argv(argv, e->o.runner, &v);
	}
	free(prompt);
	return error;
}

/* Record where the branch is as the track starts (`head`), for the check
 * that an agent's branch advanced. A resumed track keeps the start of the
 * attempt it resumes (`c`, its checkpoint): its earlier commits count. */
static int record_start(pd_engine *e, const char *head, const pd_checkpoint *c)
{
	const pd_track *t = cur_track(e);
	pd_start st;
	bool keep = false;

	if (c->state == PD_FILE_OK) {
		keep = pd_start_read(&st, e->pd->manifest->dir, t->id) == 0 && st.state == PD_FILE_OK &&
		       strcmp(st.branch, t->branch) == 0;
		pd_start_clear(&st);
	}
	return keep ? 0 : pd_start_write(e->pd->manifest->dir, t->id, t->branch, *head ? head : NULL,
					e->o.runner);
}

/* The track's log, opened to append, or -1. */
static int open_log(const pd_engine *e, long track)
{
	int dir = open(e->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1;
	char name[64];

	snprintf(name, sizeof(name), "track-%ld.log", track);
	if (dir >= 0) {
		fd = openat(dir, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
		close(dir);
	}
	return fd;
}

static void log_write(int fd, const char *s, size_t n)
{
	if (write(fd, s, n) < 0)
		(void)0; /* the log is for people; state lives in the marker files */
}

/* The log made, if it is not yet, with the lines held for it. Open until
 * the track is closed; made after that (a failure said once the runner is
 * gone), it is closed at once. */
void pd_engine_log_keep(pd_engine *e)
{
	if (e->log_fd >= 0 || e->log_held_len == 0)
		return;
	if ((e->log_fd = open_log(e, cur_track(e)->id)) >= 0)
		log_write(e->log_fd, e->log_held, e->log_held_len);
	e->log_held_len = 0;
	if (!e->track_open && e->log_fd >= 0) {
		close(e->log_fd);
		e->log_fd = -1;
	}
}

void pd_engine_log(pd_engine *e, const char *fmt, ...)
{
	char line[1024], now[21];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "=== %s ", pd_timestamp(now, time(NULL)));
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 8, fmt, ap);
	va_end(ap);
	n += snprintf(line + n, sizeof(line) - (size_t)n, " ===\n");
	if (e->log_fd < 0 && e->log_held_len + (size_t)n <= sizeof(e->log_held)) {
		memcpy(e->log_held + e->log_held_len, line, (size_t)n);
		e->log_held_len += (size_t)n;
		return;
	}
	pd_engine_log_keep(e); /* full: the file is made */
	if (e->log_fd >= 0) {
		log_write(e->log_fd, line, (size_t)n);
	} else {
		memcpy(e->log_held, line, (size_t)n); /* fits: n < sizeof(line) */
		e->log_held_len = (size_t)n;
	}
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
	e->progress_ms = pd_now_ms();
	snprintf(e->seen_task, sizeof(e->seen_task), "%s", c->last_completed_task);
	snprintf(e->seen_stamp, sizeof(e->seen_stamp), "%s", c->timestamp ? c->timestamp : "");
}

/* The checkpoint file as it is now, if it is another than the last one
 * seen (another task, or the same task at another time: a track done again
 * from its start). Of checkpoints written faster than we look, only the
 * last is seen. */
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

void pd_engine_close_track(pd_engine *e)
{
	if (e->pidfd >= 0)
		close(e->pidfd);
	if (e->log_fd >= 0)
		close(e->log_fd);
	if (e->out_fd >= 0 && !e->child)
		close(e->out_fd); /* a child's is its own */
	if (e->out_w >= 0)
		close(e->out_w);
	e->pidfd = e->log_fd = e->out_fd = e->out_w = -1;
	e->track_open = false;
	pd_lock_release(e->track_lock);
	e->track_lock = NULL;
}

/* An agent's output is read by its stream reader, in lines of up to this. */
#define AGENT_LINE_MAX (1u << 20)

void pd_engine_start_track(pd_engine *e)
{
	const pd_track *t = cur_track(e);
	pd_event ev = PD_EVENT_INIT(PD_EV_TRACK_STARTED);

	ev.track = t->id;
	ev.runner = e->o.runner;
	pd_engine_emit(e, &ev);
	e->last_line[0] = e->stopped_why[0] = '\0';
	e->out_lines = (pd_lines)PD_LINES_INIT(e->out_buf);
	e->log_held_len = 0;
	e->track_open = true;
	pd_engine_log(e, "packetdeck run %s: track %ld started (runner: %s)", e->run_id, t->id,
		      e->preset ? e->preset->name : e->o.runner);
	e->started_ms = e->progress_ms = pd_now_ms();
	e->runner->start(e);
}

static void process_start(pd_engine *e)
{
	const pd_track *t = cur_track(e);
	char *repo = pd_manifest_root(e->pd->manifest), **argv = NULL, **env = NULL;
	/* a Claude Code session's marker: claude refuses to start inside one */
	char *const unset[] = {"CLAUDECODE", NULL};
	pd_worktree_info w;
	pd_checkpoint from; /* what a resumed attempt starts after */
	pd_spawn_options so;
	int error;

	memset(&w, 0, sizeof(w));
	memset(&from, 0, sizeof(from));
	/* an agent cannot take the track's lock: hold it for it, before anything is written */
	if ((error = pd_track_lock_take(&e->track_lock, e->pd->manifest->dir, t->id, e->run_id,
				       NULL)) == PD_ELOCKED) {
		pd_engine_held_elsewhere(e);
		goto done;
	}
	if (error < 0) {
		pd_engine_close_track(e);
		pd_engine_failed(e, NULL, pd_error_last(), 0, false);
		goto done;
	}
	pd_limit_remove(e->pd->manifest->dir, t->id); /* limited no more: it runs */
	e->seen_task[0] = e->seen_stamp[0] = '\0';
	remember_checkpoint(e, false);
	/* every runner gets its worktree prepared, not only the built-in one */
	if (!repo || pd_worktree_prepare(repo, t->worktree_path, t->branch,
					 e->pd->manifest->shared_setup_commit, &w) < 0) {
		pd_engine_close_track(e);
		pd_engine_failed(e, NULL, repo ? pd_error_last() : "out of memory", 0, true);
		goto done;
	}
	if (pd_engine_resuming(e) && pd_checkpoint_read(&from, e->pd->manifest->dir, t->id) < 0) {
		pd_engine_close_track(e);
		pd_engine_failed(e, NULL, "out of memory", 0, false);
		goto done;
	}
	if (record_start(e, w.head, &from) < 0) {
		pd_engine_close_track(e);
		pd_engine_failed(e, NULL, pd_error_last(), 0, true);
		goto done;
	}
	{
		/* read what the agent says */
		if (!e->agent_buf && !(e->agent_buf = malloc(AGENT_LINE_MAX))) {
			pd_engine_close_track(e);
			pd_engine_failed(e, NULL, "out of memory", 0, false);
			goto done;
		}
		e->agent_lines = (pd_lines){e->agent_buf, AGENT_LINE_MAX, 0, false};
		pd_agent_stream_free(e->stream);
		e->stream = NULL;
		memset(e->usage_seen, 0, sizeof(e->usage_seen));
		e->cost_seen = false;
		if (pd_agent_stream_new(&e->stream, e->preset ? e->preset->stream : PD_AGENT_AUTO) < 0) {
			pd_engine_close_track(e);
			pd_engine_failed(e, NULL, pd_error_last(), 0, false);
			goto done;
		}
	}
	if ((error = runner_argv(e, &w, &from, &argv)) < 0 || !(env = pd_track_env(e->pd->manifest, t, e->run_id, NULL))) {
		pd_engine_close_track(e);
		pd_engine_failed(e, NULL, error < 0 ? pd_error_last() : "out of memory", 0, false);
		goto done;
	}
	so = (pd_spawn_options){.argv = argv, .cwd = t->worktree_path, .env = env, .unset = unset,
				.output_fd = -1};
	if ((error = pd_child_spawn(&e->child, &so)) < 0) {
		char msg[600];

		/* a program that is not there says how to get it */
		snprintf(msg, sizeof(msg), "%s", pd_error_last());
		if (pd_preset_check(e->o.runner) == PD_ENOTFOUND)
			snprintf(msg, sizeof(msg), "%s", pd_error_last());
		pd_engine_log(e, "%s", msg);
		pd_engine_close_track(e);
		pd_engine_failed(e, NULL, msg, 127, true);
		goto done;
	}
	e->out_fd = pd_child_output_fd(e->child);
	e->pidfd = (int)syscall(SYS_pidfd_open, pd_child_pid(e->child), 0);
	pd_watch_drain(e->watch); /* what happened before this track is not its news */
	e->started_ms = e->progress_ms = pd_now_ms();
	e->st = ST_RUNNING;
done:
	pd_checkpoint_clear(&from);
	pd_worktree_info_clear(&w);
	pd_argv_free(argv);
	pd_argv_free(env);
	free(repo);
}

/* agent_usage when the agent's counts moved. */
static void usage_changed(pd_engine *e)
{
	const pd_agent_summary *s = pd_agent_stream_summary(e->stream);
	pd_event ev = PD_EVENT_INIT(PD_EV_AGENT_USAGE);

	if (s->turns == e->usage_seen[0] && s->input_tokens == e->usage_seen[1] &&
	    s->output_tokens == e->usage_seen[2] && s->has_cost == e->cost_seen)
		return;
	e->usage_seen[0] = s->turns;
	e->usage_seen[1] = s->input_tokens;
	e->usage_seen[2] = s->output_tokens;
	e->cost_seen = s->has_cost;
	ev.track = cur_track(e)->id;
	ev.turns = s->turns;
	ev.input_tokens = s->input_tokens;
	ev.output_tokens = s->output_tokens;
	ev.cost_usd = s->cost_usd;
	ev.has_cost = s->has_cost;
	pd_engine_emit(e, &ev);
}

/* One line of an agent's output, through its stream reader: what is not
 * an error (a reconnect, a retry) is progress. */
static void agent_line(void *ctx, const char *line, size_t len, bool cut)
{
	pd_engine *e = ctx;
	pd_agent_activity act;

	if (pd_agent_stream_feed(e->stream, line, len, cut, time(NULL), &act) < 0)
		return;
	if (act.kind != PD_ACT_ERROR && (len > 0 || cut))
		e->progress_ms = pd_now_ms();
	if (!act.structured && e->o.on_output) {
		/* text: shown as it came, a line at a time */
		e->o.on_output(e->o.ctx, cur_track(e)->id, line, len);
		e->o.on_output(e->o.ctx, cur_track(e)->id, "\n", 1);
	}
	if (act.kind != PD_ACT_NONE && act.kind != PD_ACT_DONE) {
		static const char *const kinds[] = {[PD_ACT_TOOL] = "tool", [PD_ACT_RESULT] = "result",
						    [PD_ACT_MESSAGE] = "message", [PD_ACT_ERROR] = "error"};
		pd_event ev = PD_EVENT_INIT(PD_EV_AGENT_ACTIVITY);

		ev.track = cur_track(e)->id;
		ev.kind = kinds[act.kind];
		ev.tool = act.tool;
		ev.summary = act.summary;
		ev.exit_code = act.exit_code;
		ev.is_error = act.is_error;
		pd_engine_emit(e, &ev);
	}
	usage_changed(e);
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
	int fd = e->out_fd;

	while (fd >= 0 && ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))) {
		if (n <= 0)
			continue;
		pd_lines_feed(&e->out_lines, buf, (size_t)n, output_line, e);
		pd_engine_log_keep(e);
		if (e->log_fd >= 0)
			log_write(e->log_fd, buf, (size_t)n);
		if (e->stream) {
			pd_lines_feed(&e->agent_lines, buf, (size_t)n, agent_line, e);
		} else {
			e->progress_ms = pd_now_ms();
			if (e->o.on_output)
				e->o.on_output(e->o.ctx, cur_track(e)->id, buf, (size_t)n);
		}
	}
}

void pd_engine_completed(pd_engine *e, const pd_marker *m)
{
	pd_event ev = PD_EVENT_INIT(PD_EV_TRACK_COMPLETED);

	e->completed++;
	e->known_complete[e->cur] = true;
	ev.track = cur_track(e)->id;
	ev.commit = m->commit;
	pd_engine_emit(e, &ev);
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
}

/* Append the agent's last words and its log's path to a failure message. */
static void explain_said(pd_engine *e, char *msg, size_t cap)
{
	char *log = pd_state_file(e->pd->manifest->dir, cur_track(e)->id, "log");
	pd_explain_input in = {.runner = e->o.runner,
			       .preset = e->preset,
			       .said = e->stream ? pd_agent_stream_summary(e->stream) : NULL,
			       .log_path = log};

	pd_explain_said(&in, msg, cap);
	free(log);
}

/* An agent claims completion: its branch must have advanced since the
 * track started. Returns true if it did (or there is nothing to check
 * against); else fails the track, the failure record refuting the marker. */
static bool advanced(pd_engine *e)
{
	const pd_track *t = cur_track(e);
	char msg[1400];
	pd_start st;
	bool moved = true;

	if (pd_start_read(&st, e->pd->manifest->dir, t->id) < 0 || st.state != PD_FILE_OK ||
	    pd_verify_advanced(e->pd->verifier, t, st.commit, &moved) < 0)
		moved = true; /* no record or no repository: nothing to hold it to */
	if (!moved) {
		snprintf(msg, sizeof(msg), "track %ld claims completion but branch %s has no commit since "
					   "it started at %.7s",
			 t->id, t->branch, st.commit ? st.commit : "(no commit)");
		explain_said(e, msg, sizeof(msg));
		pd_engine_failed_hint(e, NULL, msg,
				      "the agent must commit its work before it writes the marker; packetdeck "
				      "never touches the marker: run the track again",
				      0, true);
	}
	pd_start_clear(&st);
	return moved;
}

/* The runner exited: the marker decides, verified. */
static void track_ended(pd_engine *e, int ws)
{
	const pd_track *t = cur_track(e);
	char how[64], msg[1200], hint[600], *log = NULL;
	pd_marker m;
	bool complete = false, refuted = false;

	remember_checkpoint(e, true);
	pd_engine_log(e, "runner ended: %s", pd_wait_status_text(ws, how));
	pd_engine_close_track(e);
	if (pd_track_verified(e->pd->verifier, e->pd->manifest, t, &m, &complete) < 0) {
		pd_marker_clear(&m);
		pd_engine_failed(e, NULL, pd_error_last(), 0, false);
		return;
	}
	refuted = m.state == PD_FILE_OK && !complete;
	if (complete) {
		/* the marker is the truth, also of a runner stopped as it lingered */
		if (advanced(e))
			pd_engine_completed(e, &m);
		pd_marker_clear(&m);
		return;
	}
	if (!e->stopped_why[0] && pd_engine_limit_hit(e)) {
		pd_marker_clear(&m);
		return;
	}
	hint[0] = '\0';
	if (e->stopped_why[0]) {
		snprintf(msg, sizeof(msg), "%s", e->stopped_why);
		explain_said(e, msg, sizeof(msg));
	} else {
		pd_explain_input in = {e->o.runner, e->preset, e->stream ? pd_agent_stream_summary(e->stream) : NULL,
				       ws, &m, refuted, NULL};

		log = pd_state_file(e->pd->manifest->dir, t->id, "log");
		in.log_path = log;
		pd_explain_failure(&in, msg, sizeof(msg), hint, sizeof(hint));
	}
	pd_marker_clear(&m);
	free(log);
	pd_engine_failed_hint(e, NULL, msg, hint, WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws), true);
}

/* The runner's deadlines (monotonic ms; 0: none): no progress, the whole track. */
static long idle_deadline(const pd_engine *e)
{
	return !e->o.idle_timeout_s ? 0 : e->progress_ms + (long)e->o.idle_timeout_s * 1000L;
}

long pd_engine_track_deadline(const pd_engine *e)
{
	return e->o.track_timeout_s ? e->started_ms + (long)e->o.track_timeout_s * 1000L : 0;
}

/* "1h30m", "25m00s", "40s" */
static const char *span(char buf[32], unsigned s)
{
	if (s >= 3600)
		snprintf(buf, 32, "%uh%02um", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(buf, 32, "%um%02us", s / 60, s % 60);
	else
		snprintf(buf, 32, "%us", s);
	return buf;
}

bool pd_engine_deadline_passed(pd_engine *e)
{
	long now = pd_now_ms(), idle = idle_deadline(e), whole = pd_engine_track_deadline(e);
	const pd_agent_summary *said = e->stream ? pd_agent_stream_summary(e->stream) : NULL;
	char a[32];

	if (e->stopped_why[0])
		return false; /* stopped already */
	if (whole && now >= whole)
		snprintf(e->stopped_why, sizeof(e->stopped_why), "stopped after --track-timeout %s",
			 span(a, e->o.track_timeout_s));
	else if (idle && now >= idle)
		snprintf(e->stopped_why, sizeof(e->stopped_why),
			 "stopped after %s without progress (--idle-timeout: no output, no checkpoint%s%.100s)",
			 span(a, e->o.idle_timeout_s), said && said->last_error ? "; last error: " : "",
			 said && said->last_error ? said->last_error : "");
	else
		return false;
	pd_engine_log(e, "%s", e->stopped_why);
	return true;
}

void pd_engine_timeout_at(int *timeout_ms, long due)
{
	long left;

	if (!due)
		return;
	left = due - pd_now_ms();
	left = left < 0 ? 0 : left + 1;
	if (*timeout_ms < 0 || left < *timeout_ms)
		*timeout_ms = (int)(left > 0x7fffffff ? 0x7fffffff : left);
}

static size_t process_pollfds(pd_engine *e, struct pollfd *fds, int *timeout_ms)
{
	size_t n = 0;

	fds[n++] = (struct pollfd){e->out_fd, POLLIN, 0};
	if (e->pidfd >= 0)
		fds[n++] = (struct pollfd){e->pidfd, POLLIN, 0};
	else
		*timeout_ms = 100; /* no pidfd: look for the exit now and then */
	if (e->watch && pd_watch_fd(e->watch) >= 0)
		fds[n++] = (struct pollfd){pd_watch_fd(e->watch), POLLIN, 0};
	else if (*timeout_ms < 0 || *timeout_ms > 1000)
		*timeout_ms = 1000; /* no inotify: rescan for checkpoints */
	pd_engine_timeout_at(timeout_ms, idle_deadline(e));
	pd_engine_timeout_at(timeout_ms, pd_engine_track_deadline(e));
	return n;
}

static void process_handle(pd_engine *e, bool changed)
{
	int ws;

	(void)changed; /* the checkpoint file is looked at each time */
	pd_engine_drain_output(e);
	remember_checkpoint(e, true);
	if (pd_child_wait(e->child, false, &ws) == 0 && pd_engine_deadline_passed(e))
		pd_child_stop(e->child, e->o.grace_ms);
	if (pd_child_wait(e->child, false, &ws) == 1) {
		pd_engine_end_child(e);
		track_ended(e, ws);
	}
}

static void process_stop(pd_engine *e)
{
	if (!e->child)
		return;
	pd_child_stop(e->child, e->o.grace_ms);
	pd_engine_end_child(e);
}

const engine_runner pd_engine_process = {"process", process_start, process_pollfds, process_handle,
					 process_stop};

size_t pd_engine_pollfds(pd_engine *e, struct pollfd *fds, int *timeout_ms)
{
	size_t n = 0;

	*timeout_ms = -1;
	if (e->st == ST_RUNNING) {
		n = e->runner->pollfds(e, fds, timeout_ms);
	} else if (e->st == ST_WAITING) {
		long now = pd_now_ms();

		if (e->watch && pd_watch_fd(e->watch) >= 0)
			fds[n++] = (struct pollfd){pd_watch_fd(e->watch), POLLIN, 0};
		*timeout_ms = (int)((e->next_poll < e->wait_deadline ? e->next_poll : e->wait_deadline) - now);
		if (*timeout_ms < 0)
			*timeout_ms = 0;
	} else if (e->st == ST_NEXT) {
		*timeout_ms = 0;
	} else if (e->st == ST_LIMITED) {
		*timeout_ms = pd_engine_limit_timeout(e);
	}
	return n;
}

int pd_engine_handle(pd_engine *e, const struct pollfd *fds, size_t n)
{
	bool changed = false;
	size_t i;

	for (i = 0; i < n; i++)
		if (e->watch && fds[i].fd == pd_watch_fd(e->watch) && (fds[i].revents & POLLIN))
			changed = pd_watch_drain(e->watch) || changed;
	if (e->st == ST_WAITING)
		pd_engine_wait_tick(e, changed);
	else if (e->st == ST_NEXT)
		pd_engine_advance(e);
	else if (e->st == ST_LIMITED)
		pd_engine_limit_tick(e);
	else if (e->st == ST_RUNNING)
		e->runner->handle(e, changed);
	return 0;
}
