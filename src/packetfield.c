/* packetfield.c - what the lines of a task say (packet_int.h): Files:
 * (inline, or a list after "Files to modify/create:" or a bare
 * "**Files:**"), Acceptance:, Run:, and the title on the line after a
 * header that had none. */
#include "packet_int.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Strip one pair of surrounding backticks: "`make test`" -> "make test". */
static span unquote(span x)
{
	if (x.e - x.s >= 2 && x.s[0] == '`' && x.e[-1] == '`' &&
	    !memchr(x.s + 1, '`', (size_t)(x.e - x.s - 2)))
		return trim((span){x.s + 1, x.e - 1});
	return x;
}

static void add_files(parser *ps, pd_task *t, span list)
{
	const char *p = list.s;

	while (p <= list.e) {
		const char *comma = memchr(p, ',', (size_t)(list.e - p));
		span item = trim((span){p, comma ? comma : list.e});

		item = unquote(item);
		if (item.e > item.s)
			pk_push_str(&t->files, &t->nfiles, dup_span(ps, item));
		if (!comma)
			break;
		p = comma + 1;
	}
}

/* A list item's text without its marker ("- ", "* ", "+ ", "1. ") and a
 * checkbox; false if the line is not a list item. */
static bool list_item(span line, span *text)
{
	span x = trim(line);
	const char *p = x.s;

	if (x.e - x.s >= 2 && strchr("-*+", *p) && (p[1] == ' ' || p[1] == '\t')) {
		p += 2;
	} else {
		while (p < x.e && isdigit((unsigned char)*p))
			p++;
		if (p == x.s || p - x.s > 9 || p + 1 >= x.e || (*p != '.' && *p != ')') ||
		    (p[1] != ' ' && p[1] != '\t'))
			return false;
		p += 2;
	}
	x = trim((span){p, x.e});
	if (starts(x, "[ ] ") || starts(x, "[x] ") || starts(x, "[X] "))
		x = trim((span){x.s + 4, x.e});
	*text = x;
	return true;
}

/* A path as written in a list: without a line range ("a.py:12-40"). */
static void add_path(parser *ps, pd_task *t, span x)
{
	const char *p = x.e;

	while (p > x.s && (isdigit((unsigned char)p[-1]) || p[-1] == '-'))
		p--;
	if (p < x.e && p > x.s + 1 && p[-1] == ':' && isdigit((unsigned char)*p))
		x.e = p - 1;
	x = trim(x);
	if (x.e > x.s)
		pk_push_str(&t->files, &t->nfiles, dup_span(ps, x));
}

/* What a list item under "Files to modify/create:" or "**Files:**" names:
 *   - `src/a.py` — what changes          (the quoted names before the text)
 *   - Create: `a.py`, `b.py`             (a verb first: Create, Modify, Test...)
 *   - Modify: src/a.py:120-140 (the handler)
 *   - src/a.py - why
 * An unquoted name with a space in it is prose, not a file. */
static void files_item(parser *ps, span x)
{
	static const char *verbs[] = {"create", "modify", "update", "test", "tests", "new",
				      "delete", "remove", "edit", "add", "change", "rename", "move"};
	const char *colon = memchr(x.s, ':', (size_t)(x.e - x.s));
	size_t k;

	if (colon && colon + 1 < x.e && (colon[1] == ' ' || colon[1] == '\t'))
		for (k = 0; k < sizeof(verbs) / sizeof(*verbs); k++)
			if ((size_t)(colon - x.s) == strlen(verbs[k]) &&
			    strncasecmp(x.s, verbs[k], strlen(verbs[k])) == 0) {
				x = trim((span){colon + 1, x.e});
				break;
			}
	if (starts(x, "`")) {
		const char *p = x.s;

		while (p < x.e && *p == '`') {
			const char *close = memchr(p + 1, '`', (size_t)(x.e - p - 1));

			if (!close)
				return;
			add_path(ps, ps->task, trim((span){p + 1, close}));
			p = close + 1;
			while (p < x.e && (*p == ',' || *p == ' ' || *p == '\t'))
				p++;
		}
		return;
	}
	{
		static const char *ends[] = {" \xe2\x80\x94 ", " \xe2\x80\x93 ", " - ", " (", ": "};
		const char *end = x.e, *p, *comma;
		size_t e;

		for (e = 0; e < sizeof(ends) / sizeof(*ends); e++) {
			size_t n = strlen(ends[e]);

			for (p = x.s; p + n <= end; p++)
				if (memcmp(p, ends[e], n) == 0) {
					end = p;
					break;
				}
		}
		for (p = x.s; p < end; p = comma + 1) {
			span item;

			comma = memchr(p, ',', (size_t)(end - p));
			if (!comma)
				comma = end;
			item = trim((span){p, comma});
			if (item.e > item.s && !memchr(item.s, ' ', (size_t)(item.e - item.s)) &&
			    !memchr(item.s, '\t', (size_t)(item.e - item.s)))
				add_path(ps, ps->task, item);
		}
	}
}

