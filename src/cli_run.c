/* cli_run.c - `packetdeck run PACKET_DIR`: the seq command. On a terminal
 * it hands over to the dashboard (ui/dash.h). Headless, it drives the
 * engine with poll(), answers its questions from the options (every "ask"
 * takes its documented default) and prints events as lines or JSON. */
#define _GNU_SOURCE /* open_memstream, sigabbrev_np */
#include "cli.h"
#include "dash.h"
#include "packetdeck/engine.h"
#include "packetdeck/notify.h"
#include "packetdeck/preset.h"
#include "packetdeck/state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
	"usage: packetdeck run [options] PACKET_DIR\n"
	"\n"
	"Execute every track in dependency order, one at a time: skip complete\n"
	"tracks, run each other track's runner in its worktree, verify its\n"
	"completion marker, stop at the first failure, and suggest /handoff between\n"
	"tracks. Run it again to resume: complete tracks are skipped.\n"
	"\n"
	"  --runner NAME|TEMPLATE     builtin (default, or $PACKETDECK_RUNNER), claude,\n"
	"                             claude-slash, codex, codex-unsandboxed, or an argv\n"
	"                             template (see below)\n"
	"  --resume                   resume a failed or interrupted track from its\n"
	"                             checkpoint instead of its first task\n"
	"  --on-blocked ask|wait|abort  a track executed elsewhere or a dependency not\n"
	"                             complete (ask; headless, ask aborts)\n"
	"  --poll SECONDS             while waiting, look again this often (30)\n"
	"  --wait-timeout SECONDS     give up waiting after this long (1800)\n"
	"  --idle-timeout SECONDS     an agent with no output and no checkpoint this long\n"
	"                             is stopped and its track fails (1800; 0: never);\n"
	"                             its errors and reconnect attempts are not progress\n"
	"  --track-timeout SECONDS    a track's runner is stopped after this long (0: never)\n"
	"  --on-limit wait|abort      an agent hit its usage limit: wait for the reset and\n"
	"                             start the track again from its checkpoint (wait; with\n"
	"                             no reset time known, every --poll up to --wait-timeout),\n"
	"                             or abort (exit 3)\n"
	"  --handoff ask|continue|stop  between tracks (ask; headless, ask continues);\n"
	"                             stop writes .packetdeck/handoff.md and exits 5\n"
	"  --notify TEMPLATE          run this command (an argv template, no shell) when\n"
	"                             the run needs a person (blocked, handoff, failure,\n"
	"                             usage limit) and when it ends; placeholders {event}\n"
	"                             {track} {message}, and PACKETDECK_EVENT,\n"
	"                             PACKETDECK_TRACK, PACKETDECK_MESSAGE set; never waited\n"
	"                             for (output: .packetdeck/notify.log)\n"
	"  --no-bell                  the dashboard does not ring the terminal's bell (it\n"
	"                             still sends desktop notifications: OSC 777 and 9)\n"
	"  --json                     events as JSON lines (runner output only in logs)\n"
	"  --quiet                    events only, without the runners' output\n"
	"  --handoff-timeout SECONDS  the dashboard's handoff dialog continues by itself\n"
	"                             after this long (30; 0: it waits for an answer)\n"
	"  --no-tui                   no dashboard even on a terminal: take the defaults\n"
	"  --ascii                    the dashboard in ASCII (also without a UTF-8 locale;\n"
	"                             NO_COLOR turns colours off)\n"
	"On a terminal (stdin and stdout; not CI, not TERM=dumb) run shows the\n"
	"dashboard and asks in dialogs: [w]ait / [a]bort, [c]ontinue / [s]top.\n"
	"Headless, ask means abort when blocked and continue at a handoff.\n"
	"\n"
	"Runner templates are split into words by packetdeck, quotes honoured, and\n"
	"run without a shell; placeholders: {packet} {packet_dir} {track} {worktree}\n"
	"{branch} {resume} (--resume or nothing) {prompt} (packetdeck's prompt for an\n"
	"agent: the protocol with this track's paths) {git_dir} {git_common_dir} (the\n"
	"worktree's git dirs, which a commit writes). An agent's branch must advance:\n"
	"a marker whose commit is not on it, or a branch with no new commit, fails\n"
	"the track. Presets, exactly ({self} is this program):\n";

static const char help_end[] =
	"Files: .packetdeck/run.lock, track-N.lock, track-N.log, track-N.failure.json,\n"
	"track-N.start.json, track-N.limit.json, events.jsonl, handoff.md, notify.log.\n"
	"\n"
	"exit status: 0 all complete, 1 a track failed, 2 invalid input or usage,\n"
	"3 aborted (blocked, wait timeout, usage limit with --on-limit abort, signal),\n"
	"4 locked by another run,\n"
	"5 stopped for handoff.\n";

