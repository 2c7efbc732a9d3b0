/* packet.h - a packet file: optional YAML frontmatter and its tasks.
 *
 * The frontmatter (between "---" lines at the top) is read with libyaml's
 * event API: a flat mapping; aliases, anchors and tags are refused, so are
 * duplicate keys and nesting past 16 levels; known keys are format_version,
 * feature, track (an integer), worktree and branch; others are ignored.
 *
 * Tasks are read from the body in document order, in the three styles
 * upstream packets use, outside code blocks:
 *     **Task 1.1:** Create user model       (bold, also inside a list item)
 *     ### Task 1.1: Create user model        (a heading of level 2, 3 or 4)
 *     - [ ] Task 1.1: Create user model      (a checklist item, [x] too)
 * A heading "### Task 2.1" without a title takes the next line of plain
 * text as its title. A task runs to the next task or the next heading of
 * level 1 or 2. Inside it, lines (optionally list items, optionally with
 * the key in bold) give `Files: a, b`, `Acceptance: text` and `Run:
 * command`; fenced code blocks tagged sh or bash are commands too, in
 * document order. A line `Files to modify/create:` (any "Files to ...:")
 * or a `**Files:**` with nothing after it starts a list whose items name
 * the files: "- `a.py` — why", "- Create: `a.py`", "- Modify: a.py:12-40".
 *
 * Problems go to `diags` as "PATH:LINE"; parsing continues to report them
 * all. Nothing here runs anything.
 */
#ifndef PD_PACKET_H
#define PD_PACKET_H

#include <stdbool.h>
#include <stddef.h>

#include "packetdeck/error.h"

#define PD_PACKET_MAX_BYTES (8u << 20)
#define PD_FRONTMATTER_MAX_BYTES (64u << 10)
#define PD_FRONTMATTER_MAX_DEPTH 16
#define PD_TASK_ID_MAX 64

typedef struct pd_task {
	char *id;            /* "1.1" */
	char *title;
	unsigned line;       /* of its header */
	bool checked;        /* "- [x]" style */
	char **files;
	size_t nfiles;
	char *acceptance;    /* NULL when none */
	char **commands;     /* Run: lines and sh/bash blocks, in order */
	unsigned *command_lines;
	size_t ncommands;
} pd_task;

typedef struct pd_frontmatter {
	bool present;
	char *format_version, *feature, *worktree, *branch; /* NULL when absent */
	long track;          /* -1 when absent */
	unsigned line_feature, line_worktree, line_branch, line_track;
} pd_frontmatter;

typedef struct pd_packet {
	char *path;          /* as used in messages */
	pd_frontmatter fm;
	pd_task *tasks;
	size_t ntasks;
	struct pd_arena *strings; /* internal: the arena it owns (NULL when shared) */
} pd_packet;

struct pd_arena;

/* Parse packet text (NUL-terminated at len). `path` is used in messages.
 * Returns 0, or PD_EINVALID with the problems in `diags` and *out still
 * set (with the tasks that could be read); PD_ENOMEM. */
int pd_packet_parse(pd_packet **out, const char *path, const char *text, size_t len,
		    pd_diags *diags);

/* Read `file` (bounded by PD_PACKET_MAX_BYTES) and parse it; messages name
 * `display`. */
int pd_packet_load(pd_packet **out, const char *file, const char *display, pd_diags *diags);

/* The same with `file` relative to the directory open as `dir_fd`. */
int pd_packet_load_at(pd_packet **out, int dir_fd, const char *file, const char *display,
		      pd_diags *diags);

/* As pd_packet_load_at, with the packet and everything it holds allocated
 * in `arena`, which the caller frees with every packet in it (then
 * pd_packet_free does nothing for this packet). Loading many packets into
 * one arena keeps them compact and off the general heap. */
int pd_packet_load_in(pd_packet **out, struct pd_arena *arena, int dir_fd, const char *file,
		      const char *display, pd_diags *diags);

/* Index of the task with this id, or -1. */
long pd_packet_find_task(const pd_packet *p, const char *id);

void pd_packet_free(pd_packet *p);

#endif
