/* cli_validate.c - `packetdeck validate PACKET_DIR`: every check, exit 0 or 2. */
#include "cli.h"

static const char help[] =
	"usage: packetdeck validate [--quiet] PACKET_DIR\n"
	"\n"
	"Check PACKET_DIR without changing anything: manifest.json's fields and types,\n"
	"track ids, dependencies (unknown, self, repeated, circular with the cycle's\n"
	"path), packet paths (inside the packet dir), worktree paths, branch names,\n"
	"every packet file (frontmatter, tasks, duplicate task ids) and the agreement\n"
	"of each packet's frontmatter with the manifest. Every problem is reported,\n"
	"one per line on stderr, as FILE:LINE: message or FILE: JSON.path: message.\n"
	"\n"
	"  --quiet   print nothing when the dir is valid\n"
	"\n"
	"exit status: 0 valid, 2 invalid (or a usage error).\n";

int cli_validate(int argc, char **argv)
{
	bool quiet = false;
	const cli_opt opts[] = {{"--quiet", &quiet, NULL}, {"-q", &quiet, NULL}, {NULL, NULL, NULL}};
	const char *dir;
	pd_pktdir *pd = NULL;
	int status;

	if (!cli_parse(argc, argv, "validate", opts, help, &dir, &status))
		return status;
	if (!cli_load(&pd, dir, &status))
		return status;
	if (!quiet)
		printf("%s: valid: %zu track%s, %zu task%s\n", dir, pd->manifest->ntracks,
		       pd->manifest->ntracks == 1 ? "" : "s", pd_pktdir_task_count(pd),
		       pd_pktdir_task_count(pd) == 1 ? "" : "s");
	pd_pktdir_free(pd);
	return PD_EXIT_OK;
}
