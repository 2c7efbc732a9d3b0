/* guard.c - the run's guard: a small process that outlives this one just
 * long enough to stop the process groups this one was running when it
 * died without stopping them (SIGKILL, a crash).
 *
 * A task's command runs in a process group of its own, as a child of
 * `run`. PR_SET_PDEATHSIG tells that child when `run` dies, but not what
 * the child started (the shell's own children): those would go on
 * changing the worktree under the next run. So the guard, forked once
 * (twice, so that it is nobody's child here and never shows among our
 * children), reads "watch G" / "forget G" from a socket; at its end of
 * file (we are gone, however) it sends SIGTERM to every group still
 * watched, SIGKILL to what is left after PD_GUARD_GRACE_MS, and exits.
 * Two small writes per command are all it costs a run.
 *
 * Not here: stopping a child on purpose (runner.c does that, and then
 * forgets the group), or the leftovers of an earlier run (engine.c finds
 * them by run id).
 */
#define _GNU_SOURCE /* close_range */
#include "guard.h"
#include "packetdeck/error.h"
#include "packetdeck/runner.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int guard_fd = -1; /* our end; -1: no guard yet */
static pid_t guard_owner;  /* whose guard it is: a fork needs its own */

#define MAX_WATCHED 64

/* The guard's life: collect the watched groups until end of file, then
 * stop those still there. */
_Noreturn static void guard_main(int fd)
{
	pid_t watched[MAX_WATCHED];
	size_t n = 0, i;
	int32_t msg;
	long deadline;
	struct timespec tick = {0, 20 * 1000000L};
	int sig;

	prctl(PR_SET_NAME, "packetdeck-guard");
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCONT)
			signal(sig, SIG_IGN); /* the run's terminal and group signals are the run's */
	for (;;) {
		ssize_t r = recv(fd, &msg, sizeof(msg), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof(msg))
			break; /* end of file (or worse): the run is gone */
		if (msg > 0 && n < MAX_WATCHED) {
			watched[n++] = (pid_t)msg;
		} else if (msg < 0) {
			for (i = 0; i < n; i++)
				if (watched[i] == (pid_t)-msg) {
					watched[i] = watched[--n];
					break;
				}
		}
	}
	for (i = 0; i < n; i++) {
		killpg(watched[i], SIGTERM);
		killpg(watched[i], SIGCONT);
	}
	for (deadline = pd_now_ms() + PD_GUARD_GRACE_MS; n > 0 && pd_now_ms() < deadline;) {
		for (i = 0; i < n;)
			if (!pd_group_alive(watched[i]))
				watched[i] = watched[--n];
			else
				i++;
		nanosleep(&tick, NULL);
	}
	for (i = 0; i < n; i++)
		killpg(watched[i], SIGKILL);
	_exit(0);
}

static int start_guard(void)
{
	int sv[2], status;
	pid_t mid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return pd_error_errno(PD_EIO, "cannot start the guard");
	mid = fork();
	if (mid < 0) {
		close(sv[0]);
		close(sv[1]);
		return pd_error_errno(PD_EIO, "cannot start the guard");
	}
	if (mid == 0) {
		int nul;

		setsid(); /* no terminal: the run's job control is not the guard's */
		if (chdir("/") != 0) /* nor holding on to the run's directory */
			_exit(1);
		if (fork() != 0)
			_exit(0);
		nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
		}
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0); /* our end too: its end of file is our death */
		guard_main(3);
	}
	close(sv[1]);
	guard_owner = getpid();
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	guard_fd = sv[0];
	return 0;
}

static void tell(int32_t msg)
{
	while (send(guard_fd, &msg, sizeof(msg), MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

int pd_guard_start(void)
{
	if (guard_fd >= 0 && guard_owner != getpid()) {
		close(guard_fd); /* our parent's, inherited by fork */
		guard_fd = -1;
	}
	return guard_fd >= 0 ? 0 : start_guard();
}

void pd_guard_watch(pid_t pgid)
{
	if (guard_fd >= 0 && guard_owner == getpid())
		tell((int32_t)pgid);
}

void pd_guard_forget(pid_t pgid)
{
	if (guard_fd >= 0 && guard_owner == getpid())
		tell(-(int32_t)pgid);
}
