/* mergeqa.h - one post_merge_qa gate, run in the integration worktree
 * (merge.h): `pytest --verbose`, `sh -c ENTRY` (the manifest author's own
 * command, the only string of the manifest that reaches a shell), or an
 * agent skill through the agent runner, asked to perform that check and to
 * end with a verdict line. Its output is appended to .packetdeck/merge.log
 * and said line by line (qa_output); the last lines are kept for a failure.
 * Internal: only merge.c calls it.
 */
#ifndef PD_MERGEQA_H
#define PD_MERGEQA_H

#include <stdbool.h>

#include "packetdeck/event.h"
#include "packetdeck/merge.h"
#include "packetdeck/preset.h"

typedef struct pd_gate_spec {
	const char *entry;       /* the post_merge_qa entry */
	pd_gate_kind kind;
	const char *worktree;    /* where it runs */
	const char *branch;      /* the integration branch */
	const char *packet_dir;  /* absolute */
	const char *feature;
	const char *runner;      /* skills: a template or a preset's name (not builtin) */
	const pd_preset *preset; /* its preset, or NULL for a template */
	const char *self_exe;
	int log_fd;              /* .packetdeck/merge.log, or -1 */
	pd_event_fn on_event;
	void *ctx;
} pd_gate_spec;

typedef struct pd_gate_run pd_gate_run;

/* Start the gate (PD_EIO with the reason when it cannot be started). */
int pd_gate_start(pd_gate_run **out, const pd_gate_spec *spec);
/* Its output descriptor, or -1 once its output has ended. */
int pd_gate_fd(const pd_gate_run *g);
/* Read what is there (never blocks); true once it has exited. */
bool pd_gate_step(pd_gate_run *g);
/* Stop it (its process group). */
void pd_gate_stop(pd_gate_run *g, unsigned grace_ms);
/* After it finished: passed? and, when not, why plus its last lines
 * (valid until pd_gate_free); its exit status (-1 when killed). */
bool pd_gate_passed(pd_gate_run *g, const char **message, int *exit_status);
void pd_gate_free(pd_gate_run *g);

/* The prompt for a skill gate (malloc'd; NULL when out of memory). */
char *pd_gate_prompt(const char *skill, const char *feature, const char *branch,
		     const char *worktree);

#endif
