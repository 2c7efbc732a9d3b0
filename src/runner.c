/* runner.c - argv templates; children in their own process group (runner.h).
 *
 * Not here: what to run (the executor decides) or reading the output (the
 * caller polls pd_child_output_fd).
 */
#define _GNU_SOURCE /* execvpe, pipe2, close_range, dup3 */
#include "packetdeck/runner.h"
#include "packetdeck/error.h"

#include "clock.h"
#include "guard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- templates ---- */

typedef struct strbuf {
	char *s;
	size_t len, cap;
} strbuf;

static int put(strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->s, cap)))
			return PD_ENOMEM;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static int push_word(char ***argv, size_t *n, const strbuf *w)
{
	char **a = realloc(*argv, (*n + 2) * sizeof(*a));

	if (!a)
		return PD_ENOMEM;
	*argv = a;
	if (!(a[*n] = strdup(w->len ? w->s : "")))
		return PD_ENOMEM;
	a[++*n] = NULL;
	return 0;
}

/* At "{name}": the variable, or NULL if this brace opens no placeholder. */
static const pd_template_var *placeholder(const char *p, const pd_template_var *vars, size_t n,
					  size_t *len, bool *unknown)
{
	const char *e = p + 1;
	size_t i;

	*unknown = false;
	while ((*e >= 'a' && *e <= 'z') || *e == '_')
		e++;
	if (*e != '}' || e == p + 1)
		return NULL;
	*len = (size_t)(e + 1 - p);
	for (i = 0; i < n; i++)
		if (strlen(vars[i].name) == (size_t)(e - p - 1) &&
		    memcmp(vars[i].name, p + 1, (size_t)(e - p - 1)) == 0)
			return &vars[i];
	*unknown = true;
	return NULL;
}

int pd_template_expand(char ***out, const char *t, const pd_template_var *vars, size_t nvars)
{
	char **argv = NULL, quote = 0;
	size_t argc = 0;
	strbuf w = {NULL, 0, 0};
	bool in_word = false, literal = false; /* literal: the word has more than a placeholder */
	int holders = 0, error = 0;
	const char *p;

	*out = NULL;
	for (p = t;; p++) {
		if (!quote && (*p == '\0' || *p == ' ' || *p == '\t' || *p == '\n')) {
			/* a word ends: drop it if it was one placeholder that expanded to nothing */
			if (in_word && !(w.len == 0 && !literal && holders == 1) &&
			    (error = push_word(&argv, &argc, &w)) < 0)
				goto fail;
			w.len = 0;
			in_word = literal = false;
			holders = 0;
			if (*p == '\0')
				break;
			continue;
		}
		if (*p == '\0') {
			error = pd_error_set(PD_EINVALID, "runner template: unbalanced %c quote", quote);
			goto fail;
		}
		in_word = true;
		if (!quote && (*p == '\'' || *p == '"')) {
			quote = *p;
			literal = true;
			continue;
		}
		if (quote && *p == quote) {
			quote = 0;
			continue;
		}
		if (quote != '\'' && *p == '\\' && p[1] != '\0') {
			p++;
			literal = true;
			if ((error = put(&w, p, 1)) < 0)
				goto fail;
			continue;
		}
		if (*p == '{') {
			size_t len = 0;
			bool unknown;
			const pd_template_var *v = placeholder(p, vars, nvars, &len, &unknown);

			if (unknown) {
				error = pd_error_set(PD_EINVALID, "runner template: unknown placeholder %.*s",
						     (int)len, p);
				goto fail;
			}
			if (v) {
				if ((error = put(&w, v->value ? v->value : "", strlen(v->value ? v->value : ""))) < 0)
					goto fail;
				holders++;
				p += len - 1;
				continue;
			}
		}
		literal = true;
		if ((error = put(&w, p, 1)) < 0)
			goto fail;
	}
	free(w.s);
	if (argc == 0) {
		pd_argv_free(argv);
		return pd_error_set(PD_EINVALID, "runner template: no command");
	}
	*out = argv;
	return 0;
fail:
	free(w.s);
	pd_argv_free(argv);
	return error == PD_ENOMEM ? pd_error_set(PD_ENOMEM, "out of memory") : error;
}

