/* packet.c - packet files: frontmatter split, task extraction (packet.h).
 *
 * A line scanner with two states that matter: inside a code fence or not,
 * inside a task or not. It never builds a markdown tree: packets can be
 * large boot prompts and only the task skeleton is needed.
 */
#include "packetdeck/packet.h"
#include "packetdeck/fsio.h"
#include "arena.h"
#include "frontmatter.h"
#include "text.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct span {
	const char *s, *e; /* [s, e) */
} span;

typedef struct parser {
	pd_packet *p;         /* in the arena */
	pd_arena *arena;      /* where the packet and all it holds live */
	pd_diags *diags;
	pd_task *tasks;       /* scratch, frozen into the arena at the end */
	size_t ntasks, cap_tasks;
	pd_task *task;        /* the open task, or NULL */
	unsigned task_heading; /* its heading level (0: not a heading) */
	bool want_title;      /* its header had no title: the next line may be it */
	bool in_files;        /* after "Files to modify/create:": list items are files */
	size_t files_indent;  /* the indent of that list's items; SIZE_MAX: none yet */
	/* an open fence */
	bool in_fence, fence_is_cmd;
	char fence_char;
	size_t fence_len, fence_indent;
	unsigned fence_line;
	char *block;          /* the command block being collected */
	size_t block_len;
} parser;

static void PD_PRINTF(3, 4) problem(parser *ps, unsigned line, const char *fmt, ...)
{
	char where[1024], msg[1024];
	va_list ap;

	if (line)
		snprintf(where, sizeof(where), "%s:%u", ps->p->path, line);
	else
		snprintf(where, sizeof(where), "%s", ps->p->path);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pd_diags_add(ps->diags, where, "%s", msg);
}

static span trim(span x)
{
	while (x.s < x.e && (*x.s == ' ' || *x.s == '\t'))
		x.s++;
	while (x.e > x.s && (x.e[-1] == ' ' || x.e[-1] == '\t'))
		x.e--;
	return x;
}

static bool starts(span x, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(x.e - x.s) >= n && memcmp(x.s, prefix, n) == 0;
}

/* A copy of the span in the packet's arena. */
static char *dup_span(parser *ps, span x)
{
	return pd_arena_strndup(ps->arena, x.s, (size_t)(x.e - x.s));
}

/* Heading level (1-6) of a line, 0 if it is not an ATX heading; *rest is
 * its text. */
static unsigned heading(span line, span *rest)
{
	span x = line;
	unsigned level = 0, indent = 0;

	while (x.s < x.e && *x.s == ' ' && indent < 3)
		x.s++, indent++;
	while (x.s < x.e && *x.s == '#' && level < 7)
		x.s++, level++;
	if (level == 0 || level > 6 || (x.s < x.e && *x.s != ' ' && *x.s != '\t'))
		return 0;
	*rest = trim(x);
	return level;
}

