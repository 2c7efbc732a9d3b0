/* arena.h - a bump allocator for strings that live and die together.
 *
 * A packet's task ids, titles, files and commands are all substrings of
 * its text, so one arena sized from the text holds them all: one malloc
 * per packet instead of one per string. Internal to the core.
 */
#ifndef PD_ARENA_H
#define PD_ARENA_H

#include <stddef.h>

typedef struct pd_arena pd_arena;

/* An arena whose first block holds `hint` bytes (more blocks come as needed). */
pd_arena *pd_arena_new(size_t hint);

/* n bytes aligned for any scalar type, or NULL when out of memory. */
void *pd_arena_alloc(pd_arena *a, size_t n);

/* A NUL-terminated copy of s[0..n), or NULL when out of memory. */
char *pd_arena_strndup(pd_arena *a, const char *s, size_t n);

/* pd_arena_strndup(a, s, strlen(s)); NULL for a NULL s. */
char *pd_arena_strdup(pd_arena *a, const char *s);

/* Takes back everything the arena gave out, keeping its newest block for
 * reuse (a scratch arena for one item after another). */
void pd_arena_reset(pd_arena *a);

/* Frees every string the arena gave out. NULL is a no-op. */
void pd_arena_free(pd_arena *a);

#endif
