/* fuzz_manifest.c - the manifest loader and the whole packet-dir check
 * (ids, dependencies, cycles, paths, packets) on any manifest.json, in a
 * scratch dir holding four valid packets; a dir that loads is also
 * ordered, laid out and read as a snapshot. */
#include "fuzz.h"
#include "packetdeck/layout.h"
#include "packetdeck/pktdir.h"
#include "packetdeck/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int i;

	(void)argc;
	(void)argv;
	for (i = 1; i <= 4; i++) {
		char name[32], body[128];
		int n;

		snprintf(name, sizeof(name), "track-%d.md", i);
		n = snprintf(body, sizeof(body), "### Task %d.1: one\nRun: true\n\n### Task %d.2: two\nRun: true\n",
			     i, i);
		fuzz_write(name, (const uint8_t *)body, (size_t)n);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pd_diags d = PD_DIAGS_INIT;
	pd_pktdir *pd = NULL;
	int rc;

	fuzz_write("manifest.json", data, size);
	rc = pd_pktdir_load(&pd, fuzz_dir(), &d);
	if (rc == 0) {
		pd_snapshot *s = NULL;
		pd_layout *l = NULL;
		size_t n;

		if (!pd || pd_diags_total(&d) != 0)
			abort();
		pd_dag_order(pd->dag, &n);
		if (n != pd->manifest->ntracks)
			abort(); /* a valid graph orders every track */
		if (pd_layout_make(&l, pd->dag) == 0)
			pd_layout_free(l);
		if (pd_snapshot_take(&s, pd) == 0)
			pd_snapshot_free(s);
	} else if (pd_diags_total(&d) == 0) {
		abort(); /* a refusal must say why */
	}
	pd_pktdir_free(pd);
	pd_diags_free(&d);
	return 0;
}