/* "Task ID" then `term`: sets *id and returns where the rest starts. */
static const char *task_word(span x, const char *term, span *id)
{
	const char *p;
	size_t tl = strlen(term);

	if (!starts(x, "Task"))
		return NULL;
	p = x.s + 4;
	if (p >= x.e || (*p != ' ' && *p != '\t'))
		return NULL;
	while (p < x.e && (*p == ' ' || *p == '\t'))
		p++;
	id->s = p;
	if (p >= x.e || !isalnum((unsigned char)*p))
		return NULL;
	while (p < x.e && (isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-'))
		p++;
	id->e = p;
	if ((size_t)(x.e - p) < tl || memcmp(p, term, tl) != 0)
		return NULL;
	return p + tl;
}

/* Is this line a task header? Sets id, title, checked, and *level (the
 * heading level for "### Task", else 0). */
static bool task_header(span line, span *id, span *title, bool *checked, unsigned *level)
{
	span x = trim(line), rest;
	const char *after;
	bool checkbox = false;

	*checked = false;
	*level = heading(line, &rest);
	if (*level) {
		if (*level < 2 || *level > 4)
			return false;
		after = task_word(rest, ":", id);
		if (!after) {
			/* "### Task 2.1" alone: the title is on a line of its own */
			after = task_word(rest, "", id);
			if (!after || after != rest.e || !isdigit((unsigned char)*id->s))
				return false;
		}
		*title = trim((span){after, rest.e});
		return true;
	}
	if (x.e - x.s >= 2 && strchr("-*+", *x.s) && (x.s[1] == ' ' || x.s[1] == '\t'))
		x = trim((span){x.s + 2, x.e});
	if (starts(x, "[ ] ") || starts(x, "[x] ") || starts(x, "[X] ")) {
		checkbox = true;
		*checked = x.s[1] != ' ';
		x = trim((span){x.s + 4, x.e});
	}
	if (starts(x, "**")) {
		span inner = {x.s + 2, x.e};

		if ((after = task_word(inner, ":**", id)) != NULL ||
		    (after = task_word(inner, "**:", id)) != NULL) {
			*title = trim((span){after, x.e});
			return true;
		}
		if ((after = task_word(inner, ":", id)) != NULL) {
			/* "**Task 1.1: title**" */
			span t = trim((span){after, x.e});

			if (t.e - t.s >= 2 && t.e[-1] == '*' && t.e[-2] == '*')
				t.e -= 2;
			*title = trim(t);
			return true;
		}
		return false;
	}
	if (checkbox && (after = task_word(x, ":", id)) != NULL) {
		*title = trim((span){after, x.e});
		return true;
	}
	return false;
}

static int push_str(char ***arr, size_t *n, char *s)
{
	char **a;

	if (!s)
		return PD_ENOMEM;
	/* grow at powers of two */
	if ((*n & (*n - 1)) == 0) {
		a = realloc(*arr, (*n ? *n * 2 : 1) * sizeof(*a));
		if (!a)
			return PD_ENOMEM;
		*arr = a;
	}
	(*arr)[(*n)++] = s;
	return 0;
}

static void add_command(parser *ps, char *cmd, unsigned line)
{
	pd_task *t = ps->task;
	size_t n = t->ncommands;

	if (push_str(&t->commands, &t->ncommands, cmd) < 0)
		return;
	if ((n & (n - 1)) == 0) {
		unsigned *l = realloc(t->command_lines, (n ? n * 2 : 1) * sizeof(*l));

		if (!l) {
			t->ncommands--;
			return;
		}
		t->command_lines = l;
	}
	t->command_lines[n] = line;
}

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
			push_str(&t->files, &t->nfiles, dup_span(ps, item));
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
		push_str(&t->files, &t->nfiles, dup_span(ps, x));
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
static bool files_line(parser *ps, span line)
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
static bool task_field(parser *ps, span line, unsigned lineno)
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
			problem(ps, lineno, "task %s: empty Run: command", ps->task->id);
		else
			add_command(ps, dup_span(ps, value), lineno);
	}
	return true;
}

/* The first line after a header without a title, when it is not a
 * field: a plain line (not a list item, a quote or a table) is the title,
 * its bold or emphasis dropped. */
static void title_line(parser *ps, span line)
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

static void open_task(parser *ps, span id, span title, bool checked, unsigned level,
		      unsigned lineno)
{
	pd_task *t;
	char *tid = dup_span(ps, id);

	ps->task = NULL;
	ps->want_title = ps->in_files = false;
	if (!tid)
		return;
	if (strlen(tid) > PD_TASK_ID_MAX) {
		problem(ps, lineno, "task id \"%.20s...\" is longer than %d characters", tid,
			PD_TASK_ID_MAX);
		return;
	}
	if (ps->ntasks == ps->cap_tasks) {
		size_t cap = ps->cap_tasks ? ps->cap_tasks * 2 : 8;
		pd_task *a = realloc(ps->tasks, cap * sizeof(*a));

		if (!a)
			return;
		ps->tasks = a;
		ps->cap_tasks = cap;
	}
	t = &ps->tasks[ps->ntasks++];
	memset(t, 0, sizeof(*t));
	t->id = tid;
	t->title = dup_span(ps, title);
	t->line = lineno;
	t->checked = checked;
	ps->task = t;
	ps->task_heading = level;
	ps->want_title = t->title && !*t->title;
}

