/* exec.c - the built-in runner: one track's tasks, checkpoints, marker (exec.h).
 *
 * Not here: the dependency gate (gate.c), which track comes next (the
 * sequential engine), printing (front ends, through events).
 */
#define _GNU_SOURCE /* asprintf, pidfd via syscall */
#include "packetdeck/exec.h"
#include "packetdeck/fsio.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/lock.h"
#include "packetdeck/pathutil.h"
#include "packetdeck/runner.h"
#include "packetdeck/state.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct exec {
	const pd_pktdir *pd;
	const pd_track *t;
	const pd_packet *p;
	const pd_exec_options *o;
	pd_exec_result *res;
	char synced[41]; /* the last HEAD made durable (syncfs) by this run */
} exec;

/* Make the commit `head` durable before a file names it: sync the
 * worktree's filesystem, unless this very commit was synced already. */
static int sync_head(exec *x, const char *head)
{
	int error;

	if (head[0] && strcmp(head, x->synced) == 0)
		return 0;
	if ((error = pd_sync_fs(x->t->worktree_path)) < 0)
		return error;
	snprintf(x->synced, sizeof(x->synced), "%s", head);
	return 0;
}

static void emit(const exec *x, pd_event *e)
{
	e->track = x->t->id;
	if (x->o->on_event)
		x->o->on_event(x->o->ctx, e);
}

static void PD_PRINTF(4, 5) fail(exec *x, const char *task, int status, const char *fmt, ...)
{
	va_list ap;
	pd_event e = PD_EVENT_INIT(PD_EV_TRACK_FAILED);

	x->res->outcome = PD_EXEC_FAILED;
	x->res->exit_status = status;
	snprintf(x->res->task, sizeof(x->res->task), "%s", task ? task : "");
	va_start(ap, fmt);
	vsnprintf(x->res->message, sizeof(x->res->message), fmt, ap);
	va_end(ap);
	pd_failure_write(x->pd->manifest->dir, x->t->id, task, x->res->message, NULL, status, NULL);
	e.task = task;
	e.message = x->res->message;
	e.exit_status = status;
	emit(x, &e);
}

/* Wait for the command, or for stop_fd. 1: exited (*ws set); 0: stopped. */
static int wait_or_stop(exec *x, pd_child *c, int *ws)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pd_child_pid(c), 0);

	for (;;) {
		struct pollfd fds[2] = {{pidfd, POLLIN, 0}, {x->o->stop_fd, POLLIN, 0}};
		int r;

		if (pd_child_wait(c, false, ws) == 1)
			break;
		/* without pidfd (old kernels), look again every 100 ms */
		r = poll(fds, 2, pidfd >= 0 ? -1 : 100);
		if (r > 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
			*ws = pd_child_stop(c, x->o->grace_ms);
			if (pidfd >= 0)
				close(pidfd);
			return 0;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return 1;
}

/* Run one command; 1 passed, 0 failed (recorded), -1 stopped. */
static int run_command(exec *x, const pd_task *task, size_t k, char *const *env)
{
	char *argv[] = {"/bin/sh", "-c", task->commands[k], NULL};
	pd_spawn_options so = {.argv = argv, .cwd = x->t->worktree_path, .env = env,
			       .output_fd = x->o->output_fd};
	char what[64], shown[80];
	pd_child *c = NULL;
	int ws = 0, error;

	if ((error = pd_child_spawn(&c, &so)) < 0) {
		fail(x, task->id, 127, "%s", pd_error_last());
		return 0;
	}
	if (!wait_or_stop(x, c, &ws)) {
		pd_child_free(c);
		x->res->outcome = PD_EXEC_INTERRUPTED;
		snprintf(x->res->task, sizeof(x->res->task), "%s", task->id);
		snprintf(x->res->message, sizeof(x->res->message), "stopped during task %s", task->id);
		return -1;
	}
	pd_child_free(c);
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		return 1;
	/* name the command by its first line, shortened */
	snprintf(shown, sizeof(shown), "%.*s%s", (int)strcspn(task->commands[k], "\n") > 60 ? 60
		 : (int)strcspn(task->commands[k], "\n"),
		 task->commands[k], strcspn(task->commands[k], "\n") > 60 ? "..." : "");
	fail(x, task->id, WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws),
	     "`%s` (line %u) failed with %s", shown, task->command_lines[k],
	     pd_wait_status_text(ws, what));
	return 0;
}

