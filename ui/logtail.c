/* logtail.c - read a log's last lines backwards (logtail.h). */
#define _GNU_SOURCE
#include "logtail.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 65536

void ui_lines_free(ui_lines *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	l->line = NULL;
	l->n = 0;
}

int ui_log_tail(ui_lines *out, const char *path, long skip, int n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	char *buf = NULL;   /* the part read so far: file[off .. end) */
	size_t have = 0;
	off_t off;
	long seen = 0;      /* complete lines found from the end */
	long nl = 0;        /* newlines in buf */
	bool final_nl = false; /* the file ends with one: it ends a line, it starts none */
	int error = -1;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || n <= 0)
		goto done;
	if (!(out->line = calloc((size_t)n, sizeof(char *))))
		goto done;
	off = st.st_size;
	/* read blocks backwards until skip + n + 1 newlines are in the buffer */
	while (off > 0) {
		size_t want = off >= BLOCK ? BLOCK : (size_t)off, i;
		char *grown = malloc(have + want);

		if (!grown)
			goto done;
		off -= (off_t)want;
		if (pread(fd, grown, want, off) != (ssize_t)want) {
			free(grown);
			goto done;
		}
		if (have)
			memcpy(grown + want, buf, have);
		free(buf);
		buf = grown;
		if (!have)
			final_nl = want && buf[want - 1] == '\n';
		have += want;
		for (i = 0; i < want; i++)
			nl += buf[i] == '\n';
		if (nl - final_nl > skip + n)
			break;
	}
	{
		/* split from the end */
		size_t e = have;
		long k = 0;

		if (e > 0 && buf[e - 1] == '\n')
			e--;
		while (e > 0 || (k == 0 && have > 0)) {
			size_t s = e;

			while (s > 0 && buf[s - 1] != '\n')
				s--;
			if (s == 0 && off > 0)
				break; /* a partial line at the block's start: enough read */
			if (k >= skip && out->n < n) {
				/* memcpy, not strndup: the buffer has no NUL */
				char *line = malloc(e - s + 1);

				if (!line)
					goto done;
				memcpy(line, buf + s, e - s);
				line[e - s] = '\0';
				out->line[out->n++] = line;
			}
			k++;
			if (s == 0)
				break;
			e = s - 1;
			if (out->n == n)
				break;
		}
		seen = k;
	}
	/* oldest first */
	{
		int i;

		for (i = 0; i < out->n / 2; i++) {
			char *t = out->line[i];

			out->line[i] = out->line[out->n - 1 - i];
			out->line[out->n - 1 - i] = t;
		}
	}
	out->total_known = seen;
	error = 0;
done:
	free(buf);
	close(fd);
	if (error < 0)
		ui_lines_free(out);
	return error;
}
