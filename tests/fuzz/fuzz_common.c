/* fuzz_common.c - the scratch dir of the harnesses (fuzz.h). */
#define _GNU_SOURCE
#include "fuzz.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *scratch;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (scratch)
		nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(scratch);
	scratch = NULL;
}

const char *fuzz_dir(void)
{
	if (!scratch) {
		const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

		if (asprintf(&scratch, "%s/pdfuzz.XXXXXX", base) < 0 || !mkdtemp(scratch))
			abort();
		atexit(cleanup);
	}
	return scratch;
}

void fuzz_write(const char *name, const uint8_t *data, size_t size)
{
	char path[4096];
	char *slash;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	if ((slash = strrchr(path, '/')) && slash > path + strlen(fuzz_dir())) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		abort();
	while (size) {
		ssize_t n = write(fd, data, size);

		if (n <= 0)
			abort();
		data += n;
		size -= (size_t)n;
	}
	close(fd);
}
