/* pathutil.c - lexical path cleaning and the character rules (pathutil.h). */
#include "packetdeck/pathutil.h"

#include <stdlib.h>
#include <string.h>

char *pd_path_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	bool slash = la > 0 && a[la - 1] != '/';
	char *s = malloc(la + lb + 2);

	if (!s)
		return NULL;
	memcpy(s, a, la);
	if (slash)
		s[la++] = '/';
	memcpy(s + la, b, lb + 1);
	return s;
}

char *pd_path_clean(const char *path, bool *escapes)
{
	size_t len = strlen(path);
	bool absolute = path[0] == '/';
	/* Output never grows, except "." for an empty relative result. */
	char *out = malloc(len + 2);
	size_t o = 0, floor = 0; /* floor: output before it is leading ".."s or "/" */
	const char *p = path;

	if (escapes)
		*escapes = false;
	if (!out)
		return NULL;
	if (absolute) {
		out[o++] = '/';
		floor = 1;
	}
	while (*p) {
		const char *start, *end;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != '/')
			p++;
		end = p;
		n = (size_t)(end - start);
		if (n == 1 && start[0] == '.')
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			if (o > floor) {
				/* drop the last component */
				while (o > floor && out[o - 1] != '/')
					o--;
				if (o > floor)
					o--; /* the slash before it */
				continue;
			}
			if (absolute)
				continue; /* "/.." is "/" */
			if (escapes)
				*escapes = true;
			if (o > 0)
				out[o++] = '/';
			out[o++] = '.';
			out[o++] = '.';
			floor = o;
			continue;
		}
		if (o > 0 && out[o - 1] != '/')
			out[o++] = '/';
		memcpy(out + o, start, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

bool pd_path_within(const char *child, const char *parent)
{
	size_t lp = strlen(parent);

	if (lp == 1 && parent[0] == '/')
		return child[0] == '/';
	return strncmp(child, parent, lp) == 0 && (child[lp] == '\0' || child[lp] == '/');
}

const char *pd_path_below(const char *path, const char *dir)
{
	size_t ld = strlen(dir);

	return strncmp(path, dir, ld) == 0 && path[ld] == '/' && path[ld + 1] ? path + ld + 1 : NULL;
}

const char *pd_find_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return s;
	return NULL;
}

const char *pd_find_shell_meta(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || strchr("`$;&|<>(){}!\\\"'", *s))
			return s;
	return NULL;
}
