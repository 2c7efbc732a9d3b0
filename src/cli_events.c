/* cli_events.c - events as the headless front end shows them: a plain line
 * each, or one JSON object a line with --json. */
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
	default:
		break; /* failures and the end are said by the command itself */
	}
	fflush(stdout);
}
