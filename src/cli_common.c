/* cli_common.c - argument parsing, loading and error printing for commands. */
#define _GNU_SOURCE /* pipe2 */
#include "cli.h"
#include "packetdeck/error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>

bool cli_parse(int argc, char **argv, const char *cmd, const cli_opt *opts, const char *help,
	       const char **positional, int *exit_status)
{
	bool options_done = false;
	int i;

	*positional = NULL;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const cli_opt *o;

		if (!options_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			fputs(help, stdout);
			*exit_status = PD_EXIT_OK;
			return false;
		}
		if (!options_done && strcmp(a, "--") == 0) {
			options_done = true;
			continue;
		}
		if (!options_done && a[0] == '-' && a[1] != '\0') {
			const char *eq = strchr(a, '=');
			size_t len = eq ? (size_t)(eq - a) : strlen(a);

			for (o = opts; o && o->name; o++)
				if (strlen(o->name) == len && strncmp(a, o->name, len) == 0)
					break;
			if (!o || !o->name || (eq && !o->value)) {
				fprintf(stderr, "packetdeck %s: unknown option '%s' (see 'packetdeck %s --help')\n",
					cmd, a, cmd);
				*exit_status = PD_EXIT_USAGE;
				return false;
			}
			if (o->value) {
				if (!eq && i + 1 >= argc) {
					fprintf(stderr, "packetdeck %s: %s needs a value (see 'packetdeck %s --help')\n",
						cmd, o->name, cmd);
					*exit_status = PD_EXIT_USAGE;
					return false;
				}
				*o->value = eq ? eq + 1 : argv[++i];
			}
			if (o->flag)
				*o->flag = true;
			continue;
		}
		if (*positional) {
			fprintf(stderr, "packetdeck %s: unexpected argument '%s' (see 'packetdeck %s --help')\n",
				cmd, a, cmd);
			*exit_status = PD_EXIT_USAGE;
			return false;
		}
		*positional = a;
	}
	if (!*positional) {
		fprintf(stderr, "packetdeck %s: missing %s (see 'packetdeck %s --help')\n", cmd,
			strcmp(cmd, "packet") == 0 ? "PACKET_FILE" : "PACKET_DIR", cmd);
		*exit_status = PD_EXIT_USAGE;
		return false;
	}
	return true;
}

void cli_print_diags(const pd_diags *d)
{
	size_t i;

	for (i = 0; i < d->count; i++) {
		if (d->items[i].where)
			fprintf(stderr, "%s: %s\n", d->items[i].where, d->items[i].message);
		else
			fprintf(stderr, "%s\n", d->items[i].message);
	}
	if (d->dropped)
		fprintf(stderr, "packetdeck: %zu more problems not shown\n", d->dropped);
}

bool cli_load(pd_pktdir **out, const char *dir, int *exit_status)
{
	pd_diags diags = PD_DIAGS_INIT;
	int error = pd_pktdir_load(out, dir, &diags);

	if (error == 0) {
		pd_diags_free(&diags);
		return true;
	}
	cli_print_diags(&diags);
	if (error != PD_EINVALID || diags.count == 0)
		fprintf(stderr, "packetdeck: %s\n", pd_error_last());
	pd_diags_free(&diags);
	*exit_status = PD_EXIT_USAGE;
	return false;
}

int cli_print_json(cJSON *tree)
{
	char *text = cJSON_PrintUnformatted(tree);

	cJSON_Delete(tree);
	if (!text) {
		fprintf(stderr, "packetdeck: out of memory\n");
		return PD_EXIT_USAGE;
	}
	puts(text);
	free(text);
	return PD_EXIT_OK;
}

long cli_seconds(const char *text)
{
	char *end;
	long v;

	if (!text || !*text)
		return -1;
	v = strtol(text, &end, 10);
	return *end || v < 0 || v > 31L * 24 * 3600 ? -1 : v;
}

static int stop_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (write(stop_pipe[1], &c, 1) < 0)
		(void)0; /* the pipe is full: a stop is pending already */
	errno = saved;
}

int cli_catch_signals(void)
{
	struct sigaction sa;

	if (stop_pipe[0] < 0 && pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	return stop_pipe[0];
}

bool cli_has_terminal(bool json, bool no_tui)
{
	const char *term = getenv("TERM");

	return !json && !no_tui && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && !getenv("CI") &&
	       !(term && strcmp(term, "dumb") == 0);
}
