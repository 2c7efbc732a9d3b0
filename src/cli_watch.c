/* cli_watch.c - `packetdeck watch PACKET_DIR`: the dashboard over a dir
 * that other processes execute (`packetdeck packet`, agents, another
 * `run`), read-only: it takes no lock and writes nothing. */
#include "cli.h"
#include "dash.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: packetdeck watch [--ascii] PACKET_DIR\n"
	"\n"
	"Show the dashboard over a packet dir that other processes execute: the\n"
	"DAG, each track's state, checkpoints and output as they are written.\n"
	"Read-only: it takes no lock, runs nothing and writes nothing. It needs a\n"
	"terminal; without one, use 'packetdeck status'.\n"
	"\n"
	"  --ascii   ASCII instead of box drawing (NO_COLOR turns colours off)\n"
	"\n"
	"exit status: 0 quit, 2 invalid input or no terminal, 3 stopped by a signal.\n";

int cli_watch(int argc, char **argv)
{
	bool ascii = false;
	const cli_opt opts[] = {{"--ascii", &ascii, NULL}, {NULL, NULL, NULL}};
	pd_engine_options eo = PD_ENGINE_OPTIONS_INIT;
	pd_pktdir *pd = NULL;
	const char *dir;
	int status, stop_fd;

	if (!cli_parse(argc, argv, "watch", opts, help, &dir, &status))
		return status;
	if (!cli_has_terminal(false, false)) {
		fprintf(stderr, "packetdeck watch: needs a terminal (not CI, not TERM=dumb); "
				"'packetdeck status %s' prints the same states once\n", dir);
		return PD_EXIT_USAGE;
	}
	if (!cli_load(&pd, dir, &status))
		return status;
	if ((stop_fd = cli_catch_signals()) < 0) {
		pd_pktdir_free(pd);
		return PD_EXIT_USAGE;
	}
	{
		ui_dash_options uo = {.watch = true, .ascii = ascii, .engine = eo, .on_blocked = "ask",
				      .handoff = "ask", .stop_fd = stop_fd};

		status = ui_dash_run(pd, &uo);
	}
	pd_pktdir_free(pd);
	return status;
}
