/* faultlib.c - an LD_PRELOAD library for tests/cli/test_faults.sh: makes
 * rename() and renameat2() fail end to end, in the real binary and its
 * runner children.
 *
 *   PD_FAULT_RENAME=SUFFIX     a rename onto a path ending in SUFFIX fails
 *   PD_FAULT_ERRNO=N           with this errno (default EIO)
 *   PD_FAULT_SKIP=N            after the first N such renames succeeded
 *
 * Counting is per process. Nothing else is touched. Never linked into
 * packetdeck itself.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rename(const char *from, const char *to);
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
