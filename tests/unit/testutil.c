/* testutil.c - helpers for the unit tests (see test.h). */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/fsio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *dir;

int t_setup(void **state)
{
	(void)state;
	dir = t_tmpdir();
	return 0;
}

int t_teardown(void **state)
{
	(void)state;
	t_rmrf(dir);
	free(dir);
	dir = NULL;
	return 0;
}

char *t_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = NULL;

	assert_true(asprintf(&tmpl, "%s/pdtest.XXXXXX", base && *base ? base : "/tmp") > 0);
	assert_non_null(mkdtemp(tmpl));
	return tmpl;
}

char *t_path(const char *base, const char *name)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", base, name) > 0);
	return p;
}

static void mkdirs_for(char *path)
{
	char *slash = path;

	while ((slash = strchr(slash + 1, '/')) != NULL) {
		*slash = '\0';
		if (mkdir(path, 0755) != 0)
			assert_int_equal(errno, EEXIST);
		*slash = '/';
	}
}

void t_write(const char *base, const char *name, const char *content)
{
	char *p = t_path(base, name);
	FILE *f;

	mkdirs_for(p);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
	free(p);
}

void t_rmrf(const char *base)
{
	assert_int_equal(pd_remove_tree(base), 0);
}

bool t_has_diag(const pd_diags *d, const char *where_suffix, const char *message)
{
	size_t i;

	for (i = 0; i < d->count; i++) {
		const char *w = d->items[i].where ? d->items[i].where : "";
		size_t lw = strlen(w), ls = where_suffix ? strlen(where_suffix) : 0;

		if (where_suffix && (lw < ls || strcmp(w + lw - ls, where_suffix) != 0))
			continue;
		if (strstr(d->items[i].message, message))
			return true;
	}
	fprintf(stderr, "no diagnostic [%s] \"%s\" among %zu:\n", where_suffix ? where_suffix : "*",
		message, d->count);
	for (i = 0; i < d->count; i++)
		fprintf(stderr, "  %s: %s\n", d->items[i].where ? d->items[i].where : "-",
			d->items[i].message);
	return false;
}

void t_packet_dir(const char *base, const char *tracks_json, int npackets)
{
	char *manifest = NULL, name[64], body[256];
	int i;

	assert_true(asprintf(&manifest,
			     "{\"format_version\":\"1.0.0\",\"feature\":\"f\",\"tracks\":[%s],"
			     "\"merge_strategy\":\"worktree-merge\",\"post_merge_qa\":[]}\n",
			     tracks_json) > 0);
	t_write(base, "manifest.json", manifest);
	free(manifest);
	for (i = 1; i <= npackets; i++) {
		snprintf(name, sizeof(name), "track-%d.md", i);
		snprintf(body, sizeof(body), "## Tasks\n\n### Task %d.1: first\nRun: true\n\n"
			 "### Task %d.2: second\nRun: true\n", i, i);
		t_write(base, name, body);
	}
}

void t_sh(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[2048], full[2300];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full),
		 "cd '%s' && export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t "
		 "GIT_COMMITTER_EMAIL=t@x GIT_CONFIG_NOSYSTEM=1 HOME='%s' && (%s) 2>&1",
		 dir, dir, cmd);
	p = popen(full, "r");
	assert_non_null(p);
	if (out) {
		out[0] = '\0';
		if (fgets(out, (int)cap, p))
			out[strcspn(out, "\n")] = '\0';
	}
	while (fgetc(p) != EOF)
		;
	if (pclose(p) != 0)
		fail_msg("command failed: %s", cmd);
}
