/* cli_adopt.c - `packetdeck adopt [--yes] PACKET_DIR`: add the fields
 * upstream's generator leaves out of manifest.json, with upstream's
 * defaults (adopt.h), after saying what they are and being told to. */
#include "cli.h"
#include "packetdeck/adopt.h"
#include "packetdeck/error.h"

#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char help[] =
	"usage: packetdeck adopt [--yes] PACKET_DIR\n"
	"\n"
	"Make a packet dir that upstream's work-packets generator wrote acceptable:\n"
	"add to PACKET_DIR/manifest.json the fields the seed requires and the\n"
	"generator leaves out, with the seed's values:\n"
	"\n"
	"  \"merge_strategy\": \"" PD_ADOPT_MERGE_STRATEGY "\"\n"
	"  \"post_merge_qa\": [\"pytest\", \"green-mirage-audit\"]\n"
	"\n"
	"Only missing fields are added (at the end); every other field keeps its\n"
	"value and its place, and the file is written formatted. The original\n"
	"bytes are kept as manifest.json.orig; an existing manifest.json.orig is\n"
	"never replaced (it holds the manifest from before the first adopt). The\n"
	"new manifest is written atomically, holding .packetdeck/run.lock.\n"
	"\n"
	"What would be added is printed first. On a terminal adopt asks [y/N];\n"
	"without one it writes only with --yes.\n"
	"\n"
	"  --yes, -y   write without asking\n"
	"\n"
	"exit status: 0 written, or nothing to add; 2 invalid manifest, no terminal\n"
	"and no --yes (nothing written), or usage; 3 declined; 4 a run holds the dir.\n";

/* y or yes (any case) on stdin, after the question on stderr. */
static bool confirmed(const pd_adopt *a)
{
	char line[64];

	fprintf(stderr, "Write them, keeping the original as %s? [y/N] ", a->orig_path);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

int cli_adopt(int argc, char **argv)
{
	bool yes = false;
	const cli_opt opts[] = {{"--yes", &yes, NULL}, {"-y", &yes, NULL}, {NULL, NULL, NULL}};
	const char *dir;
	pd_adopt a;
	size_t i;
	int status, error;

	if (!cli_parse(argc, argv, "adopt", opts, help, &dir, &status))
		return status;
	if (pd_adopt_prepare(&a, dir) < 0) {
		fprintf(stderr, "%s\n", pd_error_last());
		pd_adopt_clear(&a);
		return PD_EXIT_USAGE;
	}
	if (a.nadded == 0) {
		printf("%s: nothing to add: merge_strategy and post_merge_qa are there\n",
		       a.manifest_path);
		pd_adopt_clear(&a);
		return PD_EXIT_OK;
	}
	printf("%s: would add upstream's defaults:\n", a.manifest_path);
	for (i = 0; i < a.nadded; i++)
		printf("  \"%s\": %s\n", a.names[i], a.values[i]);
	fflush(stdout);
	if (!yes && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "packetdeck adopt: nothing written: not a terminal to ask on; "
				"run again with --yes to write\n");
		pd_adopt_clear(&a);
		return PD_EXIT_USAGE;
	}
	if (!yes && !confirmed(&a)) {
		fprintf(stderr, "packetdeck adopt: nothing written\n");
		pd_adopt_clear(&a);
		return PD_EXIT_ABORTED;
	}
	error = pd_adopt_write(&a, dir);
	if (error < 0) {
		fprintf(stderr, "packetdeck adopt: nothing written: %s\n", pd_error_last());
		pd_adopt_clear(&a);
		return error == PD_ELOCKED ? PD_EXIT_LOCKED : PD_EXIT_USAGE;
	}
	printf("%s: written; the original is %s%s\n", a.manifest_path, a.orig_path,
	       a.orig_kept ? " (there already, kept as it was)" : "");
	pd_adopt_clear(&a);
	return PD_EXIT_OK;
}