/* A fence opener: ``` or ~~~ (3 or more), with an info string. */
static bool fence_open(parser *ps, span line, unsigned lineno)
{
	span x = line, info;
	const char *p;
	char c;
	size_t n = 0;

	while (x.s < x.e && (*x.s == ' ' || *x.s == '\t'))
		x.s++;
	if (x.s >= x.e || (*x.s != '`' && *x.s != '~'))
		return false;
	c = *x.s;
	for (p = x.s; p < x.e && *p == c; p++)
		n++;
	if (n < 3)
		return false;
	info = trim((span){p, x.e});
	if (c == '`' && memchr(info.s, '`', (size_t)(info.e - info.s)))
		return false;
	ps->in_fence = true;
	ps->fence_char = c;
	ps->fence_len = n;
	ps->fence_indent = (size_t)(x.s - line.s);
	ps->fence_line = lineno;
	{
		const char *w = info.s;
		size_t wl;

		while (w < info.e && !isspace((unsigned char)*w))
			w++;
		wl = (size_t)(w - info.s);
		ps->fence_is_cmd = ps->task &&
				   ((wl == 2 && strncasecmp(info.s, "sh", 2) == 0) ||
				    (wl == 4 && strncasecmp(info.s, "bash", 4) == 0));
	}
	ps->block_len = 0;
	return true;
}

static bool fence_close(const parser *ps, span line)
{
	span x = trim(line);
	const char *p = x.s;

	while (p < x.e && *p == ps->fence_char)
		p++;
	return p == x.e && (size_t)(x.e - x.s) >= ps->fence_len;
}

static void block_append(parser *ps, span line)
{
	size_t skip = 0, n;
	char *b;

	while (skip < ps->fence_indent && line.s < line.e && *line.s == ' ')
		line.s++, skip++;
	n = (size_t)(line.e - line.s);
	b = realloc(ps->block, ps->block_len + n + 2);
	if (!b)
		return;
	ps->block = b;
	memcpy(b + ps->block_len, line.s, n);
	ps->block_len += n;
	b[ps->block_len++] = '\n';
	b[ps->block_len] = '\0';
}

static bool blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

static void scan_line(parser *ps, span line, unsigned lineno)
{
	span id, title, rest;
	bool checked;
	unsigned level;

	if (ps->in_fence) {
		if (fence_close(ps, line)) {
			ps->in_fence = false;
			if (ps->fence_is_cmd && ps->task) {
				if (blank(ps->block, ps->block_len))
					problem(ps, ps->fence_line, "task %s: empty code block", ps->task->id);
				else
					add_command(ps, dup_span(ps, (span){ps->block, ps->block + ps->block_len}), ps->fence_line);
			}
		} else if (ps->fence_is_cmd) {
			block_append(ps, line);
		}
		return;
	}
	if (fence_open(ps, line, lineno)) {
		ps->want_title = ps->in_files = false;
		return;
	}
	if (task_header(line, &id, &title, &checked, &level)) {
		open_task(ps, id, title, checked, level, lineno);
		return;
	}
	level = heading(line, &rest);
	if (level) {
		ps->want_title = ps->in_files = false;
		if (level <= 2)
			ps->task = NULL;
		return;
	}
	if (!ps->task)
		return;
	if (ps->in_files && files_line(ps, line))
		return;
	if (task_field(ps, line, lineno))
		ps->want_title = false;
	else if (ps->want_title)
		title_line(ps, line);
}

/* Split off the frontmatter; returns the offset where the body starts and
 * the file line of the body's first line. */