/* The help, with the presets' exact text from the table the engine uses. */
static char *full_help(void)
{
	const pd_preset *p;
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fputs(help, f);
	for (i = 0; (p = pd_preset_at(i)) != NULL; i++)
		fprintf(f, "  %s: %s\n      %s\n", p->name, p->about, p->template);
	fputs(help_end, f);
	fclose(f);
	return text;
}

typedef struct driver {
	bool json, quiet, limit_abort;
	unsigned poll_s;
	pd_notifier *notifier;
	bool notify_failed;
} driver;

/* --notify, headless: the command on the events that need a person. */
static void notify(driver *d, const pd_event *e)
{
	if (!d->notifier || !pd_notify_wanted(e->type))
		return;
	if (pd_notifier_send(d->notifier, e) < 0 && !d->notify_failed) {
		d->notify_failed = true;
		fprintf(stderr, "packetdeck run: %s\n", pd_error_last());
	}
}

static void on_event(void *ctx, const pd_event *e)
{
	driver *d = ctx;

	notify(d, e);
	if (d->quiet && !d->json && e->type == PD_EV_AGENT_ACTIVITY)
		return; /* the runner's output, in its readable form */
	if (e->type == PD_EV_LIMITED && !d->json) {
		/* what this driver does about it */
		if (e->resets_at)
			printf("Track %ld (%s): usage limit until %s; %s\n", e->track, e->name ? e->name : "",
			       e->resets_at, d->limit_abort ? "aborting (--on-limit abort)"
				 : "waiting, then it starts again from its checkpoint");
		else if (d->limit_abort)
			printf("Track %ld (%s): usage limit (reset time not known); aborting (--on-limit abort)\n",
			       e->track, e->name ? e->name : "");
		else
			printf("Track %ld (%s): usage limit (reset time not known); trying again every %u s\n",
			       e->track, e->name ? e->name : "", d->poll_s);
		if (e->message)
			printf("  %s\n", e->message);
		fflush(stdout);
		return;
	}
	cli_print_event(e, d->json);
}

static void on_output(void *ctx, long track, const char *data, size_t len)
{
	driver *d = ctx;

	(void)track;
	if (d->json || d->quiet)
		return;
	fwrite(data, 1, len, stdout);
	fflush(stdout);
}

static bool one_of(const char *v, const char *a, const char *b, const char *c)
{
	return strcmp(v, a) == 0 || strcmp(v, b) == 0 || strcmp(v, c) == 0;
}

static void closing(pd_engine *e, const pd_pktdir *pd, const char *dir, int status)
{
	const pd_track *t;

	if (!e) {
		if (status == PD_EXIT_LOCKED)
			fprintf(stderr, "packetdeck run: another run is executing this packet dir: %s\n",
				pd_error_last());
		else if (status == PD_EXIT_USAGE)
			fprintf(stderr, "packetdeck run: %s\n", pd_error_last());
		return;
	}
	t = &pd->manifest->tracks[pd_engine_track(e)];

	switch (status) {
	case PD_EXIT_OK:
		printf("All tracks completed. Next: /merge-work-packets %s\n", dir);
		printf("Then: packetdeck merge %s\n", dir);
		break;
	case PD_EXIT_FAILED:
		if (*pd_engine_failure_task(e))
			fprintf(stderr, "Track %ld (%s) failed at task %s: %s\n", t->id, t->name,
				pd_engine_failure_task(e), pd_engine_failure(e));
		else
			fprintf(stderr, "Track %ld (%s) failed: %s\n", t->id, t->name, pd_engine_failure(e));
		if (*pd_engine_failure_hint(e))
			fprintf(stderr, "Hint: %s\n", pd_engine_failure_hint(e));
		fprintf(stderr, "No later track was started. %s: packetdeck run %s --resume\n",
			*pd_engine_failure_hint(e) ? "Then" : "Fix it, then", dir);
		break;
	case PD_EXIT_ABORTED:
		fprintf(stderr, "packetdeck run: aborted: %s\n", pd_engine_failure(e));
		break;
	case PD_EXIT_HANDOFF:
		printf("Stopped for /handoff: %s says what is done and how to continue.\n",
		       pd_engine_handoff_path(e));
		break;
	default:
		break;
	}
}

typedef struct run_closing {
	const pd_pktdir *pd;
	const char *dir;
} run_closing;

