/* test_lock.c - run and track locks: held, refused with the holder named,
 * taken over from a dead holder, never inherited. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *lock_path(void)
{
	return t_path(dir, "run.lock");
}

static void take_then_refuse_with_the_holder_named(void **state)
{
	char *p = lock_path();
	pd_lock *l = NULL, *again = NULL;
	pd_lockinfo who, stale;
	pid_t pid;
	int ws;

	(void)state;
	assert_int_equal(pd_lock_take(&l, p, "run-1", NULL, &stale), 0);
	assert_int_equal(stale.pid, 0); /* a fresh file had no holder */
	/* the same process, another descriptor: still refused (flock is per open file) */
	assert_int_equal(pd_lock_take(&again, p, "run-2", &who, NULL), PD_ELOCKED);
	assert_int_equal(who.pid, getpid());
	assert_string_equal(who.run_id, "run-1");
	assert_non_null(strstr(pd_error_last(), "run.lock is held by pid "));
	assert_non_null(strstr(pd_error_last(), "(run run-1)"));
	pd_lockinfo_clear(&who);
	/* another process */
	pid = fork();
	if (pid == 0) {
		pd_lock *x = NULL;
		pd_lockinfo h;

		_exit(pd_lock_take(&x, p, "run-3", &h, NULL) == PD_ELOCKED && h.pid == getppid() ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_int_equal(WEXITSTATUS(ws), 0);
	/* probe agrees, and creates nothing */
	assert_int_equal(pd_lock_probe(&who, p), 0);
	assert_true(who.held);
	assert_int_equal(who.pid, getpid());
	pd_lockinfo_clear(&who);
	pd_lock_release(l);
	assert_int_equal(pd_lock_probe(&who, p), 0);
	assert_false(who.held);
	assert_int_equal(access(p, F_OK), 0); /* the file stays */
	assert_int_equal(pd_lock_take(&l, p, "run-4", NULL, &stale), 0);
	assert_int_equal(stale.pid, 0); /* a clean release leaves no holder behind */
	pd_lock_release(l);
	free(p);
}

static void a_dead_holder_is_taken_over_and_named(void **state)
{
	char *p = lock_path();
	pd_lock *l = NULL;
	pd_lockinfo stale;
	int ready[2];
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	if (pid == 0) {
		pd_lock *x = NULL;

		if (pd_lock_take(&x, p, "crashed-run", NULL, NULL) != 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(pd_lock_take(&l, p, "next", NULL, NULL), PD_ELOCKED);
	kill(pid, SIGKILL); /* a crash: no release */
	waitpid(pid, NULL, 0);
	assert_int_equal(pd_lock_take(&l, p, "next", NULL, &stale), 0);
	assert_int_equal(stale.pid, pid);
	assert_false(stale.held);
	assert_string_equal(stale.run_id, "crashed-run");
	pd_lockinfo_clear(&stale);
	pd_lock_release(l);
	close(ready[0]);
	close(ready[1]);
	free(p);
}

/* What a forked child leaves to its parent to free: held here, it is
 * reachable when the child exits (valgrind counts it as no leak). */
static void *volatile parents[3];

/* The two ways of a track's lock (lock.h): a run claims the track in its
 * run.lock, `packet` takes track-N.lock; each refuses what the other holds,
 * and a claim makes no file. */
static void a_track_claimed_in_the_run_lock_or_held_by_its_own(void **state)
{
	char *p = t_path(dir, ".packetdeck/run.lock"), *tl = t_path(dir, ".packetdeck/track-7.lock");
	pd_lock *run = NULL, *own = NULL;
	pd_lockinfo who, stale;
	pid_t pid;
	int ws;

	(void)state;
	assert_int_equal(pd_run_lock_take(&run, dir, "run-1", NULL, NULL), 0);
	assert_int_equal(pd_track_claim(run, dir, 7), 0);
	assert_int_equal(access(tl, F_OK), -1); /* no file per track */
	assert_int_equal(pd_lock_probe(&who, p), 0);
	assert_true(who.held);
	assert_true(who.has_track);
	assert_int_equal(who.track, 7);
	assert_string_equal(who.run_id, "run-1");
	pd_lockinfo_clear(&who);
	/* `packet` on that track, from another process: refused, the run named */
	parents[0] = p;
	parents[1] = tl;
	parents[2] = run;
	pid = fork();
	if (pid == 0) {
		pd_lock *x = NULL;
		int rc = pd_track_lock_take(&x, dir, 7, "pkt", &stale);

		_exit(rc == PD_ELOCKED && !x && strstr(pd_error_last(), "track 7 is being executed by the run of pid ") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_int_equal(WEXITSTATUS(ws), 0);
	/* and it let its own lock go again */
	assert_int_equal(pd_lock_probe(&who, tl), 0);
	assert_false(who.held);
	/* another track is free to take */
	assert_int_equal(pd_track_lock_take(&own, dir, 8, "pkt", &stale), 0);
	assert_int_equal(stale.pid, 0);
	pd_lock_release(own);
	/* the run is done with track 7: `packet` may take it */
	pd_track_unclaim(run);
	assert_int_equal(pd_lock_probe(&who, p), 0);
	assert_true(who.held);
	assert_false(who.has_track);
	pd_lockinfo_clear(&who);
	assert_int_equal(pd_track_lock_take(&own, dir, 7, "pkt", NULL), 0);
	/* and while it holds it, the run's claim is refused, its name taken back */
	assert_int_equal(pd_track_claim(run, dir, 7), PD_ELOCKED);
	assert_non_null(strstr(pd_error_last(), "track-7.lock is held by pid "));
	assert_int_equal(pd_lock_probe(&who, p), 0);
	assert_false(who.has_track);
	pd_lockinfo_clear(&who);
	pd_lock_release(own);
	assert_int_equal(pd_track_claim(run, dir, 7), 0);
	/* a run lock let go names nothing */
	pd_lock_release(run);
	assert_int_equal(pd_track_lock_take(&own, dir, 7, "pkt", NULL), 0);
	pd_lock_release(own);
	free(p);
	free(tl);
}

/* Until /proc/PID/comm is `name`. */
static void wait_for_exec(pid_t pid, const char *name)
{
	char path[64], comm[64] = "";
	int i;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	for (i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		struct timespec t = {0, 10 * 1000000L};

		if (f && fgets(comm, sizeof(comm), f) && strncmp(comm, name, strlen(name)) == 0) {
			fclose(f);
			return;
		}
		if (f)
			fclose(f);
		nanosleep(&t, NULL);
	}
	fail_msg("pid %ld never ran %s", (long)pid, name);
}

static void a_runner_never_inherits_the_lock(void **state)
{
	char *p = lock_path();
	pd_lock *l = NULL;
	int report[2];
	pid_t pid, grandchild = 0;

	(void)state;
	/* close-on-exec: the exec'd grandchild must not keep the pipe open,
	 * or a failure of the child would leave the read below waiting */
	assert_int_equal(pipe2(report, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		pd_lock *x = NULL;
		pid_t g;

		if (pd_lock_take(&x, p, "r", NULL, NULL) != 0)
			_exit(1);
		g = fork();
		if (g == 0) {
			execlp("sleep", "sleep", "30", (char *)NULL);
			_exit(127);
		}
		if (write(report[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		_exit(0); /* dies holding the lock; its exec'd child lives on */
	}
	close(report[1]);
	report[1] = -1;
	assert_int_equal(read(report[0], &grandchild, sizeof(grandchild)), sizeof(grandchild));
	waitpid(pid, NULL, 0);
	wait_for_exec(grandchild, "sleep"); /* until exec, the fork's copy is still open */
	assert_int_equal(kill(grandchild, 0), 0); /* the runner still runs... */
	{
		/* ...without the lock. The close-on-exec close completes just
		 * after exec: allow it a moment (an inherited lock would be held
		 * for the runner's whole 30 s) */
		int i, error = PD_ELOCKED;
		struct timespec t = {0, 20 * 1000000L};

		for (i = 0; i < 100 && (error = pd_lock_take(&l, p, "x", NULL, NULL)) == PD_ELOCKED; i++)
			nanosleep(&t, NULL);
		assert_int_equal(error, 0);
	}
	pd_lock_release(l);
	kill(grandchild, SIGKILL);
	close(report[0]);
	free(p);
}

static void a_symlink_is_not_a_lock(void **state)
{
	char *p = lock_path(), *target = t_path(dir, "elsewhere");
	pd_lock *l = NULL;

	(void)state;
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(pd_lock_take(&l, p, "r", NULL, NULL), PD_EIO);
	assert_int_equal(access(target, F_OK), -1); /* nothing created through it */
	free(p);
	free(target);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(take_then_refuse_with_the_holder_named, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(a_dead_holder_is_taken_over_and_named, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(a_runner_never_inherits_the_lock, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(a_symlink_is_not_a_lock, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(a_track_claimed_in_the_run_lock_or_held_by_its_own, t_setup, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