static size_t split_frontmatter(parser *ps, const char *text, size_t len, unsigned *body_line)
{
	const char *p = text, *end = text + len, *nl;
	unsigned line = 2;

	*body_line = 1;
	nl = memchr(p, '\n', len);
	if (!nl)
		return 0;
	{
		span first = {p, nl};

		if (first.e > first.s && first.e[-1] == '\r')
			first.e--;
		while (first.e > first.s && (first.e[-1] == ' ' || first.e[-1] == '\t'))
			first.e--;
		if (first.e - first.s != 3 || memcmp(p, "---", 3) != 0)
			return 0;
	}
	p = nl + 1;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		span l = {p, e ? e : end};

		if (l.e > l.s && l.e[-1] == '\r')
			l.e--;
		l = trim(l);
		if ((l.e - l.s == 3) && (memcmp(l.s, "---", 3) == 0 || memcmp(l.s, "...", 3) == 0)) {
			pd_frontmatter_parse(&ps->p->fm, ps->arena, nl + 1, (size_t)(p - (nl + 1)), 2,
					     ps->p->path, ps->diags);
			*body_line = line + 1;
			return e ? (size_t)(e + 1 - text) : len;
		}
		line++;
		if (!e)
			break;
		p = e + 1;
	}
	problem(ps, 1, "frontmatter opened here is never closed (expected a line \"---\")");
	return len;
}

typedef struct task_ref {
	const char *id;
	size_t index;
} task_ref;

static int cmp_ref(const void *a, const void *b)
{
	const task_ref *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->index > y->index) - (x->index < y->index);
}

static void free_task(pd_task *t);

/* Refuse repeated task ids: sort once, O(n log n) even for a hostile
 * packet with many tasks, then drop every repeat (reported at its line). */
static void drop_duplicates(parser *ps)
{
	task_ref *refs;
	unsigned char *drop;
	size_t i, o = 0, run, n = ps->ntasks;

	if (n < 2)
		return;
	refs = malloc(n * sizeof(*refs));
	drop = calloc(n, 1);
	if (!refs || !drop)
		goto done;
	for (i = 0; i < n; i++)
		refs[i] = (task_ref){ps->tasks[i].id, i};
	qsort(refs, n, sizeof(*refs), cmp_ref);
	for (i = 1, run = 0; i < n; i++) {
		if (strcmp(refs[run].id, refs[i].id) != 0) {
			run = i; /* refs[run] is the first of its id */
			continue;
		}
		problem(ps, ps->tasks[refs[i].index].line, "duplicate task id \"%s\" (first at line %u)",
			refs[i].id, ps->tasks[refs[run].index].line);
		drop[refs[i].index] = 1;
	}
	for (i = 0; i < n; i++) {
		if (drop[i])
			free_task(&ps->tasks[i]);
		else
			ps->tasks[o++] = ps->tasks[i];
	}
	ps->ntasks = o;
done:
	free(refs);
	free(drop);
}

/* A copy of `n` elements of `size` bytes in the arena; the scratch array
 * is freed. NULL for none. */
static void *freeze_array(parser *ps, void *scratch, size_t n, size_t size)
{
	void *a = n ? pd_arena_alloc(ps->arena, n * size) : NULL;

	if (a)
		memcpy(a, scratch, n * size);
	free(scratch);
	return a;
}

/* Move the scratch tasks, with their arrays, into the arena. */
static void freeze(parser *ps)
{
	pd_packet *p = ps->p;
	size_t i;

	p->tasks = ps->ntasks ? pd_arena_alloc(ps->arena, ps->ntasks * sizeof(pd_task)) : NULL;
	if (ps->ntasks && !p->tasks)
		return; /* out of memory: the scratch is freed by the caller */
	for (i = 0; i < ps->ntasks; i++) {
		pd_task *t = &ps->tasks[i];

		t->files = freeze_array(ps, t->files, t->nfiles, sizeof(char *));
		t->commands = freeze_array(ps, t->commands, t->ncommands, sizeof(char *));
		t->command_lines = freeze_array(ps, t->command_lines, t->ncommands, sizeof(unsigned));
		p->tasks[i] = *t;
	}
	p->ntasks = ps->ntasks;
	ps->ntasks = 0;
}

