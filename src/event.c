/* event.c - event names and their JSON form (event.h). */
#include "packetdeck/event.h"
#include "packetdeck/state.h"

#include <cJSON.h>
#include <time.h>

const char *pd_event_name(pd_event_type t)
{
	static const char *names[] = {
		"run_started",     "track_skipped", "blocked",           "waiting",
		"track_started",   "task_started",  "checkpoint",        "track_completed",
		"track_failed",    "handoff_suggested", "aborted",       "run_completed",
		"notice",          "agent_activity", "agent_usage",      "limited",
		"merge_started",   "track_planned", "track_incomplete",  "track_merged",
		"merge_conflict",  "merge_manual",  "qa_started",        "qa_output",
		"qa_passed",       "qa_skipped",    "qa_failed",         "merge_completed",
		"merge_aborted"};

	return (unsigned)t < sizeof(names) / sizeof(*names) ? names[t] : "unknown";
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
}

char *pd_event_json(const pd_event *e)
{
	cJSON *o = cJSON_CreateObject(), *ids;
	char now[21], *text;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "event", pd_event_name(e->type));
	cJSON_AddStringToObject(o, "ts", pd_timestamp(now, time(NULL)));
	if (e->track >= 0)
		cJSON_AddNumberToObject(o, "track", (double)e->track);
	add_str(o, "name", e->name);
	add_str(o, "feature", e->feature);
	add_str(o, "task", e->task);
	add_str(o, "title", e->title);
	if (e->type == PD_EV_CHECKPOINT) {
		if (e->next_task)
			cJSON_AddStringToObject(o, "next_task", e->next_task);
		else
			cJSON_AddNullToObject(o, "next_task");
	}
	add_str(o, "commit", e->commit);
	add_str(o, "message", e->message);
	add_str(o, "hint", e->hint);
	add_str(o, "reason", e->reason);
	add_str(o, "runner", e->runner);
	add_str(o, "branch", e->branch);
	add_str(o, "strategy", e->strategy);
	add_str(o, "path", e->path);
	add_str(o, "gate", e->gate);
	if (e->type == PD_EV_MERGE_CONFLICT) {
		cJSON *files = cJSON_AddArrayToObject(o, "files");

		for (i = 0; i < e->nfiles; i++)
			cJSON_AddItemToArray(files, cJSON_CreateString(e->files[i]));
	}
	if (e->type == PD_EV_TRACK_FAILED || e->type == PD_EV_QA_FAILED)
		cJSON_AddNumberToObject(o, "exit_status", e->exit_status);
	if (e->type == PD_EV_RUN_STARTED || e->type == PD_EV_HANDOFF_SUGGESTED ||
	    e->type == PD_EV_RUN_COMPLETED || e->type == PD_EV_MERGE_STARTED ||
	    e->type == PD_EV_MERGE_COMPLETED || e->type == PD_EV_QA_STARTED) {
		cJSON_AddNumberToObject(o, "completed", (double)e->completed);
		cJSON_AddNumberToObject(o, "total", (double)e->total);
	}
	if (e->type == PD_EV_RUN_STARTED || e->type == PD_EV_BLOCKED || e->type == PD_EV_MERGE_STARTED) {
		ids = cJSON_AddArrayToObject(o, e->type == PD_EV_BLOCKED ? "missing" : "order");
		for (i = 0; i < e->nids; i++)
			cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)e->ids[i]));
	}
	if (e->type == PD_EV_WAITING) {
		cJSON_AddNumberToObject(o, "next_poll_s", (double)e->next_poll_s);
		add_str(o, "deadline", e->deadline);
	}
	if (e->type == PD_EV_AGENT_ACTIVITY) {
		add_str(o, "kind", e->kind);
		add_str(o, "tool", e->tool);
		cJSON_AddStringToObject(o, "summary", e->summary ? e->summary : "");
		if (e->exit_code >= 0)
			cJSON_AddNumberToObject(o, "exit_code", e->exit_code);
		if (e->is_error)
			cJSON_AddTrueToObject(o, "is_error");
	}
	if (e->type == PD_EV_AGENT_USAGE) {
		cJSON_AddNumberToObject(o, "turns", (double)e->turns);
		cJSON_AddNumberToObject(o, "input_tokens", (double)e->input_tokens);
		cJSON_AddNumberToObject(o, "output_tokens", (double)e->output_tokens);
		if (e->has_cost)
			cJSON_AddNumberToObject(o, "cost_usd", e->cost_usd);
	}
	if (e->type == PD_EV_LIMITED) {
		if (e->resets_at)
			cJSON_AddStringToObject(o, "resets_at", e->resets_at);
		else
			cJSON_AddNullToObject(o, "resets_at");
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}
