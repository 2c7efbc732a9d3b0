/* floor.c - the least any durable executor must spend per one-task track on
 * this machine: start `/bin/sh -c true` (what ninja does per edge) and make
 * two small files durable the way packetdeck does (write, fsync, rename,
 * fsync the directory): the track's checkpoint and its completion marker,
 * files of their own for each track (track-N.checkpoint.json,
 * track-N.completion.json), as the protocol has them.
 * With a third argument `locks`, each write also takes upstream's
 * `<target>.lock` as packetdeck honours it (a hard link to a file holding
 * the writer's pid, made before the write and removed after it): not part
 * of the floor, a row of its own that shows what the convention costs.
 * Prints milliseconds per track. Used by bench_run.py in the same run. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int locks; /* take upstream's <target>.lock around each write */

static int durable(int dir, const char *name)
{
	char lock[80];
	int f, ok;

	snprintf(lock, sizeof(lock), "%s.lock", name);
	if (locks && linkat(dir, "writer", dir, lock, 0) != 0)
		return -1;
	f = openat(dir, "floor.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f < 0 || write(f, "{\"track_id\":1}\n", 15) != 15 || fsync(f) != 0 || close(f) != 0)
		return -1;
	ok = renameat(dir, "floor.tmp", dir, name) == 0 && fsync(dir) == 0 ? 0 : -1;
	if (locks && unlinkat(dir, lock, 0) != 0)
		return -1;
	return ok;
}

int main(int argc, char **argv)
{
	char *sh[] = {"/bin/sh", "-c", "true", NULL};
	int n = argc > 2 ? atoi(argv[2]) : 1000, dir, i, ws;
	double t0;

	if (argc < 2 || (dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "usage: floor DIR [N [locks]]\n");
		return 2;
	}
	locks = argc > 3 && strcmp(argv[3], "locks") == 0;
	if (locks) {
		int w = openat(dir, "writer", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		char pid[24];
		int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

		if (w < 0 || write(w, pid, (size_t)len) != len || close(w) != 0) {
			perror("floor");
			return 1;
		}
	}
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		char cp[64], mk[64];
		pid_t p;

		snprintf(cp, sizeof(cp), "track-%d.checkpoint.json", i + 1);
		snprintf(mk, sizeof(mk), "track-%d.completion.json", i + 1);
		if (posix_spawn(&p, sh[0], NULL, NULL, sh, environ) != 0 || waitpid(p, &ws, 0) != p ||
		    durable(dir, cp) < 0 || durable(dir, mk) < 0) {
			perror("floor");
			return 1;
		}
	}
	printf("%.3f\n", (now_ms() - t0) / n);
	return 0;
}
