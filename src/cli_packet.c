/* cli_packet.c - `packetdeck packet PACKET_FILE [--resume]`: execute one
 * track with the built-in runner, as the seed's /execute-work-packet does:
 * parse, manifest, dependency gate (wait or abort), worktree, resume
 * point, tasks with a checkpoint after each, completion marker. */
#include "cli.h"
#include "packetdeck/exec.h"
#include "packetdeck/gate.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
	"usage: packetdeck packet [options] PACKET_FILE\n"
	"\n"
	"Execute one track with the built-in runner: check that every track it\n"
	"depends on is complete, prepare its worktree (created with its branch if\n"
	"absent), run each task's Run: lines and sh/bash blocks with /bin/sh -c in\n"
	"the worktree, write the checkpoint after each task and the completion\n"
	"marker after the last. PACKET_FILE is a packet named by the manifest.json\n"
	"beside it.\n"
	"\n"
	"  --resume                   start at the checkpoint's next task (a corrupt\n"
	"                             checkpoint stops; without --resume, task 1)\n"
	"  --on-blocked ask|wait|abort  when a dependency is not complete (ask):\n"
	"                             ask prompts [w]ait / [a]bort on a terminal and\n"
	"                             aborts without one\n"
	"  --poll SECONDS             how often to look again while waiting (30);\n"
	"                             a marker that appears is noticed at once\n"
	"  --wait-timeout SECONDS     give up waiting after this long (1800)\n"
	"  --json                     events as JSON lines on stdout\n"
	"  --tasks-only               print only each task's header and the commands'\n"
	"                             output (for a runner template that reports the\n"
	"                             checkpoints and the outcome itself)\n"
	"\n"
	"exit status: 0 complete, 1 a task failed, 2 invalid input or usage,\n"
	"3 aborted (blocked dependency, wait timeout, signal), 4 the track is being\n"
	"executed by another process.\n";

static int stop_fd = -1;

typedef struct printing {
	bool json, tasks_only;
} printing;

static void on_event(void *ctx, const pd_event *e)
{
	const printing *p = ctx;

	if (!p->tasks_only || e->type == PD_EV_TASK_STARTED)
		cli_print_event(e, p->json);
}

/* Ask on a terminal; headless, ask means abort. */
static bool choose_wait(const char *mode)
{
	char line[32];

	if (strcmp(mode, "wait") == 0)
		return true;
	if (strcmp(mode, "abort") == 0)
		return false;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		printf("No terminal to ask on: aborting (--on-blocked wait waits instead)\n");
		return false;
	}
	for (;;) {
		printf("[w]ait / [a]bort? ");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return false;
		if (line[0] == 'w' || line[0] == 'W')
			return true;
		if (line[0] == 'a' || line[0] == 'A' || line[0] == '\n')
			return false;
	}
}

static int gate(const pd_pktdir *pd, size_t index, const char *mode, long poll_s, long timeout_s,
		printing *pr)
{
	const pd_track *t = &pd->manifest->tracks[index];
	pd_gate_options go = PD_GATE_OPTIONS_INIT;
	pd_event e = PD_EVENT_INIT(PD_EV_BLOCKED);
	long *missing = NULL;
	size_t n = 0, j;
	int error;

	if (pd_gate_missing(&missing, &n, pd, index) < 0 || n == 0) {
		free(missing);
		return PD_EXIT_OK;
	}
	if (!pr->json) {
		printf("Track %ld depends on tracks ", t->id);
		for (j = 0; j < t->ndeps; j++)
			printf("%s%ld", j ? ", " : "", t->depends_on[j]);
		printf("\n");
	}
	e.track = t->id;
	e.ids = missing;
	e.nids = n;
	cli_print_event(&e, pr->json);
	free(missing);
	if (!choose_wait(mode)) {
		fprintf(stderr, "packetdeck: aborted: track %ld's dependencies are not complete\n", t->id);
		return PD_EXIT_ABORTED;
	}
	go.poll_s = (unsigned)poll_s;
	go.timeout_s = (unsigned)timeout_s;
	go.stop_fd = stop_fd;
	go.on_event = on_event;
	go.ctx = pr;
	error = pd_gate_wait(pd, index, &go);
	if (error == 0)
		return PD_EXIT_OK;
	fprintf(stderr, "packetdeck: aborted: %s\n", pd_error_last());
	return error == PD_ETIMEOUT || error == PD_EINTERRUPTED ? PD_EXIT_ABORTED : PD_EXIT_USAGE;
}

