/* test.h - the one header every unit test includes: cmocka (with the
 * headers it needs first) and small helpers for temporary packet dirs. */
#ifndef PD_TEST_H
#define PD_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>

#include "packetdeck/error.h"

/* The current test's scratch directory, made by t_setup and removed with
 * everything in it by t_teardown (cmocka setup/teardown functions). */
extern char *dir;
int t_setup(void **state);
int t_teardown(void **state);

/* A new empty directory under $TMPDIR (or /tmp); the caller frees it. */
char *t_tmpdir(void);

/* Write `content` to DIR/NAME, creating parent directories. */
void t_write(const char *dir, const char *name, const char *content);

/* DIR/NAME, malloc'd. */
char *t_path(const char *dir, const char *name);

/* Remove DIR and everything below it. */
void t_rmrf(const char *dir);

/* Is there a diagnostic whose "where" ends with `where_suffix` (NULL: any)
 * and whose message contains `message`? On failure, prints the list. */
bool t_has_diag(const pd_diags *d, const char *where_suffix, const char *message);

/* A minimal valid manifest with the given tracks JSON (the array's inner
 * text) written to DIR/manifest.json, with track-N.md packets for ids
 * 1..npackets holding one task each. */
void t_packet_dir(const char *dir, const char *tracks_json, int npackets);

/* Run a shell command in `dir` (test-made paths only, git's identity set);
 * its first output line into out (may be NULL). Fails the test if the
 * command fails. */
void t_sh(char *out, size_t cap, const char *fmt, ...) PD_PRINTF(3, 4);

/* One track's JSON for t_packet_dir: TRACK(3, "1,2"). */
#define TRACK(id, deps)                                                                \
	"{\"id\":" #id ",\"name\":\"t" #id "\",\"packet\":\"track-" #id ".md\","   \
	"\"worktree\":\"/tmp/wt" #id "\",\"branch\":\"b" #id "\",\"depends_on\":[" deps "]}"

#endif
