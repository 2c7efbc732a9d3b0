/* preset.h - the runners packetdeck knows by name, and the agent prompt.
 *
 * A preset is an argv template (runner.h) with what packetdeck knows of
 * the program behind it: whether it is the built-in runner or an agent
 * that writes its own checkpoints and marker, how its output reads
 * (agentstream.h), and where the program comes from, for the message when
 * it is missing. `run --help` and the README print the templates as they
 * are here.
 *
 * The agent presets pass packetdeck's own prompt ({prompt}): the
 * execute-work-packet protocol spelled out with the track's paths, so
 * nothing has to be installed in the agent's configuration. The upstream
 * slash command stays available as a preset of its own.
 *
 * Not here: expanding templates (runner.h), running them (engine).
 */
#ifndef PD_PRESET_H
#define PD_PRESET_H

#include <stdbool.h>
#include <stddef.h>

#include "packetdeck/agentstream.h"
#include "packetdeck/pktdir.h"

typedef struct pd_preset {
	const char *name;      /* "claude" */
	const char *template;  /* an argv template */
	bool builtin;          /* packetdeck's own task runner; else an agent */
	pd_agent_kind stream;  /* how its output reads */
	const char *program;   /* the program it runs (NULL: packetdeck itself) */
	const char *install;   /* how to install the program */
	const char *about;     /* one line for --help */
} pd_preset;

/* The preset called `name`, or NULL (then `name` is a template of the
 * user's: an agent whose output is read as PD_AGENT_AUTO). */
const pd_preset *pd_preset_find(const char *name);

/* What a runner's template may name, a field each ({packet} is `packet`);
 * NULL is an empty value. */
typedef struct pd_runner_vars {
	const char *packet, *packet_dir, *track, *worktree, *branch, *resume, *prompt;
	const char *git_dir, *git_common_dir, *self;
} pd_runner_vars;

/* The argv of `runner` (a preset's name, or a template) with `v` put in
 * (pd_template_expand). */
int pd_runner_argv(char ***argv, const char *runner, const pd_runner_vars *v);

/* The i-th preset, in the order --help lists them; NULL past the end. */
const pd_preset *pd_preset_at(size_t i);

/* Can the runner `runner` (a preset's name or a template) be started: is
 * its program an executable file, found on PATH if it has no slash? 0, or
 * PD_ENOTFOUND with a message such as "claude: not found on PATH (npm
 * install -g @anthropic-ai/claude-code)"; PD_EINVALID for a template that
 * does not parse. The built-in runner always can. */
int pd_preset_check(const char *runner);

/* packetdeck's prompt for an agent executing track `index` of `pd`:
 * the packet, worktree and branch, the tasks in order and where to start
 * (`start_task`, NULL: the first; "" : none left, only the marker), the
 * checkpoint's and the marker's paths and formats. Malloc'd; NULL when out
 * of memory. */
char *pd_agent_prompt(const pd_pktdir *pd, size_t index, const char *start_task);

#endif
