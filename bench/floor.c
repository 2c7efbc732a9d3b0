/* floor.c - the least any durable executor must spend per one-task track on
 * this machine: start `/bin/sh -c true` (what ninja does per edge) and make
 * two small files durable the way packetdeck does (write, fsync, rename,
 * fsync the directory): the track's checkpoint and its completion marker,
 * files of their own for each track (track-N.checkpoint.json,
 * track-N.completion.json), as the protocol has them.
 * Prints milliseconds per track. Used by bench_run.py in the same run. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
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

static int durable(int dir, const char *name)
{
	int f = openat(dir, "floor.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (f < 0 || write(f, "{\"track_id\":1}\n", 15) != 15 || fsync(f) != 0 || close(f) != 0)
		return -1;
	return renameat(dir, "floor.tmp", dir, name) == 0 && fsync(dir) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	char *sh[] = {"/bin/sh", "-c", "true", NULL};
	int n = argc > 2 ? atoi(argv[2]) : 1000, dir, i, ws;
	double t0;

	if (argc < 2 || (dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "usage: floor DIR [N]\n");
		return 2;
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