/* Does the text start with a task field's key ("Acceptance:", "**Run:**")? */
static bool field_key(span x)
{
	if (starts(x, "**"))
		x.s += 2;
	return starts(x, "Files:") || starts(x, "File:") || starts(x, "Acceptance:") ||
	       starts(x, "Run:") || ((size_t)(x.e - x.s) > 9 && strncasecmp(x.s, "files to ", 9) == 0);
}

/* A line while a files list is open: true if it belonged to the list. A
 * blank line, an item, or a deeper line (an item's continuation or
 * sub-list) belongs; anything else ends the list. */
bool pk_files_line(parser *ps, span line)
{
	span x = trim(line), text;
	size_t indent = (size_t)(x.s - line.s);

	if (x.s == x.e)
		return true;
	if (list_item(line, &text) && !field_key(text)) {
		if (ps->files_indent == SIZE_MAX)
			ps->files_indent = indent;
		if (indent <= ps->files_indent) {
			files_item(ps, text);
			return true;
		}
	}
	if (ps->files_indent != SIZE_MAX && indent > ps->files_indent)
		return true;
	ps->in_files = false;
	return false;
}

/* "Files to modify/create:" (also "Files to create:", any case, bold or a
 * list item): a files list follows, or its names are on the line. */
static bool files_to_header(parser *ps, span x)
{
	span value;
	const char *p;

	if (x.e - x.s < 10 || strncasecmp(x.s, "files to ", 9) != 0)
		return false;
	for (p = x.s + 9; p < x.e && (isalpha((unsigned char)*p) || *p == '/' || *p == ' '); p++)
		;
	if (starts((span){p, x.e}, "**:"))
		p += 2; /* "**Files to modify/create**:" */
	if (p >= x.e || *p != ':' || p - x.s > 48)
		return false;
	value = trim((span){p + 1, x.e});
	if (starts(value, "**"))
		value = trim((span){value.s + 2, value.e});
	if (value.e > value.s) {
		add_files(ps, ps->task, value);
	} else {
		ps->in_files = true;
		ps->files_indent = SIZE_MAX;
	}
	return true;
}

/* "Key: value", "- Key: value", "**Key:** value": a field of the task.
 * True if the line is one. */
bool pk_task_field(parser *ps, span line, unsigned lineno)
{
	static const char *keys[] = {"Files", "File", "Acceptance", "Run"};
	span x = trim(line), value;
	size_t k, n;
	bool bold;

	if (x.e - x.s >= 2 && strchr("-*+", *x.s) && (x.s[1] == ' ' || x.s[1] == '\t'))
		x = trim((span){x.s + 2, x.e});
	bold = starts(x, "**");
	if (bold)
		x.s += 2;
	if (files_to_header(ps, x))
		return true;
	for (k = 0; k < sizeof(keys) / sizeof(*keys); k++) {
		n = strlen(keys[k]);
		if (!starts(x, keys[k]) || x.s + n >= x.e || x.s[n] != ':')
			continue;
		value.s = x.s + n + 1;
		if (bold) {
			if (!starts((span){value.s, x.e}, "**"))
				continue;
			value.s += 2;
		}
		value = trim((span){value.s, x.e});
		break;
	}
	if (k == sizeof(keys) / sizeof(*keys))
		return false;
	if (k <= 1 && value.e == value.s) {
		/* "**Files:**" alone: the names are the list that follows */
		ps->in_files = true;
		ps->files_indent = SIZE_MAX;
	} else if (k <= 1) {
		add_files(ps, ps->task, value);
	} else if (k == 2) {
		const char *old = ps->task->acceptance;

		if (!old) {
			ps->task->acceptance = dup_span(ps, value);
		} else {
			/* a second Acceptance: line joins the first on a new line */
			size_t lo = strlen(old), lv = (size_t)(value.e - value.s);
			char *joined = malloc(lo + lv + 1);

			if (joined) {
				memcpy(joined, old, lo);
				joined[lo] = '\n';
				memcpy(joined + lo + 1, value.s, lv);
				ps->task->acceptance = pd_arena_strndup(ps->arena, joined, lo + lv + 1);
				free(joined);
			}
		}
	} else {
		value = unquote(value);
		if (value.e == value.s)
			pk_problem(ps, lineno, "task %s: empty Run: command", ps->task->id);
		else
			pk_add_command(ps, dup_span(ps, value), lineno);
	}
	return true;
}

/* The first line after a header without a title, when it is not a
 * field: a plain line (not a list item, a quote or a table) is the title,
 * its bold or emphasis dropped. */
void pk_title_line(parser *ps, span line)
{
	span x = trim(line), text;

	if (x.s == x.e)
		return; /* still waiting */
	ps->want_title = false;
	if (list_item(line, &text) || *x.s == '>' || *x.s == '|' || *x.s == '<')
		return;
	while (x.e - x.s >= 2 && ((x.s[0] == '*' && x.e[-1] == '*') || (x.s[0] == '_' && x.e[-1] == '_')))
		x = (span){x.s + 1, x.e - 1};
	x = trim(x);
	if (x.e > x.s)
		ps->task->title = dup_span(ps, x);
}
