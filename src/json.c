/* json.c - strict JSON parsing on top of cJSON (see json.h). */
#include "json.h"
#include "text.h"
#include "packetdeck/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail_at(const char *buf, const char *at, const char *file, const char *what)
{
	unsigned line, col;

	pd_text_locate(buf, (size_t)(at - buf), &line, &col);
	return pd_error_set(PD_EINVALID, "%s:%u:%u: %s", file, line, col, what);
}

/* One linear pass before cJSON sees the text: bytes (UTF-8, no NUL), then
 * structure (depth outside strings, no \u0000 inside them). A line and
 * column are computed only for what is reported. */
static int prescan(const char *buf, size_t len, const char *file, int max_depth)
{
	const char *p = buf, *end = buf + len, *what;
	size_t bad = pd_text_bad_offset(buf, len, &what);
	int depth = 0;

	if (bad < len)
		return fail_at(buf, buf + bad, file, what);
	for (; p < end; p++) {
		switch (*p) {
		case '"':
			/* skip the string; cJSON reports an unterminated one */
			for (p++; p < end && *p != '"'; p++) {
				if (*p != '\\' || p + 1 >= end)
					continue;
				if (p[1] == 'u' && end - p >= 6 && memcmp(p + 2, "0000", 4) == 0)
					return fail_at(buf, p, file, "\\u0000 in a string");
				p++;
			}
			break;
		case '[':
		case '{':
			if (++depth > max_depth) {
				char msg[64];

				snprintf(msg, sizeof(msg), "nested deeper than %d levels", max_depth);
				return fail_at(buf, p, file, msg);
			}
			break;
		case ']':
		case '}':
			depth--;
			break;
		default:
			break;
		}
	}
	return 0;
}

static void locate(const char *buf, const char *at, unsigned *line, unsigned *col)
{
	pd_text_locate(buf, (size_t)(at - buf), line, col);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first duplicated key of an object, or NULL. */
static const char *duplicate_key(const cJSON *object)
{
	const cJSON *a, *b;
	const char **keys, *dup = NULL;
	size_t n = 0, i;

	for (a = object->child; a; a = a->next)
		n++;
	if (n <= 16) {
		for (a = object->child; a && !dup; a = a->next)
			for (b = a->next; b; b = b->next)
				if (strcmp(a->string, b->string) == 0) {
					dup = a->string;
					break;
				}
		return dup;
	}
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return NULL;
	for (i = 0, a = object->child; a; a = a->next)
		keys[i++] = a->string;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 1; i < n && !dup; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			dup = keys[i];
	free(keys);
	return dup;
}

/* Depth is bounded by the prescan, so recursion is too. `path` is the JSON
 * path of `item` ("" for the root), for the message. */
static int check_keys(const cJSON *item, const char *file, char *path, size_t cap)
{
	const cJSON *child;
	size_t len = strlen(path);
	size_t index = 0;
	int error = 0;

	if (cJSON_IsObject(item)) {
		const char *dup = duplicate_key(item);

		if (dup)
			return pd_error_set(PD_EINVALID, "%s: %s%sduplicate key \"%s\"", file,
					    path, *path ? ": " : "", dup);
	}
	for (child = item->child; child && !error; child = child->next, index++) {
		if (!cJSON_IsObject(child) && !cJSON_IsArray(child))
			continue;
		if (cJSON_IsObject(item))
			snprintf(path + len, cap - len, "%s%s", len ? "." : "", child->string);
		else
			snprintf(path + len, cap - len, "[%zu]", index);
		error = check_keys(child, file, path, cap);
		path[len] = '\0';
	}
	return error;
}

int pd_json_parse(cJSON **out, const char *buf, size_t len, const char *file, int max_depth)
{
	const char *end = NULL;
	char path[512] = "";
	cJSON *root;
	int error;

	*out = NULL;
	if ((error = prescan(buf, len, file, max_depth)) < 0)
		return error;
	/* cJSON wants the terminating NUL inside the length to accept the end;
	 * the prescan refused any earlier NUL, so buf[len] is the first. */
	root = cJSON_ParseWithLengthOpts(buf, len + 1, &end, 1);
	if (!root) {
		unsigned line, col;
		cJSON *prefix = cJSON_ParseWithLengthOpts(buf, len + 1, NULL, 0);
		const char *what = prefix ? "unexpected text after the JSON value"
					  : (len == 0 ? "empty file, expected a JSON object"
						      : "not valid JSON");

		cJSON_Delete(prefix);
		if (!end || end < buf || end > buf + len)
			end = buf + len;
		locate(buf, end, &line, &col);
		return pd_error_set(PD_EINVALID, "%s:%u:%u: %s", file, line, col, what);
	}
	if ((error = check_keys(root, file, path, sizeof(path))) < 0) {
		cJSON_Delete(root);
		return error;
	}
	*out = root;
	return 0;
}

bool pd_json_int(const cJSON *item, int64_t min, int64_t max, int64_t *out)
{
	double d;

	if (!cJSON_IsNumber(item))
		return false;
	d = item->valuedouble;
	if (!(d >= (double)min && d <= (double)max))
		return false; /* also NaN and infinities */
	if ((double)(int64_t)d != d)
		return false;
	*out = (int64_t)d;
	return true;
}

const char *pd_json_type(const cJSON *item)
{
	if (!item)
		return "nothing";
	if (cJSON_IsString(item))
		return "a string";
	if (cJSON_IsNumber(item))
		return "a number";
	if (cJSON_IsBool(item))
		return "a boolean";
	if (cJSON_IsNull(item))
		return "null";
	if (cJSON_IsArray(item))
		return "an array";
	if (cJSON_IsObject(item))
		return "an object";
	return "an unknown value";
}

const cJSON *pd_json_get(const cJSON *object, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(object, key);
}

int pd_json_string(const cJSON *object, const char *key, const char **out)
{
	const cJSON *item = pd_json_get(object, key);

	*out = NULL;
	if (!item)
		return 0;
	if (!cJSON_IsString(item))
		return -1;
	*out = item->valuestring;
	return 1;
}

char *pd_json_strdup(const cJSON *object, const char *key)
{
	const char *s;

	return pd_json_string(object, key, &s) == 1 ? strdup(s) : NULL;
}
