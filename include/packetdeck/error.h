/* error.h - error codes, the last error's message, and located diagnostics.
 *
 * Every core function returns int: 0 on success, a negative PD_E* code on
 * failure, and keeps a one-line message for pd_error_last(). Errors are
 * propagated as they are, never re-prefixed on the way up.
 *
 * Validation reports many problems at once, so it collects them in a
 * pd_diags list instead: each entry says where (a file with a line, or a
 * JSON path inside manifest.json) and what. The list keeps the first
 * PD_DIAGS_KEEP entries and counts the rest, so hostile input cannot make
 * it grow without bound.
 *
 * The core never prints: front ends decide how to show both.
 */
#ifndef PD_ERROR_H
#define PD_ERROR_H

#include <stddef.h>

enum {
	PD_OK = 0,
	PD_ERROR = -1,     /* anything else */
	PD_ENOTFOUND = -2, /* a file or an item that does not exist */
	PD_EINVALID = -3,  /* input refused; the message (or diags) says why */
	PD_EIO = -4,       /* a system call failed */
	PD_ELOCKED = -5,   /* held by someone else */
	PD_ENOMEM = -6,
	PD_ETIMEOUT = -7,     /* waited as long as allowed */
	PD_EINTERRUPTED = -8  /* stopped by a signal or the user */
};

#if defined(__GNUC__)
#define PD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PD_PRINTF(f, a)
#endif

/* The message of the last failure on this thread ("" when none). */
const char *pd_error_last(void);

/* Record a message and return `code`, so callers can `return pd_error_set(...)`. */
int pd_error_set(int code, const char *fmt, ...) PD_PRINTF(2, 3);

/* As pd_error_set, with ": <strerror(errno)>" appended (errno read on entry). */
int pd_error_errno(int code, const char *fmt, ...) PD_PRINTF(2, 3);

void pd_error_clear(void);

#define PD_DIAGS_KEEP 500

typedef struct pd_diag {
	char *where;   /* "dir/manifest.json: tracks[2].branch" or "dir/track-1.md:12" */
	char *message; /* one line, no trailing period */
} pd_diag;

typedef struct pd_diags {
	pd_diag *items;
	size_t count;   /* entries kept in items */
	size_t dropped; /* entries past PD_DIAGS_KEEP, counted only */
	size_t cap;
} pd_diags;

#define PD_DIAGS_INIT {NULL, 0, 0, 0}

/* Add one diagnostic. `where` may be NULL. Returns PD_EINVALID (or
 * PD_ENOMEM), so a checker can `return pd_diags_add(...)`. */
int pd_diags_add(pd_diags *d, const char *where, const char *fmt, ...) PD_PRINTF(3, 4);

/* Total number of problems reported, kept or dropped. */
size_t pd_diags_total(const pd_diags *d);

/* Append the diagnostics of `from` to `to`, in order, leaving `from` empty. */
void pd_diags_move(pd_diags *to, pd_diags *from);

void pd_diags_free(pd_diags *d);

#endif
