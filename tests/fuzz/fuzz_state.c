/* fuzz_state.c - the readers of what a run records (completion marker,
 * checkpoint, failure record, lock file) on any bytes: each says OK or
 * CORRUPT with a reason, and OK only with the fields it promises. */
#include "fuzz.h"
#include "packetdeck/lock.h"
#include "packetdeck/state.h"

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
		check(c.state, c.problem);
		if (c.state == PD_FILE_OK && (c.track != 1 || !c.last_completed_task))
			abort();
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