/* Tell the status channel, if any, of a durable checkpoint. A reader gone
 * away is no failure of the track: the file holds the truth. */
static void tell_status(exec *x, const char *task, const char *next, const char *commit,
			const char *when)
{
	char *text = x->o->status_fd >= 0 ? pd_checkpoint_text(x->t->id, task, next, commit, when) : NULL;
	size_t len;

	if (!text)
		return;
	len = strlen(text);
	text[len] = '\n'; /* over the NUL: written as one line, not as a string */
	if (write(x->o->status_fd, text, len + 1) < 0)
		(void)0;
	free(text);
}

/* Checkpoint after task i: HEAD made durable first, then the file. */
static int checkpoint(exec *x, size_t i)
{
	pd_worktree_info w;
	const char *next = i + 1 < x->p->ntasks ? x->p->tasks[i + 1].id : NULL;
	pd_event e = PD_EVENT_INIT(PD_EV_CHECKPOINT);
	char now[21];
	int error;

	pd_timestamp(now, time(NULL));
	if ((error = pd_worktree_inspect(&w, x->t->worktree_path)) < 0 ||
	    (error = sync_head(x, w.head)) < 0 ||
	    (error = pd_checkpoint_write(x->pd->manifest->dir, x->t->id, x->p->tasks[i].id, next,
					 w.head[0] ? w.head : NULL, now)) < 0) {
		fail(x, x->p->tasks[i].id, 0, "cannot write the checkpoint: %s", pd_error_last());
		pd_worktree_info_clear(&w);
		return error;
	}
	tell_status(x, x->p->tasks[i].id, next, w.head[0] ? w.head : NULL, now);
	e.task = x->p->tasks[i].id;
	e.next_task = next;
	e.commit = w.head;
	emit(x, &e);
	pd_worktree_info_clear(&w);
	return 0;
}

static int complete(exec *x)
{
	pd_worktree_info w;
	pd_event e = PD_EVENT_INIT(PD_EV_TRACK_COMPLETED);
	int error;

	if ((error = pd_worktree_inspect(&w, x->t->worktree_path)) < 0 ||
	    (error = sync_head(x, w.head)) < 0 ||
	    (error = pd_marker_write(x->pd->manifest->dir, x->t->id, w.head[0] ? w.head : NULL,
				     NULL)) < 0) {
		fail(x, "", 0, "cannot write the completion marker: %s", pd_error_last());
		pd_worktree_info_clear(&w);
		return error;
	}
	x->res->outcome = PD_EXEC_COMPLETE;
	e.commit = w.head;
	emit(x, &e);
	pd_worktree_info_clear(&w);
	return 0;
}

/* Where to start: 0, or with resume the checkpoint's next task (ntasks
 * when all are done). A corrupt checkpoint under resume is refused. */
static int start_index(exec *x, size_t *start)
{
	pd_checkpoint c;
	long i;
	int error = 0;

	*start = 0;
	if (!x->o->resume)
		return 0;
	if ((error = pd_checkpoint_read(&c, x->pd->manifest->dir, x->t->id)) < 0)
		return error;
	if (c.state == PD_FILE_CORRUPT) {
		error = pd_error_set(PD_EINVALID, "cannot resume: %s (fix or remove it to start over)",
				     c.problem ? c.problem : "corrupt checkpoint");
	} else if (c.state == PD_FILE_OK && c.next_task &&
		   (i = pd_packet_find_task(x->p, c.next_task)) < 0) {
		error = pd_error_set(PD_EINVALID, "cannot resume: %s: next_task \"%s\" is not a task of "
					    "this packet", c.path, c.next_task);
	} else if (c.state == PD_FILE_OK) {
		*start = c.next_task ? (size_t)pd_packet_find_task(x->p, c.next_task) : x->p->ntasks;
	}
	pd_checkpoint_clear(&c);
	return error;
}

static int check_commands(const exec *x, size_t start)
{
	size_t i;

	for (i = start; i < x->p->ntasks; i++)
		if (x->p->tasks[i].ncommands == 0)
			return pd_error_set(PD_EINVALID,
					    "%s:%u: task %s has no Run: line or sh block: the built-in "
					    "runner has nothing to execute (run it with an agent runner, "
					    "e.g. --runner claude)",
					    x->p->path, x->p->tasks[i].line, x->p->tasks[i].id);
	return 0;
}

