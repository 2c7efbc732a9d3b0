/* packet_int.h - the packet parser's state, shared by packet.c (lines,
 * task headers, code fences, frontmatter, the packet) and packetfield.c
 * (what a task's lines say: files, acceptance, commands, a late title).
 * Internal to the core. */
#ifndef PD_PACKET_INT_H
#define PD_PACKET_INT_H

#include "packetdeck/packet.h"
#include "arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

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

static inline span trim(span x)
{
	while (x.s < x.e && (*x.s == ' ' || *x.s == '\t'))
		x.s++;
	while (x.e > x.s && (x.e[-1] == ' ' || x.e[-1] == '\t'))
		x.e--;
	return x;
}

static inline bool starts(span x, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(x.e - x.s) >= n && memcmp(x.s, prefix, n) == 0;
}

/* A copy of the span in the packet's arena. */
static inline char *dup_span(parser *ps, span x)
{
	return pd_arena_strndup(ps->arena, x.s, (size_t)(x.e - x.s));
}

/* A problem at "PATH:LINE" (line 0: the file). */
void pk_problem(parser *ps, unsigned line, const char *fmt, ...) PD_PRINTF(3, 4);

/* Append s (NULL: out of memory) to a growing array. */
int pk_push_str(char ***arr, size_t *n, char *s);

/* A command of the open task, from `line`. */
void pk_add_command(parser *ps, char *cmd, unsigned line);

/* "Key: value", "- Key: value", "**Key:** value", "Files to modify/create:":
 * a field of the open task. True if the line is one. */
bool pk_task_field(parser *ps, span line, unsigned lineno);

/* A line while a files list is open: true if it belonged to the list
 * (else the list is closed and the line is the caller's). */
bool pk_files_line(parser *ps, span line);

/* The first line after a header without a title, when it is not a
 * field: a plain line becomes the title. */
void pk_title_line(parser *ps, span line);

#endif
