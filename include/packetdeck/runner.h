/* runner.h - argv templates, and child processes in their own group.
 *
 * A runner template ("claude -p '/execute-work-packet {packet} {resume}'")
 * is split into words by packetdeck, honouring quotes, and only then are
 * the placeholders replaced: a value never becomes two words and is never
 * seen by a shell, whatever characters it holds. A word that is exactly a
 * placeholder whose value is empty ({resume} without --resume) is dropped.
 *
 * A child runs in a process group of its own, in a given directory, with
 * stdin from /dev/null, stdout and stderr into one pipe (or a given fd),
 * default signal dispositions, an empty signal mask, no descriptor of ours
 * but those three, and extra environment variables. Stopping it signals the
 * whole group: SIGTERM, then SIGKILL after a grace period.
 *
 * The first spawn makes this process the subreaper of its descendants
 * (PR_SET_CHILD_SUBREAPER): a runner's orphaned grandchildren become ours,
 * so stopping a group collects all of it and no zombie is left to init.
 */
#ifndef PD_RUNNER_H
#define PD_RUNNER_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct pd_template_var {
	const char *name;  /* "packet" for {packet} */
	const char *value;
} pd_template_var;

/* Split `template` and expand placeholders from vars[0..nvars). On success
 * *out is a NULL-terminated argv (free with pd_argv_free). PD_EINVALID for
 * an unbalanced quote, an unknown placeholder, or no words. */
int pd_template_expand(char ***out, const char *template, const pd_template_var *vars,
		       size_t nvars);

void pd_argv_free(char **argv);

typedef struct pd_child pd_child;

typedef struct pd_spawn_options {
	char *const *argv;      /* argv[0] is looked up in PATH */
	const char *cwd;        /* NULL: ours */
	char *const *env;       /* extra "NAME=value" entries, NULL-terminated; may be NULL */
	char *const *unset;     /* names of ours it does not get, NULL-terminated; may be NULL */
	int output_fd;          /* -1: make a pipe (pd_child_output_fd); else stdout+stderr go here */
} pd_spawn_options;

/* Start a child. Fails (PD_EIO, with the reason) if it cannot be started,
 * including when argv[0] cannot be executed: that is reported here, not as
 * an exit status. */
int pd_child_spawn(pd_child **out, const pd_spawn_options *o);

pid_t pd_child_pid(const pd_child *c);

/* The read end of the output pipe (non-blocking, close-on-exec), or -1. */
int pd_child_output_fd(const pd_child *c);

/* Has it exited? Returns 1 with *wstatus set (then it is reaped), 0 if it
 * still runs (only when !block), negative on error. */
int pd_child_wait(pd_child *c, bool block, int *wstatus);

/* Stop the whole group: SIGTERM, then SIGKILL to whatever of the group is
 * left after `grace_ms`, then reap the child. Returns its wait status. */
int pd_child_stop(pd_child *c, unsigned grace_ms);

/* Kills what is left of the group, reaps, closes the pipe, frees. */
void pd_child_free(pd_child *c);

/* Become the reaper of orphaned descendants (done by the first spawn);
 * pd_reap_orphans collects those that left their group (setsid). */
int pd_become_subreaper(void);
void pd_reap_orphans(void);

/* The processes whose environment holds PACKETDECK_RUN_ID=`run_id`: the
 * runners (and their children) of that run, found through /proc. Up to
 * `cap` pids into `out`; returns how many. */
size_t pd_find_run_processes(const char *run_id, pid_t *out, size_t cap);

/* Stop those processes' groups: SIGTERM, then SIGKILL to whatever is left
 * after `grace_ms`. They are not our children: nothing is reaped. */
void pd_stop_processes(const pid_t *pids, size_t n, unsigned grace_ms);

/* Is anyone left in the process group `pgid` (not yet reaped counts)? */
bool pd_group_alive(pid_t pgid);

/* "exit status 3", "killed by SIGTERM", for messages. */
const char *pd_wait_status_text(int wstatus, char buf[64]);

#endif
