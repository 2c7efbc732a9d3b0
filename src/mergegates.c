/* mergegates.c - the merge machine's last stages (merge.h): the
 * post_merge_qa gates in manifest order, each started (or skipped: --no-qa,
 * or an agent skill under the built-in runner) and read until it exits
 * (mergeqa.c), the first failure stopping them; then the end. */
#define _GNU_SOURCE
#include "merge_int.h"

#include <stdio.h>
#include <string.h>

static bool completed(pd_merge *mg)
{
	pd_event ev = PD_EVENT_INIT(PD_EV_MERGE_COMPLETED);
	char head[41] = "";

	if (pd_merge_save(mg, PD_MERGE_COMPLETED) < 0)
		return pd_merge_fail(mg);
	pd_mg_head(mg->g, head);
	pd_merge_log(mg, "merge completed: %s at %s", mg->s.branch, head);
	ev.branch = mg->s.branch;
	ev.path = mg->s.worktree;
	ev.commit = head;
	ev.completed = mg->k; /* every track is in by now */
	ev.total = mg->norder;
	pd_merge_emit(mg, &ev);
	return pd_merge_finish(mg, PD_MERGED_OK, NULL);
}

/* Gate `entry` failed (could not start, or said so): the gates stop, with
 * `said` as the merge's last word (NULL: `why`). */
static bool gate_failed(pd_merge *mg, const char *entry, const char *why, const char *said, int code)
{
	pd_event ev = PD_EVENT_INIT(PD_EV_QA_FAILED);

	ev.gate = entry;
	ev.message = why;
	ev.exit_status = code;
	pd_merge_emit(mg, &ev);
	pd_merge_log(mg, "gate %s failed: %.200s", entry, why);
	if (pd_merge_save(mg, PD_MERGE_QA_FAILED) < 0)
		return pd_merge_fail(mg);
	return pd_merge_finish(mg, PD_MERGED_QA_FAILED, "%s", said ? said : why);
}

bool pd_merge_step_gate(pd_merge *mg)
{
	const char *entry;
	pd_gate_kind kind;
	pd_gate_spec spec;
	pd_event ev;

	if (mg->s.gate >= mg->m->npost_merge_qa)
		return completed(mg);
	entry = mg->m->post_merge_qa[mg->s.gate];
	kind = pd_gate_classify(entry);
	if (pd_merge_save(mg, PD_MERGE_QA) < 0)
		return pd_merge_fail(mg);
	if (mg->o.no_qa || (kind == PD_GATE_SKILL && mg->builtin)) {
		ev = (pd_event)PD_EVENT_INIT(PD_EV_QA_SKIPPED);
		ev.gate = entry;
		ev.reason = mg->o.no_qa ? "--no-qa"
					: "an agent skill: the built-in runner cannot perform it (merge "
					  "--runner claude or codex)";
		pd_merge_emit(mg, &ev);
		pd_merge_log(mg, "gate %s skipped: %s", entry, ev.reason);
		mg->s.gate++;
		return false;
	}
	ev = (pd_event)PD_EVENT_INIT(PD_EV_QA_STARTED);
	ev.gate = entry;
	ev.completed = mg->s.gate;
	ev.total = mg->m->npost_merge_qa;
	pd_merge_emit(mg, &ev);
	pd_merge_log(mg, "gate %s started in %s", entry, mg->s.worktree);
	spec = (pd_gate_spec){.entry = entry, .kind = kind, .worktree = mg->s.worktree,
			      .branch = mg->s.branch, .packet_dir = mg->m->dir_real,
			      .feature = mg->m->feature, .runner = mg->o.runner, .preset = mg->preset,
			      .self_exe = mg->o.self_exe, .log_fd = mg->log_fd,
			      .on_event = mg->o.on_event, .ctx = mg->o.ctx};
	if (pd_gate_start(&mg->run, &spec) < 0) {
		char why[600], said[700];

		snprintf(why, sizeof(why), "%s", pd_error_last());
		snprintf(said, sizeof(said), "gate %s: %s", entry, why);
		return gate_failed(mg, entry, why, said, 127);
	}
	mg->st = ST_GATE_RUN;
	return false;
}

bool pd_merge_step_gate_run(pd_merge *mg)
{
	const char *entry = mg->m->post_merge_qa[mg->s.gate], *why = NULL;
	int code = 0;

	if (!pd_gate_step(mg->run))
		return false;
	if (pd_gate_passed(mg->run, &why, &code)) {
		pd_event ev = PD_EVENT_INIT(PD_EV_QA_PASSED);

		ev.gate = entry;
		pd_merge_emit(mg, &ev);
		pd_merge_log(mg, "gate %s passed", entry);
		pd_gate_free(mg->run);
		mg->run = NULL;
		mg->s.gate++;
		mg->st = ST_GATE;
		return false;
	}
	gate_failed(mg, entry, why ? why : "failed", NULL, code);
	pd_gate_free(mg->run);
	mg->run = NULL;
	return true;
}