char **pd_track_env(const pd_manifest *m, const pd_track *t, const char *run_id,
		    const char *task)
{
	char **env = calloc(7, sizeof(char *));
	int k = 0;

	if (!env)
		return NULL;
	if (asprintf(&env[k++], "PACKETDECK_TRACK=%ld", t->id) < 0 ||
	    asprintf(&env[k++], "PACKETDECK_PACKET_DIR=%s", m->dir_real) < 0 ||
	    asprintf(&env[k++], "PACKETDECK_WORKTREE=%s", t->worktree_path) < 0 ||
	    asprintf(&env[k++], "PACKETDECK_PACKET=%s", t->packet_path) < 0 ||
	    (task && asprintf(&env[k++], "PACKETDECK_TASK=%s", task) < 0) ||
	    (run_id && asprintf(&env[k++], "PACKETDECK_RUN_ID=%s", run_id) < 0)) {
		env[k - 1] = NULL; /* asprintf left it undefined */
		pd_argv_free(env);
		return NULL;
	}
	return env;
}

static int run_tasks(exec *x, size_t start)
{
	size_t i, k;

	for (i = start; i < x->p->ntasks; i++) {
		const pd_task *task = &x->p->tasks[i];
		pd_event e = PD_EVENT_INIT(PD_EV_TASK_STARTED);
		char **env = pd_track_env(x->pd->manifest, x->t, x->o->run_id, task->id);
		int r = 1;

		if (!env)
			return pd_error_set(PD_ENOMEM, "out of memory");
		e.task = task->id;
		e.title = task->title;
		emit(x, &e);
		for (k = 0; k < task->ncommands && r == 1; k++)
			r = run_command(x, task, k, env);
		pd_argv_free(env);
		if (r != 1)
			return 0; /* failed or stopped: recorded in res */
		if (checkpoint(x, i) < 0)
			return 0;
	}
	return complete(x);
}

int pd_exec_track(const pd_pktdir *pd, size_t index, const pd_exec_options *o,
		  pd_exec_result *res)
{
	pd_exec_options defaults = PD_EXEC_OPTIONS_INIT;
	exec x = {pd, &pd->manifest->tracks[index], pd->packets[index], o ? o : &defaults, res, ""};
	char *lock_path = NULL, *state_dir = NULL, *repo = NULL;
	pd_lock *lock = NULL;
	pd_lockinfo stale;
	size_t start;
	int error;

	memset(res, 0, sizeof(*res));
	res->outcome = PD_EXEC_FAILED;
	if ((error = start_index(&x, &start)) < 0 || (error = check_commands(&x, start)) < 0)
		return error;
	if (asprintf(&state_dir, "%s/" PD_STATE_DIR, pd->manifest->dir) < 0 ||
	    !(lock_path = pd_state_file(pd->manifest->dir, x.t->id, "lock")) ||
	    !(repo = pd_manifest_root(pd->manifest))) {
		error = pd_error_set(PD_ENOMEM, "out of memory");
		goto done;
	}
	if (mkdir(state_dir, 0755) != 0 && errno != EEXIST) {
		error = pd_error_errno(PD_EIO, "%s: cannot create", state_dir);
		goto done;
	}
	if ((error = pd_lock_take(&lock, lock_path, x.o->run_id, NULL, &stale)) < 0)
		goto done;
	if (stale.pid) {
		pd_event e = PD_EVENT_INIT(PD_EV_NOTICE);
		char msg[600];

		e.message = pd_lock_takeover_text(&stale, "lock", msg, sizeof(msg));
		emit(&x, &e);
	}
	pd_lockinfo_clear(&stale);
	if (pd_worktree_prepare(repo, x.t->worktree_path, x.t->branch, pd->manifest->shared_setup_commit,
				NULL) < 0) {
		fail(&x, NULL, 0, "%s", pd_error_last());
		error = 0;
		goto done;
	}
	error = run_tasks(&x, start);
	if (error < 0 && res->outcome == PD_EXEC_FAILED && !res->message[0])
		fail(&x, NULL, 0, "%s", pd_error_last());
	if (res->outcome != PD_EXEC_COMPLETE)
		error = error == PD_ENOMEM ? error : 0;
done:
	pd_lock_release(lock);
	free(lock_path);
	free(state_dir);
	free(repo);
	return error;
}
