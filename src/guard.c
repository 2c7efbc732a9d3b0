/* guard.c - the run's guard: a small process that outlives this one just
 * long enough to stop the process groups this one was running when it
 * died without stopping them (SIGKILL, a crash).
 *
 * A task's command runs in a process group of its own, as a child of
 * `run`. PR_SET_PDEATHSIG tells that child when `run` dies, but not what
 * the child started (the shell's own children): those would go on
 * changing the worktree under the next run. So the guard, forked once
 * (twice, so that it is nobody's child here and never shows among our
 * children), shares a page with us where we write the groups to watch
 * (a slot set to G, cleared when G is gone), and waits on a socket: at its
 * end of file (we are gone, however) it sends SIGTERM to every group still
 * in the page, SIGKILL to what is left after PD_GUARD_GRACE_MS, and
 * exits. A command costs a run two stores to memory: no system call, and
 * the guard is not woken while we live.
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
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int guard_fd = -1; /* our end; -1: no guard yet */
static pid_t guard_owner;  /* whose guard it is: a fork needs its own */

#define MAX_WATCHED 64

/* The groups watched, in a page shared with the guard: 0 is a free slot. */
static _Atomic int32_t *watched;

/* The guard's life: wait for the end of file (the run is gone), then stop
 * the groups still in the shared page. */
_Noreturn static void guard_main(int fd)
{
	pid_t left[MAX_WATCHED];
	size_t n = 0, i;
	char byte;
	long deadline;
	struct timespec tick = {0, 20 * 1000000L};
	int sig;

	prctl(PR_SET_NAME, "packetdeck-guard");
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCONT)
			signal(sig, SIG_IGN); /* the run's terminal and group signals are the run's */
	/* nothing is ever sent: the only thing to wait for is the end of file */
	while (recv(fd, &byte, sizeof(byte), 0) < 0 && errno == EINTR)
		;
	for (i = 0; i < MAX_WATCHED; i++) {
		pid_t g = (pid_t)atomic_load(&watched[i]);

		if (g > 0)
			left[n++] = g;
	}
	for (i = 0; i < n; i++) {
		killpg(left[i], SIGTERM);
		killpg(left[i], SIGCONT);
	}
	for (deadline = pd_now_ms() + PD_GUARD_GRACE_MS; n > 0 && pd_now_ms() < deadline;) {
		for (i = 0; i < n;)
			if (!pd_group_alive(left[i]))
				left[i] = left[--n];
			else
				i++;
		nanosleep(&tick, NULL);
	}
	for (i = 0; i < n; i++)
		killpg(left[i], SIGKILL);
	_exit(0);
}

static int start_guard(void)
{
	int sv[2], status, error;
	void *page;
	pid_t mid;

	page = mmap(NULL, MAX_WATCHED * sizeof(*watched), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return pd_error_errno(PD_EIO, "cannot start the guard");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		munmap(page, MAX_WATCHED * sizeof(*watched));
		return pd_error_errno(PD_EIO, "cannot start the guard");
	}
	watched = page; /* zero-filled: nothing watched */
	mid = fork();
	if (mid < 0) {
		error = pd_error_errno(PD_EIO, "cannot start the guard");
		close(sv[0]);
		close(sv[1]);
		munmap(page, MAX_WATCHED * sizeof(*watched));
		watched = NULL;
		return error;
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

/* Set the slot holding `from` to `to` (0: a free slot). */
static void swap_slot(int32_t from, int32_t to)
{
	size_t i;

	for (i = 0; i < MAX_WATCHED; i++)
		if (atomic_load_explicit(&watched[i], memory_order_relaxed) == from) {
			atomic_store(&watched[i], to);
			return;
		}
}

int pd_guard_start(void)
{
	if (guard_fd >= 0 && guard_owner != getpid()) {
		close(guard_fd); /* our parent's, inherited by fork */
		guard_fd = -1;
		watched = NULL; /* its page stays mapped here, and is not ours to write */
	}
	return guard_fd >= 0 ? 0 : start_guard();
}

void pd_guard_watch(pid_t pgid)
{
	if (guard_fd >= 0 && guard_owner == getpid() && pgid > 0)
		swap_slot(0, (int32_t)pgid);
}

void pd_guard_forget(pid_t pgid)
{
	if (guard_fd >= 0 && guard_owner == getpid() && pgid > 0)
		swap_slot((int32_t)pgid, 0);
}