/* After the dashboard restored the terminal: the same closing lines. */
static void dash_closing(void *ctx, pd_engine *e, int status)
{
	run_closing *rc = ctx;

	closing(e, rc->pd, rc->dir, status);
}

/* The built-in runner and tasks without commands: said before anything
 * is done (a complete track needs none). */
static bool refuse_bare(const pd_pktdir *pd, const char *runner)
{
	const pd_preset *p = pd_preset_find(runner);
	size_t n = pd->manifest->ntracks, i;
	bool *complete;
	char *bare;

	if (!p || !p->builtin || !(complete = calloc(n ? n : 1, sizeof(*complete))))
		return false;
	for (i = 0; i < n; i++) {
		pd_marker m;

		if (!pd->summaries[i].nbare)
			continue; /* nothing to refuse: its marker need not be read */
		complete[i] = pd_marker_read(&m, pd->manifest->dir, pd->manifest->tracks[i].id) == 0 &&
			      m.state == PD_FILE_OK;
		pd_marker_clear(&m);
	}
	bare = pd_pktdir_bare_tracks(pd, complete);
	free(complete);
	if (!bare)
		return false;
	fprintf(stderr, "packetdeck run: the built-in runner has nothing to execute in %s: run these "
			"tracks with an agent runner (--runner claude or --runner codex)\n", bare);
	free(bare);
	return true;
}

