/* faultlib.c - an LD_PRELOAD library for tests/cli/test_faults.sh: makes
 * rename() and renameat2() fail end to end, in the real binary and its
 * runner children.
 *
 *   PD_FAULT_RENAME=SUFFIX     a rename onto a path ending in SUFFIX fails
 *   PD_FAULT_ERRNO=N           with this errno (default EIO)
 *   PD_FAULT_SKIP=N            after the first N such renames succeeded
 *
 * and holds a process at one open(), for an order of events a test needs:
 *
 *   PD_PAUSE_OPEN=SUFFIX       an open() of a path ending in SUFFIX waits:
 *   PD_PAUSE_SKIP=N            after the first N such opens went through,
 *   PD_PAUSE_DIR=DIR           it creates DIR/paused, then waits until
 *                              DIR/go exists (once per process)
 *
 * Counting is per process. Nothing else is touched. Never linked into
 * packetdeck itself.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rename(const char *from, const char *to);
int open(const char *path, int flags, ...);
int open64(const char *path, int flags, ...);
int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned flags);

static int matches(const char *to)
{
	const char *suffix = getenv("PD_FAULT_RENAME");
	size_t ls, lt;

	if (!suffix || !*suffix || !to)
		return 0;
	ls = strlen(suffix);
	lt = strlen(to);
	return lt >= ls && strcmp(to + lt - ls, suffix) == 0;
}

/* Whether this rename onto `to` is to fail (errno set). */
static int fault(const char *to)
{
	static long seen;
	const char *skip = getenv("PD_FAULT_SKIP"), *err = getenv("PD_FAULT_ERRNO");

	if (!matches(to) || seen++ < (skip ? atol(skip) : 0))
		return 0;
	errno = err ? atoi(err) : EIO;
	return 1;
}

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);

	if (fault(to))
		return -1;
	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	return real(from, to);
}

int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned flags)
{
	static int (*real)(int, const char *, int, const char *, unsigned);

	if (fault(to))
		return -1;
	if (!real)
		real = (int (*)(int, const char *, int, const char *, unsigned))dlsym(RTLD_NEXT,
											"renameat2");
	return real(fromfd, from, tofd, to, flags);
}

/* Hold here when this open is the one to pause at. */
static void pause_at(const char *path)
{
	static long seen;
	static int done;
	const char *suffix = getenv("PD_PAUSE_OPEN"), *skip = getenv("PD_PAUSE_SKIP");
	const char *dir = getenv("PD_PAUSE_DIR");
	char mark[4096];
	size_t ls, lp;
	int fd;

	if (done || !suffix || !*suffix || !dir || !path)
		return;
	ls = strlen(suffix);
	lp = strlen(path);
	if (lp < ls || strcmp(path + lp - ls, suffix) != 0 || seen++ < (skip ? atol(skip) : 0))
		return;
	done = 1;
	snprintf(mark, sizeof(mark), "%s/paused", dir);
	fd = (int)syscall(SYS_openat, AT_FDCWD, mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	snprintf(mark, sizeof(mark), "%s/go", dir);
	while (access(mark, F_OK) != 0)
		usleep(10000);
}

int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	pause_at(path);
	return real(path, flags, mode);
}

/* the same function under its large-file name (one and the same in libc) */
int open64(const char *path, int flags, ...) __attribute__((alias("open")));