void pd_argv_free(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* ---- children ---- */

struct pd_child {
	pid_t pid;
	int out_fd;
	bool reaped;
	int wstatus;
	struct pd_child *next; /* in `tracked` while not reaped */
};

/* The children a pd_child owns, so that pd_reap_orphans leaves them to
 * their owner (a process has one table of children; so does this list). */
static pd_child *tracked;
static bool subreaper; /* PR_SET_CHILD_SUBREAPER is set */

static void untrack(pd_child *c)
{
	pd_child **p;

	for (p = &tracked; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			return;
		}
}

/* Does the entry "NAME=value" have a name in `names` (entries or bare
 * names, NULL-terminated)? */
static bool named(const char *entry, char *const *names)
{
	size_t i;

	for (i = 0; names && names[i]; i++) {
		const char *eq = strchr(names[i], '=');
		size_t len = eq ? (size_t)(eq - names[i]) : strlen(names[i]);

		if (strncmp(entry, names[i], len) == 0 && entry[len] == '=')
			return true;
	}
	return false;
}

/* The environment for the child: ours, less the names in `unset`, with
 * the extra entries replacing any of the same name. Built before fork:
 * nothing is allocated after. */
static char **child_env(char *const *extra, char *const *unset)
{
	size_t n = 0, k = 0, i;
	char **env;

	for (i = 0; environ[i]; i++)
		n++;
	for (i = 0; extra && extra[i]; i++)
		n++;
	if (!(env = malloc((n + 1) * sizeof(*env))))
		return NULL;
	for (i = 0; extra && extra[i]; i++)
		env[k++] = extra[i];
	for (i = 0; environ[i]; i++)
		if (!named(environ[i], extra) && !named(environ[i], unset))
			env[k++] = environ[i];
	env[k] = NULL;
	return env;
}

/* In the child, between vfork and exec, on our memory: system calls only,
 * nothing allocated and nothing of ours written (errno aside). */
_Noreturn static void child_exec(const pd_spawn_options *o, char **env, int out_w, int err_w,
				 pid_t parent)
{
	int e, nul, out, err, sig;
	sigset_t all;

	setpgid(0, 0);
	/* If we die without stopping it (SIGKILL, a crash), the runner is
	 * told with SIGTERM rather than left running on its own; checked
	 * again in case we died before the request was made. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(127);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* move what we keep above the descriptors it gets first, so that a
	 * parent started without stdin/stdout cannot make dup2 clobber them */
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	err = fcntl(err_w, F_DUPFD_CLOEXEC, 10);
	out = fcntl(out_w, F_DUPFD_CLOEXEC, 10);
	nul = nul >= 0 ? fcntl(nul, F_DUPFD_CLOEXEC, 10) : -1;
	if (nul < 0 || err < 0 || out < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 ||
	    dup3(err, 4, O_CLOEXEC) < 0)
		goto fail;
	if (close(3) < 0 && errno != EBADF) /* fd 3 is nothing of ours */
		goto fail;
	err = 4;
	close_range(5, ~0U, 0); /* nothing of ours leaks into the runner */
	if (o->cwd && chdir(o->cwd) != 0)
		goto fail;
	execvpe(o->argv[0], o->argv, env);
fail:
	e = errno;
	if (write(err >= 0 ? err : err_w, &e, sizeof(e)) < 0)
		e = 0;
	_exit(127);
}

/* vfork: the child borrows our memory until it execs, so starting it
 * costs no copy of our page tables (with fork, the biggest cost of a
 * command after the command itself). Our signals are blocked meanwhile: a
 * handler of ours must not run in the child, on our memory; the child
 * resets every handler before it unblocks them. */
static pid_t start_child(const pd_spawn_options *o, char **env, int out_w, int err_w, pid_t parent)
{
	sigset_t all, old;
	pid_t pid;
	int saved;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0)
		child_exec(o, env, out_w, err_w, parent);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return pid;
}

