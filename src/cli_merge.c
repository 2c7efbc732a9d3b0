/* cli_merge.c - `packetdeck merge PACKET_DIR`: the /merge-work-packets
 * step, headless (merge.h does the work; this prints and picks the exit
 * status). */
#define _GNU_SOURCE
#include "cli.h"
#include "packetdeck/merge.h"
#include "packetdeck/preset.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
	"usage: packetdeck merge [--continue | --abort] [--no-qa] [--json] [--runner R] PACKET_DIR\n"
	"\n"
	"Merge the track branches, in dependency order, into the integration branch\n"
	"feature/{feature}-integrated, checked out in a worktree of its own beside the\n"
	"tracks' (the checkout of project_root is never switched or touched), one merge\n"
	"commit \"Merge track N (name)\" each; then check that every marker's commit is\n"
	"in it and run the manifest's post_merge_qa gates in order, in that worktree.\n"
	"Every track must be complete, its marker's commit on its branch.\n"
	"\n"
	"A conflict stops the merge with git's conflict markers in the integration\n"
	"worktree (`git status` there lists them): resolve and `git add` them, then\n"
	"--continue commits the resolution and goes on. --abort puts the integration\n"
	"branch and worktree back as they were before the merge (removed if the merge\n"
	"made them). merge_strategy \"manual\": merge by hand there, then --continue.\n"
	"\n"
	"Gates: \"pytest\" runs as `pytest --verbose`; an agent skill's name (e.g.\n"
	"green-mirage-audit, fact-checking) through the agent runner, asked to end with\n"
	"a verdict line (skipped, saying so, with the built-in runner); anything else\n"
	"as `/bin/sh -c ENTRY`. Their output goes to .packetdeck/merge.log too.\n"
	"\n"
	"  --continue    go on after a conflict, a manual merge, a failed gate or a kill\n"
	"  --abort       restore the state before the merge; remove .packetdeck/merge.json\n"
	"  --no-qa       skip the post_merge_qa gates\n"
	"  --json        events as JSON lines\n"
	"  --runner R    the agent runner for skill gates: claude, codex or a template\n"
	"                (default $PACKETDECK_RUNNER, else builtin: skill gates skipped)\n"
	"\n"
	"Files: .packetdeck/merge.json (the merge's state), .packetdeck/merge.log.\n"
	"exit status: 0 merged (gates passed or skipped) or aborted, 1 a gate failed or\n"
	"git failed, 2 invalid input or usage (or no merge to continue), 3 a track is\n"
	"not complete (or interrupted), 4 locked by a run or another merge, 6 stopped\n"
	"at a conflict or for a manual merge.\n";

static void print_event(void *ctx, const pd_event *e)
{
	cli_print_event(e, *(bool *)ctx);
}

int cli_merge(int argc, char **argv)
{
	bool cont = false, abort_ = false, no_qa = false, json = false;
	const char *runner = getenv("PACKETDECK_RUNNER"), *dir, *message = NULL;
	const cli_opt opts[] = {{"--continue", &cont, NULL}, {"--abort", &abort_, NULL},
				{"--no-qa", &no_qa, NULL},  {"--json", &json, NULL},
				{"--runner", NULL, &runner}, {NULL, NULL, NULL}};
	pd_merge_options mo = {0};
	pd_pktdir *pd = NULL;
	pd_merge *mg = NULL;
	pd_merge_outcome outcome;
	char self[PATH_MAX];
	ssize_t n;
	int status, stop_fd;

	if (!cli_parse(argc, argv, "merge", opts, help, &dir, &status))
		return status;
	if (cont && abort_) {
		fprintf(stderr, "packetdeck merge: --continue and --abort exclude each other\n");
		return PD_EXIT_USAGE;
	}
	if (!runner || !*runner)
		runner = "builtin";
	if (!abort_ && !no_qa && pd_preset_check(runner) < 0) {
		fprintf(stderr, "packetdeck merge: --runner %s: %s\n", pd_preset_find(runner) ? runner : "TEMPLATE",
			pd_error_last());
		return PD_EXIT_USAGE;
	}
	if (!cli_load(&pd, dir, &status))
		return status;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	mo.action = abort_ ? PD_MERGE_ABORT : cont ? PD_MERGE_CONTINUE : PD_MERGE_START;
	mo.no_qa = no_qa;
	mo.runner = runner;
	mo.self_exe = n > 0 ? self : argv[0];
	mo.grace_ms = 5000;
	mo.on_event = print_event;
	mo.ctx = &json;
	if ((stop_fd = cli_catch_signals()) < 0 || (status = pd_merge_new(&mg, pd, &mo)) < 0) {
		bool locked = stop_fd >= 0 && status == PD_ELOCKED;

		fprintf(stderr, "packetdeck merge: %s%s\n", locked ? "a run or another merge holds this packet dir: " : "",
			pd_error_last());
		pd_pktdir_free(pd);
		return locked ? PD_EXIT_LOCKED : PD_EXIT_USAGE;
	}
	for (;;) {
		struct pollfd fds[2] = {{stop_fd, POLLIN, 0}, {pd_merge_pollfd(mg), POLLIN, 0}};

		if (fds[1].fd >= 0 && poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].fd < 0 && poll(fds, 1, 0) < 0 && errno != EINTR)
			break;
		if (fds[0].revents & POLLIN) {
			char sig = 0, why[32];

			if (read(stop_fd, &sig, 1) < 0)
				sig = SIGTERM;
			snprintf(why, sizeof(why), "stopped by SIG%s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
			pd_merge_interrupt(mg, why);
			break;
		}
		if (pd_merge_step(mg))
			break;
	}
	outcome = pd_merge_outcome_of(mg, &message);
	status = pd_merge_exit_status(mg);
	if (outcome == PD_MERGED_OK && mo.action != PD_MERGE_ABORT && !json)
		printf("Next: review %s in %s, open a pull request, or merge it into your main branch.\n"
		       "The track worktrees and branches are kept.\n",
		       pd_merge_branch(mg), pd_merge_worktree(mg));
	else if (outcome == PD_MERGED_STOPPED || outcome == PD_MERGED_INTERRUPTED)
		fprintf(stderr, "%s\n", message ? message : "stopped");
	else if (outcome != PD_MERGED_OK)
		fprintf(stderr, "packetdeck merge: %s\n", message ? message : "failed");
	pd_merge_free(mg);
	pd_pktdir_free(pd);
	return status;
}
