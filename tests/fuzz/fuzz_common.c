/* fuzz_common.c - the scratch dir of the harnesses (fuzz.h). */
#define _GNU_SOURCE
#include "fuzz.h"
#include "packetdeck/fsio.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *scratch;

static void cleanup(void)
{
	if (scratch)
		pd_remove_tree(scratch);
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
