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

struct pd_exec {
	const pd_pktdir *pd;
	const pd_track *t;
	const pd_packet *p;
	pd_packet *own;     /* p, when read here (the dir kept only summaries) */
	pd_exec_options o;
	pd_exec_result res;
	pd_lock *lock;
	bool claimed; /* in o.run_lock, instead of lock */
	size_t i, k;        /* the task at hand, and its command */
	char **env;         /* the task's environment (NULL between tasks) */
	pd_child *child;    /* its running command, or NULL */
	int pidfd;          /* readable when it exits, or -1 */
	bool done;
	char own_synced[41];
	char *synced;       /* the last HEAD made durable (syncfs), o.synced or own */
	char head[41];      /* HEAD as the last checkpoint named it, while no command
			       has run since ("" otherwise) */
};

/* Make the commit `head` durable before a file names it: sync the
 * worktree's filesystem, unless this very commit was synced already (its
 * objects are the repository's, shared by every worktree of it). */
static int sync_head(pd_exec *x, const char *head)
{
	int error;

	if (head[0] && strcmp(head, x->synced) == 0)
		return 0;
	if ((error = pd_sync_fs(x->t->worktree_path)) < 0)
		return error;
	snprintf(x->synced, 41, "%s", head);
	return 0;
}

static void emit(const pd_exec *x, pd_event *e)
{
	e->track = x->t->id;
	if (x->o.on_event)
		x->o.on_event(x->o.ctx, e);
}

/* The track failed: the failure record is written, execution is over. */
static void PD_PRINTF(4, 5) fail(pd_exec *x, const char *task, int status, const char *fmt, ...)
{
	va_list ap;

	x->res.outcome = PD_EXEC_FAILED;
	x->res.exit_status = status;
	snprintf(x->res.task, sizeof(x->res.task), "%s", task ? task : "");
	va_start(ap, fmt);
	vsnprintf(x->res.message, sizeof(x->res.message), fmt, ap);
	va_end(ap);
	pd_failure_write(x->pd->manifest->dir, x->t->id, task, x->res.message, NULL, status, NULL);
	x->done = true;
}

/* Checkpoint after task i: HEAD made durable first, then the file. */
static int checkpoint(pd_exec *x, size_t i)
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
	e.task = x->p->tasks[i].id;
	e.next_task = next;
	e.commit = w.head;
	emit(x, &e);
	snprintf(x->head, sizeof(x->head), "%s", w.head);
	pd_worktree_info_clear(&w);
	return 0;
}

/* The marker, naming HEAD: the last checkpoint's when nothing has run
 * since (it was just read and made durable), else read again. */
static void complete(pd_exec *x)
{
	pd_worktree_info w;
	const char *head = x->head;

	memset(&w, 0, sizeof(w));
	if ((!head[0] && (pd_worktree_inspect(&w, x->t->worktree_path) < 0 ||
			  sync_head(x, (head = w.head)) < 0)) ||
	    pd_marker_write(x->pd->manifest->dir, x->t->id, head[0] ? head : NULL, NULL) < 0) {
		fail(x, "", 0, "cannot write the completion marker: %s", pd_error_last());
	} else {
		x->res.outcome = PD_EXEC_COMPLETE;
		snprintf(x->res.commit, sizeof(x->res.commit), "%s", head);
		x->done = true;
	}
	pd_worktree_info_clear(&w);
}

/* Where to start: 0, or with resume the checkpoint's next task (ntasks
 * when all are done). A corrupt checkpoint under resume is refused. */
static int start_index(pd_exec *x, size_t *start)
{
	pd_checkpoint c;
	long i;
	int error = 0;

	*start = 0;
	if (!x->o.resume)
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

static int check_commands(const pd_exec *x, size_t start)
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

/* Read the packet as it is now, checked as the load did. */
static int read_packet(pd_exec *x, size_t index)
{
	pd_diags d = PD_DIAGS_INIT;
	int error = pd_pktdir_packet(x->pd, index, &x->own, &d);

	if (error < 0 && d.count > 0)
		error = pd_error_set(error, "%s%s%s%s", d.items[0].where ? d.items[0].where : "",
				     d.items[0].where ? ": " : "", d.items[0].message,
				     pd_diags_total(&d) > 1 ? " (and more: packetdeck validate)" : "");
	pd_diags_free(&d);
	x->p = x->own;
	return error;
}

/* Start what comes next: the next command of task i, or, its commands all
 * passed, its checkpoint and the next task; after the last, the marker. */
static void advance(pd_exec *x)
{
	while (!x->done) {
		const pd_task *task;

		if (x->i >= x->p->ntasks) {
			complete(x);
			return;
		}
		task = &x->p->tasks[x->i];
		if (!x->env) {
			pd_event e = PD_EVENT_INIT(PD_EV_TASK_STARTED);

			if (!(x->env = pd_track_env(x->pd->manifest, x->t, x->o.run_id, task->id))) {
				fail(x, task->id, 0, "out of memory");
				return;
			}
			e.task = task->id;
			e.title = task->title;
			emit(x, &e);
		}
		if (x->k < task->ncommands) {
			char *argv[] = {"/bin/sh", "-c", task->commands[x->k], NULL};
			pd_spawn_options so = {.argv = argv, .cwd = x->t->worktree_path, .env = x->env,
					       .output_fd = x->o.output_fd};

			x->head[0] = '\0'; /* a command may commit */
			if (pd_child_spawn(&x->child, &so) < 0) {
				fail(x, task->id, 127, "%s", pd_error_last());
				return;
			}
			x->pidfd = (int)syscall(SYS_pidfd_open, pd_child_pid(x->child), 0);
			return;
		}
		pd_argv_free(x->env);
		x->env = NULL;
		if (checkpoint(x, x->i) < 0)
			return;
		x->i++;
		x->k = 0;
	}
}

static void command_ended(pd_exec *x, int ws)
{
	const pd_task *task = &x->p->tasks[x->i];
	const char *cmd = task->commands[x->k];
	size_t first = strcspn(cmd, "\n");
	char what[64];

	pd_child_free(x->child);
	x->child = NULL;
	if (x->pidfd >= 0)
		close(x->pidfd);
	x->pidfd = -1;
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
		x->k++;
		advance(x);
		return;
	}
	/* name the command by its first line, shortened */
	fail(x, task->id, WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws),
	     "`%.*s%s` (line %u) failed with %s", first > 60 ? 60 : (int)first, cmd,
	     first > 60 ? "..." : "", task->command_lines[x->k], pd_wait_status_text(ws, what));
}

