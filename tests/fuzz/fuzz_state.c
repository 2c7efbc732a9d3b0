/* fuzz_state.c - the readers of what a run records (completion marker,
 * checkpoint, failure record, lock file) on any bytes: each says OK or
 * CORRUPT with a reason, and OK only with the fields it promises. A
 * checkpoint given as text (the built-in runner's status line) gets the
 * same verdict and fields as the same bytes in the file. */
#include "fuzz.h"
#include "packetdeck/lock.h"
#include "packetdeck/state.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void check(pd_file_state state, const char *problem)
{
	if (state == PD_FILE_ABSENT)
		abort(); /* the file is there */
	if (state == PD_FILE_CORRUPT && (!problem || !*problem))
		abort(); /* corrupt says why */
}

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pd_marker m;
	pd_checkpoint c;
	pd_failure f;
	pd_lockinfo l;
	char lock[4096];

	fuzz_write("track-1.completion.json", data, size);
	fuzz_write("track-1.checkpoint.json", data, size);
	fuzz_write(".packetdeck/track-1.failure.json", data, size);
	fuzz_write(".packetdeck/track-1.lock", data, size);
	if (pd_marker_read(&m, fuzz_dir(), 1) == 0) {
		check(m.state, m.problem);
		pd_marker_clear(&m);
	}
	if (pd_checkpoint_read(&c, fuzz_dir(), 1) == 0) {
		pd_checkpoint t;

		check(c.state, c.problem);
		if (c.state == PD_FILE_OK && (c.track != 1 || !c.last_completed_task))
			abort();
		if (size <= PD_STATE_MAX_BYTES &&
		    pd_checkpoint_parse(&t, (const char *)data, size, "status", 1) == 0) {
			check(t.state, t.problem);
			if (t.state != c.state || !same(t.last_completed_task, c.last_completed_task) ||
			    !same(t.next_task, c.next_task) || !same(t.commit, c.commit))
				abort();
			pd_checkpoint_clear(&t);
		}
		pd_checkpoint_clear(&c);
	}
	if (pd_failure_read(&f, fuzz_dir(), 1) == 0) {
		check(f.state, f.problem);
		pd_failure_clear(&f);
	}
	snprintf(lock, sizeof(lock), "%s/.packetdeck/track-1.lock", fuzz_dir());
	if (pd_lock_probe(&l, lock) == 0) {
		if (l.held)
			abort(); /* nobody holds it */
		pd_lockinfo_clear(&l);
	}
	return 0;
}