/* Parse into `arena`: the packet and everything it holds live there. */
static int parse_in(pd_packet **out, pd_arena *arena, const char *path, const char *text,
		    size_t len, pd_diags *diags)
{
	size_t before = pd_diags_total(diags), off, i;
	parser ps;
	unsigned lineno, bad_line, bad_col;
	const char *what, *p, *end = text + len;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.diags = diags;
	ps.arena = arena;
	ps.p = pd_arena_alloc(arena, sizeof(*ps.p));
	if (!ps.p)
		return pd_error_set(PD_ENOMEM, "out of memory");
	memset(ps.p, 0, sizeof(*ps.p));
	ps.p->fm.track = -1;
	if (!(ps.p->path = pd_arena_strdup(arena, path)))
		return pd_error_set(PD_ENOMEM, "out of memory");
	*out = ps.p;
	if (pd_text_check(text, len, &bad_line, &bad_col, &what)) {
		char where[1024];

		snprintf(where, sizeof(where), "%s:%u:%u", path, bad_line, bad_col);
		pd_diags_add(diags, where, "%s", what);
		return PD_EINVALID;
	}
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		text += 3, len -= 3; /* a byte-order mark */
	off = split_frontmatter(&ps, text, len, &lineno);
	for (p = text + off; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		span line = {p, e ? e : end};

		if (line.e > line.s && line.e[-1] == '\r')
			line.e--;
		scan_line(&ps, line, lineno++);
		if (!e)
			break;
		p = e + 1;
	}
	drop_duplicates(&ps);
	if (ps.in_fence && ps.fence_is_cmd)
		problem(&ps, ps.fence_line, "code block opened here is never closed");
	if (ps.ntasks == 0 && pd_diags_total(diags) == before)
		problem(&ps, 0, "no tasks found (expected \"### Task 1.1: ...\", "
				"\"**Task 1.1:** ...\" or \"- [ ] Task 1.1: ...\")");
	freeze(&ps);
	for (i = 0; i < ps.ntasks; i++) /* left only when freezing ran out of memory */
		free_task(&ps.tasks[i]);
	free(ps.tasks);
	free(ps.block);
	return pd_diags_total(diags) > before ? PD_EINVALID : 0;
}

int pd_packet_parse(pd_packet **out, const char *path, const char *text, size_t len,
		    pd_diags *diags)
{
	pd_arena *arena = pd_arena_new(len < 4096 ? 512 : len / 2);
	int error;

	*out = NULL;
	if (!arena)
		return pd_error_set(PD_ENOMEM, "out of memory");
	error = parse_in(out, arena, path, text, len, diags);
	if (*out)
		(*out)->strings = arena; /* owned: pd_packet_free frees it */
	else
		pd_arena_free(arena);
	return error;
}

/* Read and parse; `arena` NULL for a packet with its own. */
static int load(pd_packet **out, pd_arena *arena, int dir_fd, const char *file,
		const char *display, pd_diags *diags)
{
	char *buf = NULL;
	size_t len;
	int error;

	*out = NULL;
	error = pd_read_file_at(&buf, &len, dir_fd, file, PD_PACKET_MAX_BYTES);
	if (error < 0) {
		/* pd_read_file names `file`; say it with the display name. */
		const char *msg = pd_error_last(), *colon = strstr(msg, ": ");

		pd_diags_add(diags, display, "%s", colon ? colon + 2 : msg);
		return error == PD_ENOMEM ? error : PD_EINVALID;
	}
	error = arena ? parse_in(out, arena, display, buf, len, diags)
		      : pd_packet_parse(out, display, buf, len, diags);
	free(buf);
	return error;
}

int pd_packet_load(pd_packet **out, const char *file, const char *display, pd_diags *diags)
{
	return load(out, NULL, AT_FDCWD, file, display, diags);
}

int pd_packet_load_at(pd_packet **out, int dir_fd, const char *file, const char *display,
		      pd_diags *diags)
{
	return load(out, NULL, dir_fd, file, display, diags);
}

int pd_packet_load_in(pd_packet **out, struct pd_arena *arena, int dir_fd, const char *file,
		      const char *display, pd_diags *diags)
{
	return load(out, arena, dir_fd, file, display, diags);
}

long pd_packet_find_task(const pd_packet *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->ntasks; i++)
		if (strcmp(p->tasks[i].id, id) == 0)
			return (long)i;
	return -1;
}

/* A scratch task owns its arrays; its strings are the arena's. */
static void free_task(pd_task *t)
{
	free(t->files);
	free(t->commands);
	free(t->command_lines);
}

void pd_packet_free(pd_packet *p)
{
	/* The packet lives in its arena; a shared arena is freed by its owner. */
	if (p && p->strings)
		pd_arena_free(p->strings);
}
