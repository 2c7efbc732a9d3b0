/* packet.c - packet files: frontmatter split, task extraction (packet.h).
 *
 * A line scanner with two states that matter: inside a code fence or not,
 * inside a task or not. It never builds a markdown tree: packets can be
 * large boot prompts and only the task skeleton is needed. What a task's
 * own lines say (files, acceptance, commands) is packetfield.c's.
 */
#include "packet_int.h"
#include "packetdeck/fsio.h"
#include "frontmatter.h"
#include "text.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void pk_problem(parser *ps, unsigned line, const char *fmt, ...)
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

int pk_push_str(char ***arr, size_t *n, char *s)
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

void pk_add_command(parser *ps, char *cmd, unsigned line)
{
	pd_task *t = ps->task;
	size_t n = t->ncommands;

	if (pk_push_str(&t->commands, &t->ncommands, cmd) < 0)
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
		pk_problem(ps, lineno, "task id \"%.20s...\" is longer than %d characters", tid,
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
					pk_problem(ps, ps->fence_line, "task %s: empty code block", ps->task->id);
				else
					pk_add_command(ps, dup_span(ps, (span){ps->block, ps->block + ps->block_len}), ps->fence_line);
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
	if (ps->in_files && pk_files_line(ps, line))
		return;
	if (pk_task_field(ps, line, lineno))
		ps->want_title = false;
	else if (ps->want_title)
		pk_title_line(ps, line);
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
	pk_problem(ps, 1, "frontmatter opened here is never closed (expected a line \"---\")");
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
		pk_problem(ps, ps->tasks[refs[i].index].line, "duplicate task id \"%s\" (first at line %u)",
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
		pk_problem(&ps, ps.fence_line, "code block opened here is never closed");
	if (ps.ntasks == 0 && pd_diags_total(diags) == before)
		pk_problem(&ps, 0, "no tasks found (expected \"### Task 1.1: ...\", "
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
