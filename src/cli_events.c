/* cli_events.c - events as the headless front end shows them (run, packet
 * and merge): a plain line each, or one JSON object a line with --json. */
#include "cli.h"
#include "packetdeck/activity.h"

#include <stdlib.h>

bool cli_events_ascii;

static void print_ids(const pd_event *e)
{
	size_t i;

	for (i = 0; i < e->nids; i++)
		printf("%s%ld", i ? ", " : "", e->ids[i]);
}

void cli_print_event(const pd_event *e, bool json)
{
	size_t i;

	if (json) {
		char *line = pd_event_json(e);

		if (line)
			puts(line);
		free(line);
		fflush(stdout);
		return;
	}
	switch (e->type) {
	case PD_EV_RUN_STARTED:
		printf("Run of %s: %zu tracks, %zu complete; order ", e->feature, e->total, e->completed);
		print_ids(e);
		printf(" (runner: %s)\n", e->runner);
		break;
	case PD_EV_TRACK_SKIPPED:
		printf("Track %ld (%s): skipped, %s\n", e->track, e->name ? e->name : "", e->reason);
		break;
	case PD_EV_TRACK_STARTED:
		printf("Track %ld (%s): started\n", e->track, e->name ? e->name : "");
		break;
	case PD_EV_HANDOFF_SUGGESTED:
		printf("Completed: %zu/%zu\n", e->completed, e->total);
		printf("Consider /handoff now to keep the session's context small "
		       "(--handoff stop writes .packetdeck/handoff.md and stops here).\n");
		break;
	case PD_EV_TASK_STARTED:
		printf("Task %s: %s\n", e->task, e->title ? e->title : "");
		break;
	case PD_EV_CHECKPOINT:
		printf("  checkpoint: task %s done at %.12s; next: %s\n", e->task,
		       e->commit && *e->commit ? e->commit : "(no commit)",
		       e->next_task ? e->next_task : "none");
		break;
	case PD_EV_TRACK_COMPLETED:
		printf("Track %ld complete (commit %.12s)\n", e->track,
		       e->commit && *e->commit ? e->commit : "none");
		break;
	case PD_EV_BLOCKED:
		if (e->nids == 1 && e->ids[0] == e->track) {
			printf("Track %ld (%s) is being executed by another process\n", e->track,
			       e->name ? e->name : "");
			break;
		}
		printf("Missing completion markers: ");
		print_ids(e);
		printf("\n");
		break;
	case PD_EV_WAITING:
		printf("Waiting: next check in %ld s, giving up at %s\n", e->next_poll_s,
		       e->deadline ? e->deadline : "?");
		break;
	case PD_EV_NOTICE:
		printf("notice: %s\n", e->message);
		break;
	case PD_EV_AGENT_ACTIVITY: {
		char line[PD_AGENT_SUMMARY_MAX + 64];

		pd_activity_line(line, sizeof(line), pd_activity_kind_from_name(e->kind), e->tool, e->summary,
				 e->exit_code, e->is_error, cli_events_ascii);
		if (line[0])
			printf("%s\n", line);
		break;
	}
	case PD_EV_MERGE_STARTED:
		printf("Merge of %s: %zu tracks into %s (strategy %s)\n", e->feature, e->total, e->branch,
		       e->strategy);
		printf("  worktree: %s\n", e->path);
		break;
	case PD_EV_TRACK_PLANNED:
		printf("  track %ld (%s): %s at %.12s\n", e->track, e->name, e->branch,
		       e->commit && *e->commit ? e->commit : "(no commit)");
		break;
	case PD_EV_TRACK_INCOMPLETE:
		printf("%s Track %ld (%s)\n", cli_events_ascii ? "x" : "\u2717", e->track, e->reason);
		break;
	case PD_EV_TRACK_MERGED:
		if (e->reason)
			printf("Track %ld (%s): %s\n", e->track, e->name, e->reason);
		else
			printf("Merged track %ld (%s): %.12s\n", e->track, e->name, e->commit);
		break;
	case PD_EV_MERGE_CONFLICT:
		printf("Conflict merging track %ld%s%s%s: %zu file%s\n", e->track, e->name ? " (" : "",
		       e->name ? e->name : "", e->name ? ")" : "", e->nfiles, e->nfiles == 1 ? "" : "s");
		for (i = 0; i < e->nfiles; i++)
			printf("  both changed: %s\n", e->files[i]);
		break;
	case PD_EV_QA_STARTED:
		printf("QA gate %s (%zu/%zu): started\n", e->gate, e->completed + 1, e->total);
		break;
	case PD_EV_QA_OUTPUT:
		printf("  %s\n", e->message);
		break;
	case PD_EV_QA_PASSED:
		printf("QA gate %s: passed\n", e->gate);
		break;
	case PD_EV_QA_SKIPPED:
		printf("QA gate %s: skipped (%s)\n", e->gate, e->reason);
		break;
	case PD_EV_QA_FAILED:
		printf("QA gate %s: failed\n", e->gate);
		break;
	case PD_EV_MERGE_COMPLETED:
		printf("Merged %zu tracks into %s at %.12s (worktree %s)\n", e->completed, e->branch,
		       e->commit, e->path);
		break;
	case PD_EV_MERGE_ABORTED:
		printf("Merge aborted: %s: %s\n", e->branch, e->reason);
		break;
	default:
		break; /* failures and the end are said by the command itself */
	}
	fflush(stdout);
}
