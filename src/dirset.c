/* dirset.c - a hash set of a directory's regular file names (dirset.h). */
#define _GNU_SOURCE /* fdopendir on a dup, DT_REG */
#include "dirset.h"
#include "arena.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pd_dirset {
	pd_arena *names;
	const char **slots; /* open addressing, NULL = empty */
	size_t mask, count;
};

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static bool grow(pd_dirset *s)
{
	size_t cap = (s->mask + 1) * 2, i;
	const char **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return false;
	for (i = 0; i <= s->mask; i++) {
		size_t h;

		if (!s->slots[i])
			continue;
		for (h = hash_name(s->slots[i]) & (cap - 1); slots[h]; h = (h + 1) & (cap - 1))
			;
		slots[h] = s->slots[i];
	}
	free(s->slots);
	s->slots = slots;
	s->mask = cap - 1;
	return true;
}

static bool add(pd_dirset *s, const char *name)
{
	char *copy;
	size_t h;

	if ((s->count + 1) * 2 > s->mask + 1 && !grow(s))
		return false;
	if (!(copy = pd_arena_strdup(s->names, name)))
		return false;
	for (h = hash_name(name) & s->mask; s->slots[h]; h = (h + 1) & s->mask)
		;
	s->slots[h] = copy;
	s->count++;
	return true;
}

pd_dirset *pd_dirset_read(int dir_fd)
{
	pd_dirset *s = calloc(1, sizeof(*s));
	int fd = dup(dir_fd);
	DIR *d = NULL;
	struct dirent *e;

	if (!s || fd < 0)
		goto fail;
	s->mask = 255;
	s->slots = calloc(s->mask + 1, sizeof(*s->slots));
	s->names = pd_arena_new(64u << 10);
	if (!s->slots || !s->names || !(d = fdopendir(fd)))
		goto fail;
	fd = -1; /* owned by d */
	rewinddir(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_type == DT_REG && !add(s, e->d_name))
			goto fail;
	closedir(d);
	return s;
fail:
	if (d)
		closedir(d);
	if (fd >= 0)
		close(fd);
	pd_dirset_free(s);
	return NULL;
}

bool pd_dirset_has_regular(const pd_dirset *s, const char *name)
{
	size_t h;

	for (h = hash_name(name) & s->mask; s->slots[h]; h = (h + 1) & s->mask)
		if (strcmp(s->slots[h], name) == 0)
			return true;
	return false;
}

void pd_dirset_free(pd_dirset *s)
{
	if (!s)
		return;
	free(s->slots);
	pd_arena_free(s->names);
	free(s);
}