int cli_run(int argc, char **argv)
{
	bool resume = false, json = false, quiet = false, no_tui = false, ascii = false, no_bell = false;
	const char *runner = getenv("PACKETDECK_RUNNER"), *on_blocked = "ask", *handoff = "ask";
	const char *poll_text = "30", *timeout_text = "1800", *handoff_timeout = "30", *dir;
	const char *idle_text = "1800", *track_text = "0", *on_limit = "wait", *notify_tmpl = NULL;
	const cli_opt opts[] = {{"--runner", NULL, &runner},     {"--resume", &resume, NULL},
				{"--on-blocked", NULL, &on_blocked}, {"--poll", NULL, &poll_text},
				{"--wait-timeout", NULL, &timeout_text}, {"--handoff", NULL, &handoff},
				{"--json", &json, NULL},          {"--quiet", &quiet, NULL},
				{"--no-tui", &no_tui, NULL},      {"--ascii", &ascii, NULL},
				{"--handoff-timeout", NULL, &handoff_timeout},
				{"--idle-timeout", NULL, &idle_text}, {"--track-timeout", NULL, &track_text},
				{"--on-limit", NULL, &on_limit}, {"--notify", NULL, &notify_tmpl},
				{"--no-bell", &no_bell, NULL},
				{NULL, NULL, NULL}};
	pd_engine_options eo = PD_ENGINE_OPTIONS_INIT;
	char self[PATH_MAX];
	ssize_t n;
	pd_pktdir *pd = NULL;
	pd_engine *e = NULL;
	driver drv;
	bool interactive;
	long poll_s, timeout_s, idle_s, track_s;
	int status, stop_fd = -1;

	{
		char *text = full_help();
		bool go = cli_parse(argc, argv, "run", opts, text ? text : help, &dir, &status);

		free(text);
		if (!go)
			return status;
	}
	poll_s = cli_seconds(poll_text);
	timeout_s = cli_seconds(timeout_text);
	idle_s = cli_seconds(idle_text);
	track_s = cli_seconds(track_text);
	if (!runner || !*runner)
		runner = "builtin";
	if (!one_of(on_blocked, "ask", "wait", "abort") || !one_of(handoff, "ask", "continue", "stop") ||
	    !one_of(on_limit, "wait", "abort", "wait") ||
	    poll_s < 1 || timeout_s < 0 || cli_seconds(handoff_timeout) < 0 || idle_s < 0 || track_s < 0) {
		fprintf(stderr, "packetdeck run: --on-blocked takes ask|wait|abort, --handoff "
				"ask|continue|stop, --on-limit wait|abort, --poll, --wait-timeout, --idle-timeout, --track-timeout and "
				"--handoff-timeout whole seconds\n");
		return PD_EXIT_USAGE;
	}
	/* a runner that cannot start is said before anything is done */
	if (pd_preset_check(runner) < 0) {
		fprintf(stderr, "packetdeck run: --runner %s: %s\n",
			pd_preset_find(runner) ? runner : "TEMPLATE", pd_error_last());
		return PD_EXIT_USAGE;
	}
	if (!cli_load(&pd, dir, &status))
		return status;
	if (refuse_bare(pd, runner)) {
		pd_pktdir_free(pd);
		return PD_EXIT_USAGE;
	}
	memset(&drv, 0, sizeof(drv));
	if (notify_tmpl && pd_notifier_new(&drv.notifier, notify_tmpl, pd->manifest->dir) < 0) {
		fprintf(stderr, "packetdeck run: %s\n", pd_error_last());
		pd_pktdir_free(pd);
		return PD_EXIT_USAGE;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	cli_events_ascii = ascii;
	drv.json = json;
	drv.quiet = quiet;
	drv.limit_abort = eo.on_limit_abort = strcmp(on_limit, "abort") == 0;
	drv.poll_s = (unsigned)poll_s;
	interactive = cli_has_terminal(json, no_tui);
	eo.runner = runner;
	eo.self_exe = n > 0 ? self : argv[0];
	eo.resume = resume;
	eo.poll_s = (unsigned)poll_s;
	eo.wait_timeout_s = (unsigned)timeout_s;
	eo.idle_timeout_s = (unsigned)idle_s;
	eo.track_timeout_s = (unsigned)track_s;
	eo.on_event = on_event;
	eo.on_output = on_output;
	eo.ctx = &drv;
	if ((stop_fd = cli_catch_signals()) >= 0 && interactive) {
		run_closing rc = {pd, dir};
		ui_dash_options uo = {.ascii = ascii, .engine = eo, .resume_given = resume,
				      .on_blocked = on_blocked, .handoff = handoff,
				      .handoff_timeout_s = (unsigned)cli_seconds(handoff_timeout),
				      .stop_fd = stop_fd, .closing = dash_closing, .ctx = &rc,
				      .notify = notify_tmpl, .no_bell = no_bell};

		pd_notifier_free(drv.notifier); /* the dashboard has its own */
		status = ui_dash_run(pd, &uo);
		pd_pktdir_free(pd);
		return status;
	}
	if (stop_fd < 0 || pd_engine_new(&e, pd, &eo) < 0) {
		fprintf(stderr, "packetdeck run: %s\n", pd_error_last());
		pd_notifier_free(drv.notifier);
		pd_pktdir_free(pd);
		return PD_EXIT_USAGE;
	}
	if ((status = pd_engine_start(e)) < 0) {
		bool locked = status == PD_ELOCKED;

		fprintf(stderr, "packetdeck run: %s%s\n", locked ? "another run is executing this packet dir: " : "",
			pd_error_last());
		pd_engine_free(e);
		pd_notifier_free(drv.notifier);
		pd_pktdir_free(pd);
		return locked ? PD_EXIT_LOCKED : PD_EXIT_USAGE;
	}
	for (;;) {
		struct pollfd fds[PD_ENGINE_MAX_FDS + 1];
		pd_ask ask = pd_engine_ask(e);
		size_t nfds;
		int timeout;

		if (ask == PD_ASK_DONE)
			break;
		if (ask == PD_ASK_BLOCKED) {
			bool wait = strcmp(on_blocked, "wait") == 0;

			if (strcmp(on_blocked, "ask") == 0 && !json)
				printf("No terminal to ask on: aborting (--on-blocked wait waits instead)\n");
			pd_engine_answer(e, wait ? PD_ANSWER_WAIT : PD_ANSWER_ABORT);
			continue;
		}
		if (ask == PD_ASK_HANDOFF) {
			bool stop = strcmp(handoff, "stop") == 0;

			pd_engine_answer(e, stop ? PD_ANSWER_STOP : PD_ANSWER_CONTINUE);
			continue;
		}
		nfds = pd_engine_pollfds(e, fds, &timeout);
		if (pd_notifier_timeout_ms(drv.notifier) >= 0 &&
		    (timeout < 0 || pd_notifier_timeout_ms(drv.notifier) < timeout))
			timeout = pd_notifier_timeout_ms(drv.notifier);
		fds[nfds] = (struct pollfd){stop_fd, POLLIN, 0};
		if (poll(fds, nfds + 1, timeout) < 0 && errno != EINTR)
			break;
		if (fds[nfds].revents & POLLIN) {
			char sig = 0;
			char why[32];

			if (read(stop_fd, &sig, 1) < 0)
				sig = SIGTERM;
			snprintf(why, sizeof(why), "stopped by SIG%s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
			pd_engine_interrupt(e, why);
			continue;
		}
		pd_engine_handle(e, fds, nfds);
		pd_notifier_reap(drv.notifier);
	}
	status = pd_engine_exit_status(e);
	closing(e, pd, pd->manifest->dir, status);
	pd_engine_free(e);
	pd_notifier_free(drv.notifier); /* the last notification: given 2 s */
	pd_pktdir_free(pd);
	return status;
}
