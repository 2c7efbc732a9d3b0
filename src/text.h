/* text.h - byte-level text checks shared by the JSON and markdown readers:
 * UTF-8 sequence validation and line:column location; and lines out of a
 * stream that arrives in pieces (a runner's output, an agent's stream).
 * Internal. */
#ifndef PD_TEXT_H
#define PD_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if invalid
 * (overlong forms, surrogates and code points past U+10FFFF included). */
size_t pd_utf8_seq_len(const unsigned char *p, const unsigned char *end);

/* Offset of the first NUL byte or invalid UTF-8 sequence in buf[0..len),
 * or len if there is none (*what then untouched). */
size_t pd_text_bad_offset(const char *buf, size_t len, const char **what);

/* Line and column (1-based, counting characters) of buf[offset]. */
void pd_text_locate(const char *buf, size_t offset, unsigned *line, unsigned *col);

/* Find the first NUL byte or invalid UTF-8 sequence in buf[0..len).
 * Returns 0 if there is none; else 1, with *line and *col (1-based,
 * counting characters) of the bad byte and *what describing it. */
int pd_text_check(const char *buf, size_t len, unsigned *line, unsigned *col, const char **what);

/* A line being received, in the caller's storage of `cap` bytes. */
typedef struct pd_lines {
	char *buf;
	size_t cap, len;
	bool cut;         /* it was longer than cap: only its start is kept */
} pd_lines;

#define PD_LINES_INIT(storage) {(storage), sizeof(storage), 0, false}

/* The line (without its newline, not NUL-terminated), and whether it was
 * cut to the storage's size. */
typedef void (*pd_line_fn)(void *ctx, const char *line, size_t len, bool cut);

/* Feed n bytes: `fn` is called for each line they complete. */
void pd_lines_feed(pd_lines *l, const char *data, size_t n, pd_line_fn fn, void *ctx);

/* `s` as one shell word, for a command to paste: as it is when it is made
 * of safe characters only (and does not start with '-'), else in single
 * quotes. Malloc'd; NULL when out of memory. */
char *pd_shell_word(const char *s);

#endif
