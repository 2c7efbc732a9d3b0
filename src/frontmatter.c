/* frontmatter.c - libyaml event reader for packet frontmatter.
 *
 * libyaml 0.2.5 has no depth limit (64 KiB of "[" costs seconds), so depth
 * is counted here and parsing stops at PD_FRONTMATTER_MAX_DEPTH. Scalars
 * are taken with their reported length: "\x00" puts a NUL inside a value.
 */
#include "frontmatter.h"
#include "arena.h"
#include "packetdeck/pathutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_KEYS 256

typedef struct reader {
	pd_frontmatter *fm;
	pd_arena *arena;
	const char *path;
	unsigned first_line;
	pd_diags *diags;
	char *keys[MAX_KEYS];
	size_t nkeys;
	bool failed;
} reader;

static void PD_PRINTF(3, 4) problem(reader *r, size_t mark_line, const char *fmt, ...)
{
	char where[1024], msg[1024];
	va_list ap;

	snprintf(where, sizeof(where), "%s:%zu", r->path, mark_line + r->first_line);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pd_diags_add(r->diags, where, "%s", msg);
	r->failed = true;
}

static bool is_int(const char *s)
{
	size_t i = 0;

	if (!s[0] || strlen(s) > 10)
		return false;
	for (; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return strtol(s, NULL, 10) <= 2147483647L;
}

/* Store the value of a known key; `key` is the key scalar's text. */
static void take_value(reader *r, const char *key, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	unsigned line = (unsigned)ev->start_mark.line + r->first_line;
	pd_frontmatter *fm = r->fm;
	char **slot = NULL;
	unsigned *line_slot = NULL;

	if (strcmp(key, "track") == 0) {
		if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !is_int(v)) {
			problem(r, ev->start_mark.line, "frontmatter \"track\" must be an integer, not \"%s\"", v);
			return;
		}
		fm->track = strtol(v, NULL, 10);
		fm->line_track = line;
		return;
	}
	if (strcmp(key, "format_version") == 0)
		slot = &fm->format_version;
	else if (strcmp(key, "feature") == 0)
		slot = &fm->feature, line_slot = &fm->line_feature;
	else if (strcmp(key, "worktree") == 0)
		slot = &fm->worktree, line_slot = &fm->line_worktree;
	else if (strcmp(key, "branch") == 0)
		slot = &fm->branch, line_slot = &fm->line_branch;
	else
		return; /* unknown keys are ignored */
	if (pd_find_control(v)) {
		problem(r, ev->start_mark.line, "frontmatter \"%s\" contains a control character", key);
		return;
	}
	*slot = pd_arena_strdup(r->arena, v);
	if (line_slot)
		*line_slot = line;
}

static bool known_key(const char *key)
{
	return strcmp(key, "track") == 0 || strcmp(key, "format_version") == 0 ||
	       strcmp(key, "feature") == 0 || strcmp(key, "worktree") == 0 ||
	       strcmp(key, "branch") == 0;
}

/* A new top-level key: refuse duplicates and too many keys. */
static bool add_key(reader *r, const yaml_event_t *ev)
{
	const char *key = (const char *)ev->data.scalar.value;
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		if (strcmp(r->keys[i], key) == 0) {
			problem(r, ev->start_mark.line, "duplicate frontmatter key \"%s\"", key);
			return false;
		}
	if (r->nkeys == MAX_KEYS) {
		problem(r, ev->start_mark.line, "frontmatter has more than %d keys", MAX_KEYS);
		return false;
	}
	r->keys[r->nkeys++] = strdup(key);
	return true;
}

/* Refuse what a flat metadata block never needs: aliases, anchors, tags. */
static bool refused(reader *r, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		problem(r, ev->start_mark.line, "YAML aliases are not allowed in frontmatter");
		return true;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		return false;
	}
	if (anchor) {
		problem(r, ev->start_mark.line, "YAML anchors are not allowed in frontmatter");
		return true;
	}
	if (tag) {
		problem(r, ev->start_mark.line, "YAML tags are not allowed in frontmatter (%s)",
			(const char *)tag);
		return true;
	}
	return false;
}

void pd_frontmatter_parse(pd_frontmatter *fm, pd_arena *arena, const char *text, size_t len,
			  unsigned first_line, const char *path, pd_diags *diags)
{
	reader r = {fm, arena, path, first_line, diags, {NULL}, 0, false};
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, documents = 0;
	bool expect_key = true, done = false;
	char *key = NULL; /* the current top-level key */

	fm->present = true;
	if (len > PD_FRONTMATTER_MAX_BYTES) {
		problem(&r, 0, "frontmatter is larger than %u bytes", PD_FRONTMATTER_MAX_BYTES);
		return;
	}
	if (!yaml_parser_initialize(&parser)) {
		problem(&r, 0, "cannot initialise the YAML parser");
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && !r.failed) {
		if (!yaml_parser_parse(&parser, &ev)) {
			problem(&r, parser.problem_mark.line, "frontmatter is not valid YAML: %s",
				parser.problem ? parser.problem : "parse error");
			break;
		}
		if (refused(&r, &ev)) {
			yaml_event_delete(&ev);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1)
				problem(&r, ev.start_mark.line, "frontmatter holds more than one YAML document");
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (++depth > PD_FRONTMATTER_MAX_DEPTH) {
				problem(&r, ev.start_mark.line, "frontmatter is nested deeper than %d levels", PD_FRONTMATTER_MAX_DEPTH);
			} else if (depth == 1 && ev.type != YAML_MAPPING_START_EVENT) {
				problem(&r, ev.start_mark.line, "frontmatter must be a mapping of keys to values");
			} else if (depth == 2 && key && known_key(key)) {
				problem(&r, ev.start_mark.line, "frontmatter \"%s\" must be a single value", key);
			}
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			if (--depth == 1)
				expect_key = true; /* a nested value ended */
			break;
		case YAML_SCALAR_EVENT: {
			const char *v = (const char *)ev.data.scalar.value;

			if (strlen(v) != ev.data.scalar.length) {
				problem(&r, ev.start_mark.line, "NUL character in frontmatter");
			} else if (depth == 0) {
				/* An empty frontmatter is a document holding one empty scalar. */
				if (ev.data.scalar.length > 0)
					problem(&r, ev.start_mark.line, "frontmatter must be a mapping of keys to values");
			} else if (depth == 1 && expect_key) {
				free(key);
				key = add_key(&r, &ev) ? strdup(v) : NULL;
				expect_key = false;
			} else if (depth == 1) {
				if (key)
					take_value(&r, key, &ev);
				expect_key = true;
			}
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	free(key);
	while (r.nkeys > 0)
		free(r.keys[--r.nkeys]);
}

