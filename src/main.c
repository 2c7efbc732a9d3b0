/* main.c - `packetdeck COMMAND ...`: dispatch to a command, --help, --version. */
#include "cli.h"
#include "packetdeck/gitwt.h"
#include "pd_version.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: packetdeck COMMAND [options] ARG\n"
	"\n"
	"Execute and watch work packets: a feature split into tracks, each a packet\n"
	"file worked on in its own git worktree, ordered by the dependency graph in\n"
	"PACKET_DIR/manifest.json.\n"
	"\n"
	"commands:\n"
	"  validate PACKET_DIR   check the manifest, the graph and every packet file\n"
	"  adopt PACKET_DIR      add the manifest fields upstream's generator leaves out\n"
	"  plan PACKET_DIR       the execution order and what a run would do with each track\n"
	"  status PACKET_DIR     each track's state, read from its marker and checkpoint\n"
	"  run PACKET_DIR        execute every track in dependency order (the dashboard\n"
	"                        on a terminal, lines or JSON events without one)\n"
	"  watch PACKET_DIR      the dashboard over a dir that others execute (read-only)\n"
	"  demo [DIR]            build a sample feature and run it (start here)\n"
	"  packet PACKET_FILE    execute one track with the built-in runner\n"
	"  merge PACKET_DIR      merge the completed tracks' branches into the integration\n"
	"                        branch and run the post_merge_qa gates\n"
	"\n"
	"'packetdeck COMMAND --help' describes a command.\n"
	"exit status: 0 ok, 1 a track failed, 2 invalid input or usage, 3 aborted,\n"
	"4 packet dir locked by another run, 5 stopped for handoff, 6 merge stopped at\n"
	"a conflict.\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{"validate", cli_validate},
	{"adopt", cli_adopt},
	{"status", cli_status},
	{"plan", cli_plan},
	{"packet", cli_packet},
	{"run", cli_run},
	{"watch", cli_watch},
	{"demo", cli_demo},
	{"merge", cli_merge},
};

int main(int argc, char **argv)
{
	size_t i;
	int status;

	setlocale(LC_CTYPE, ""); /* not LC_ALL: numbers keep parsing the C way */
	if (argc < 2) {
		fputs(usage, stderr);
		return PD_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return PD_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("packetdeck %s\n", PD_VERSION);
		return PD_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(*commands); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			status = commands[i].fn(argc - 1, argv + 1);
			pd_git_shutdown();
			return status;
		}
	}
	fprintf(stderr, "packetdeck: unknown command '%s' (see 'packetdeck --help')\n", argv[1]);
	return PD_EXIT_USAGE;
}