int pd_child_spawn(pd_child **out, const pd_spawn_options *o)
{
	int pipefd[2] = {-1, -1}, errpipe[2] = {-1, -1}, child_errno = 0, error = 0;
	char **env = child_env(o->env, o->unset);
	pd_child *c = calloc(1, sizeof(*c));
	pid_t self = getpid();
	ssize_t n;

	*out = NULL;
	if (!env || !c) {
		error = pd_error_set(PD_ENOMEM, "out of memory");
		goto done;
	}
	c->out_fd = -1;
	/* Descendants orphaned by the runner become ours, not init's, so
	 * that stopping a group can collect all of it. */
	if ((error = pd_guard_start()) < 0 || (!subreaper && (error = pd_become_subreaper()) < 0))
		goto done;
	if ((o->output_fd < 0 && pipe2(pipefd, O_CLOEXEC) != 0) || pipe2(errpipe, O_CLOEXEC) != 0) {
		error = pd_error_errno(PD_EIO, "cannot make a pipe");
		goto done;
	}
	c->pid = start_child(o, env, o->output_fd >= 0 ? o->output_fd : pipefd[1], errpipe[1], self);
	if (c->pid < 0) {
		error = pd_error_errno(PD_EIO, "cannot start %s", o->argv[0]);
		goto done;
	}
	setpgid(c->pid, c->pid); /* both sides set it: no window where it is ours */
	pd_guard_watch(c->pid);
	close(errpipe[1]);
	errpipe[1] = -1;
	while ((n = read(errpipe[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(child_errno)) {
		waitpid(c->pid, NULL, 0);
		pd_guard_forget(c->pid);
		errno = child_errno;
		error = pd_error_errno(PD_EIO, "cannot run %s%s%s", o->argv[0],
				       o->cwd ? " in " : "", o->cwd ? o->cwd : "");
		goto done;
	}
	if (pipefd[0] >= 0) {
		c->out_fd = pipefd[0];
		pipefd[0] = -1;
		fcntl(c->out_fd, F_SETFL, fcntl(c->out_fd, F_GETFL) | O_NONBLOCK);
	}
	c->next = tracked;
	tracked = c;
	*out = c;
	c = NULL;
done:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (errpipe[0] >= 0)
		close(errpipe[0]);
	if (errpipe[1] >= 0)
		close(errpipe[1]);
	free(env);
	free(c);
	return error;
}

pid_t pd_child_pid(const pd_child *c)
{
	return c->pid;
}

int pd_child_output_fd(const pd_child *c)
{
	return c->out_fd;
}

/* Reap members of the child's group that became ours (we are their
 * subreaper) once their parent died. */
static void reap_group(pid_t pgid)
{
	while (waitpid(-pgid, NULL, WNOHANG) > 0)
		;
}

int pd_child_wait(pd_child *c, bool block, int *wstatus)
{
	pid_t r;

	if (!c->reaped) {
		while ((r = waitpid(c->pid, &c->wstatus, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
			;
		if (r < 0)
			return pd_error_errno(PD_EIO, "waiting for pid %ld", (long)c->pid);
		if (r == 0)
			return 0;
		c->reaped = true;
		untrack(c);
	}
	reap_group(c->pid);
	if (wstatus)
		*wstatus = c->wstatus;
	return 1;
}

bool pd_group_alive(pid_t pgid)
{
	return killpg(pgid, 0) == 0 || errno == EPERM;
}

int pd_child_stop(pd_child *c, unsigned grace_ms)
{
	long deadline = pd_now_ms() + (long)grace_ms;
	struct timespec tick = {0, 10 * 1000000L};

	killpg(c->pid, SIGTERM);
	killpg(c->pid, SIGCONT); /* a stopped group must be able to act on TERM */
	for (;;) {
		pd_child_wait(c, false, NULL);
		reap_group(c->pid);
		if (c->reaped && !pd_group_alive(c->pid))
			break;
		if (pd_now_ms() >= deadline) {
			killpg(c->pid, SIGKILL);
			break;
		}
		nanosleep(&tick, NULL);
	}
	pd_child_wait(c, true, NULL);
	/* the group's last members die at SIGKILL; collect them (bounded: a
	 * process stuck in the kernel must not hang us) */
	for (deadline = pd_now_ms() + 2000; pd_group_alive(c->pid) && pd_now_ms() < deadline;) {
		reap_group(c->pid);
		nanosleep(&tick, NULL);
	}
	reap_group(c->pid);
	return c->wstatus;
}

void pd_child_free(pd_child *c)
{
	if (!c)
		return;
	if (!c->reaped || pd_group_alive(c->pid))
		pd_child_stop(c, 0);
	pd_guard_forget(c->pid);
	untrack(c);
	if (c->out_fd >= 0)
		close(c->out_fd);
	free(c);
}

int pd_become_subreaper(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		return pd_error_errno(PD_EIO, "cannot become a subreaper");
	subreaper = true;
	return 0;
}

void pd_reap_orphans(void)
{
	siginfo_t info;
	pd_child *c;

	/* Peek at each zombie; reap it unless a pd_child owns it. */
	for (;;) {
		memset(&info, 0, sizeof(info));
		if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0)
			return;
		for (c = tracked; c && c->pid != info.si_pid; c = c->next)
			;
		if (c)
			return; /* its owner collects it */
		waitpid(info.si_pid, NULL, WNOHANG);
	}
}

size_t pd_find_run_processes(const char *run_id, pid_t *out, size_t cap)
{
	char needle[96], path[64], env[65536];
	size_t n = 0, nl;
	DIR *d = opendir("/proc");
	struct dirent *ent;

	if (!d || !run_id || !*run_id) {
		if (d)
			closedir(d);
		return 0;
	}
	nl = (size_t)snprintf(needle, sizeof(needle), "PACKETDECK_RUN_ID=%s", run_id) + 1; /* with its NUL */
	while (n < cap && (ent = readdir(d)) != NULL) {
		long pid = strtol(ent->d_name, NULL, 10);
		ssize_t len;
		int fd;

		if (pid <= 0 || pid == (long)getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		len = read(fd, env, sizeof(env));
		close(fd);
		/* entries are NUL-separated: match a whole one */
		for (char *p = env, *end = env + (len > 0 ? len : 0); p < end; p += strlen(p) + 1) {
			if ((size_t)(end - p) >= nl && memcmp(p, needle, nl) == 0) {
				out[n++] = (pid_t)pid;
				break;
			}
			if (!memchr(p, '\0', (size_t)(end - p)))
				break; /* a last entry cut by the buffer */
		}
	}
	closedir(d);
	return n;
}

void pd_stop_processes(const pid_t *pids, size_t n, unsigned grace_ms)
{
	long deadline = pd_now_ms() + (long)grace_ms;
	struct timespec tick = {0, 20 * 1000000L};
	size_t i;
	bool alive = true;

	for (i = 0; i < n; i++) {
		pid_t g = getpgid(pids[i]);

		if (g > 1 && g != getpgrp()) /* never our own group */
			killpg(g, SIGTERM);
		kill(pids[i], SIGTERM);
	}
	while (alive && pd_now_ms() < deadline) {
		nanosleep(&tick, NULL);
		for (alive = false, i = 0; i < n; i++) {
			waitpid(pids[i], NULL, WNOHANG); /* ours, as subreaper: not a zombie */
			alive = alive || kill(pids[i], 0) == 0;
		}
	}
	for (i = 0; alive && i < n; i++) {
		pid_t g = getpgid(pids[i]);

		if (g > 1 && g != getpgrp())
			killpg(g, SIGKILL);
		kill(pids[i], SIGKILL);
	}
}

const char *pd_wait_status_text(int wstatus, char buf[64])
{
	if (WIFEXITED(wstatus))
		snprintf(buf, 64, "exit status %d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(buf, 64, "killed by SIG%s",
			 sigabbrev_np(WTERMSIG(wstatus)) ? sigabbrev_np(WTERMSIG(wstatus)) : "?");
	else
		snprintf(buf, 64, "wait status %d", wstatus);
	return buf;
}
