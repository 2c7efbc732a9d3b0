/* handoff.c - .packetdeck/handoff.md: where a run stopped for /handoff,
 * what is done, what is next, and the exact command to continue. */
#define _GNU_SOURCE /* open_memstream */
#include "engine_int.h"
#include "packetdeck/fsio.h"
#include "packetdeck/pathutil.h"
#include "packetdeck/state.h"
#include "packetdeck/verify.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A shell word for the continue command: quoted when it needs to be. */
static void shell_word(FILE *f, const char *s)
{
	char *w = pd_shell_word(s);

	fputs(w ? w : s, f);
	free(w);
}

int pd_engine_write_handoff(pd_engine *e)
{
	const pd_manifest *m = e->pd->manifest;
	char *text = NULL, now[21];
	size_t len = 0, k;
	FILE *f = open_memstream(&text, &len);
	int error;

	if (!f)
		return pd_error_set(PD_ENOMEM, "out of memory");
	fprintf(f, "# Handoff: %s\n\nStopped for /handoff at %s after track %ld (%s).\n\n", m->feature,
		pd_timestamp(now, time(NULL)), m->tracks[e->cur].id, m->tracks[e->cur].name);
	fprintf(f, "## Done (%zu/%zu)\n\n", e->completed, m->ntracks);
	for (k = 0; k < e->norder; k++) {
		const pd_track *t = &m->tracks[e->order[k]];
		pd_marker mk;
		bool done;

		pd_track_verified(e->pd->verifier, m, t, &mk, &done);
		if (done)
			fprintf(f, "- Track %ld: %s (commit %.12s)\n", t->id, t->name,
				mk.commit ? mk.commit : "none");
		pd_marker_clear(&mk);
	}
	fprintf(f, "\n## Next\n\n");
	for (k = 0; k < e->norder; k++) {
		const pd_track *t = &m->tracks[e->order[k]];
		pd_marker mk;
		bool done;

		pd_track_verified(e->pd->verifier, m, t, &mk, &done);
		if (!done)
			fprintf(f, "- Track %ld: %s (packet %s, worktree %s, branch %s)\n", t->id, t->name,
				t->packet, t->worktree_path, t->branch);
		pd_marker_clear(&mk);
	}
	fprintf(f, "\n## Continue with\n\n    packetdeck run ");
	shell_word(f, m->dir_real);
	if (strcmp(e->o.runner, "builtin") != 0) {
		fputs(" --runner ", f);
		shell_word(f, e->o.runner);
	}
	fputs(e->o.resume ? " --resume\n" : "\n", f);
	fclose(f);
	free(e->handoff_path);
	e->handoff_path = pd_path_join(e->state_dir, "handoff.md");
	error = e->handoff_path ? pd_write_atomic(e->handoff_path, text, len, NULL)
				: pd_error_set(PD_ENOMEM, "out of memory");
	free(text);
	return error;
}