int pd_exec_begin(pd_exec **out, const pd_pktdir *pd, size_t index, const pd_exec_options *o)
{
	pd_exec_options defaults = PD_EXEC_OPTIONS_INIT;
	pd_exec *x = calloc(1, sizeof(*x));
	char *state_dir = NULL, *repo = NULL;
	pd_lockinfo stale = {0};
	size_t start;
	int error;

	*out = NULL;
	if (!x)
		return pd_error_set(PD_ENOMEM, "out of memory");
	x->pd = pd;
	x->t = &pd->manifest->tracks[index];
	x->p = pd->packets[index];
	x->o = o ? *o : defaults;
	x->pidfd = -1;
	x->res.outcome = PD_EXEC_FAILED;
	x->synced = x->o.synced ? x->o.synced : x->own_synced;
	if (!x->p && (error = read_packet(x, index)) < 0)
		goto fail;
	if ((error = start_index(x, &start)) < 0 || (error = check_commands(x, start)) < 0)
		goto fail;
	if (asprintf(&state_dir, "%s/" PD_STATE_DIR, pd->manifest->dir) < 0 ||
	    !(repo = pd_manifest_root(pd->manifest))) {
		error = pd_error_set(PD_ENOMEM, "out of memory");
		goto fail;
	}
	if (x->o.run_lock) {
		/* the run's lock is in the state dir already */
		error = pd_track_claim(x->o.run_lock, pd->manifest->dir, x->t->id);
	} else if (mkdir(state_dir, 0755) != 0 && errno != EEXIST) {
		error = pd_error_errno(PD_EIO, "%s: cannot create", state_dir);
	} else {
		error = pd_track_lock_take(&x->lock, pd->manifest->dir, x->t->id, x->o.run_id, &stale);
	}
	if (error < 0)
		goto fail;
	x->claimed = x->o.run_lock != NULL;
	if (stale.pid) {
		pd_event e = PD_EVENT_INIT(PD_EV_NOTICE);
		char msg[600];

		e.message = pd_lock_takeover_text(&stale, "lock", msg, sizeof(msg));
		emit(x, &e);
	}
	pd_lockinfo_clear(&stale);
	x->i = start;
	if (pd_worktree_prepare(repo, x->t->worktree_path, x->t->branch,
				pd->manifest->shared_setup_commit, NULL) < 0)
		fail(x, NULL, 0, "%s", pd_error_last());
	else
		advance(x);
	*out = x;
	x = NULL;
fail:
	free(state_dir);
	free(repo);
	pd_exec_free(x);
	return error;
}

int pd_exec_pollfd(const pd_exec *x)
{
	return x->pidfd;
}

bool pd_exec_step(pd_exec *x)
{
	int ws;

	if (!x->done && x->child && pd_child_wait(x->child, false, &ws) == 1)
		command_ended(x, ws);
	return x->done;
}

void pd_exec_stop(pd_exec *x)
{
	const char *task = x->i < x->p->ntasks ? x->p->tasks[x->i].id : "";

	if (x->done)
		return;
	if (x->child) {
		pd_child_stop(x->child, x->o.grace_ms);
		pd_child_free(x->child);
		x->child = NULL;
	}
	x->res.outcome = PD_EXEC_INTERRUPTED;
	snprintf(x->res.task, sizeof(x->res.task), "%s", task);
	snprintf(x->res.message, sizeof(x->res.message), "stopped during task %s", task);
	x->done = true;
}

bool pd_exec_done(const pd_exec *x)
{
	return x->done;
}

const pd_exec_result *pd_exec_result_of(const pd_exec *x)
{
	return &x->res;
}

void pd_exec_free(pd_exec *x)
{
	if (!x)
		return;
	if (x->child) {
		pd_child_stop(x->child, x->o.grace_ms);
		pd_child_free(x->child);
	}
	if (x->pidfd >= 0)
		close(x->pidfd);
	pd_argv_free(x->env);
	pd_lock_release(x->lock);
	if (x->claimed)
		pd_track_unclaim(x->o.run_lock);
	pd_packet_free(x->own);
	free(x);
}

int pd_exec_track(const pd_pktdir *pd, size_t index, const pd_exec_options *o,
		  pd_exec_result *res)
{
	pd_exec *x;
	int error = pd_exec_begin(&x, pd, index, o);

	memset(res, 0, sizeof(*res));
	res->outcome = PD_EXEC_FAILED;
	if (error < 0)
		return error;
	while (!pd_exec_step(x)) {
		/* the command's exit, or stop_fd; without pidfd (old kernels),
		 * look again every 100 ms */
		struct pollfd fds[2] = {{x->pidfd, POLLIN, 0}, {x->o.stop_fd, POLLIN, 0}};

		if (poll(fds, 2, x->pidfd >= 0 ? -1 : 100) > 0 && (fds[1].revents & (POLLIN | POLLHUP)))
			pd_exec_stop(x);
	}
	*res = x->res;
	pd_exec_free(x);
	return 0;
}