int cli_packet(int argc, char **argv)
{
	bool resume = false, json = false, tasks_only = false;
	printing pr;
	const char *on_blocked = "ask", *poll_text = "30", *timeout_text = "1800", *file;
	const cli_opt opts[] = {{"--resume", &resume, NULL},
				{"--json", &json, NULL},
				{"--tasks-only", &tasks_only, NULL},
				{"--on-blocked", NULL, &on_blocked},
				{"--poll", NULL, &poll_text},
				{"--wait-timeout", NULL, &timeout_text},
				{NULL, NULL, NULL}};
	pd_exec_options eo = PD_EXEC_OPTIONS_INIT;
	pd_exec_result res;
	pd_pktdir *pd = NULL;
	long index, poll_s, timeout_s;
	char *copy, *dir;
	int status, error;

	if (!cli_parse(argc, argv, "packet", opts, help, &file, &status))
		return status;
	poll_s = cli_seconds(poll_text);
	timeout_s = cli_seconds(timeout_text);
	if (strcmp(on_blocked, "ask") && strcmp(on_blocked, "wait") && strcmp(on_blocked, "abort")) {
		fprintf(stderr, "packetdeck packet: --on-blocked takes ask, wait or abort, not '%s'\n",
			on_blocked);
		return PD_EXIT_USAGE;
	}
	if (poll_s < 1 || timeout_s < 0) {
		fprintf(stderr, "packetdeck packet: --poll and --wait-timeout take whole seconds "
				"(--poll at least 1)\n");
		return PD_EXIT_USAGE;
	}
	copy = strdup(file);
	dir = copy ? dirname(copy) : NULL;
	if (!dir) {
		free(copy);
		return PD_EXIT_USAGE;
	}
	{
		pd_diags diags = PD_DIAGS_INIT;
		size_t at = 0;

		error = pd_pktdir_load_one(&pd, dir, file, &at, &diags);
		cli_print_diags(&diags);
		pd_diags_free(&diags);
		free(copy);
		if (error < 0)
			return PD_EXIT_USAGE;
		index = (long)at;
	}
	if ((stop_fd = cli_catch_signals()) < 0) {
		fprintf(stderr, "packetdeck packet: cannot make a pipe\n");
		pd_pktdir_free(pd);
		return PD_EXIT_USAGE;
	}
	pr = (printing){json, tasks_only};
	status = gate(pd, (size_t)index, on_blocked, poll_s, timeout_s, &pr);
	if (status != PD_EXIT_OK)
		goto done;
	eo.resume = resume;
	eo.stop_fd = stop_fd;
	eo.run_id = getenv("PACKETDECK_RUN_ID");
	eo.on_event = on_event;
	eo.ctx = &pr;
	fflush(stdout); /* the commands write to the same stdout */
	error = pd_exec_track(pd, (size_t)index, &eo, &res);
	if (error < 0) {
		fprintf(stderr, "packetdeck packet: %s\n", pd_error_last());
		status = error == PD_ELOCKED ? PD_EXIT_LOCKED : PD_EXIT_USAGE;
	} else if (res.outcome == PD_EXEC_COMPLETE) {
		pd_event e = PD_EVENT_INIT(PD_EV_TRACK_COMPLETED);

		e.track = pd->manifest->tracks[index].id;
		e.commit = res.commit;
		on_event(&pr, &e);
		status = PD_EXIT_OK;
	} else {
		const pd_track *t = &pd->manifest->tracks[index];

		if (res.outcome == PD_EXEC_FAILED) {
			pd_event e = PD_EVENT_INIT(PD_EV_TRACK_FAILED);

			e.track = t->id;
			e.task = res.task[0] ? res.task : NULL;
			e.message = res.message;
			e.exit_status = res.exit_status;
			on_event(&pr, &e);
		}

		if (res.outcome == PD_EXEC_FAILED && res.task[0])
			fprintf(stderr, "Track %ld (%s) failed at task %s: %s\n", t->id, t->name, res.task,
				res.message);
		else if (res.outcome == PD_EXEC_FAILED)
			fprintf(stderr, "Track %ld (%s) failed: %s\n", t->id, t->name, res.message);
		else
			fprintf(stderr, "Track %ld (%s) interrupted: %s\n", t->id, t->name, res.message);
		if (!tasks_only)
			fprintf(stderr, "Resume with: packetdeck packet %s --resume\n", file);
		status = res.outcome == PD_EXEC_FAILED ? PD_EXIT_FAILED : PD_EXIT_ABORTED;
	}
done:
	pd_pktdir_free(pd);
	return status;
}
