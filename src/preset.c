/* preset.c - the named runners, the check that their program can be
 * started, and packetdeck's prompt for agents (preset.h).
 *
 * The templates are measured against the real CLIs (claude 2.1, codex
 * 0.171): claude -p without permissions refuses every write and commit and
 * still exits 0, and its space-separated list options are variadic (they
 * would swallow a prompt after them), hence the `=` forms; codex exec is
 * read-only by default, and a commit in a worktree writes the main
 * repository's git dir too, hence the --add-dir of both git dirs; codex
 * retries an unreachable endpoint forever unless unbounded_connection_retries
 * is disabled.
 *
 * Not here: expanding templates (runner.c), the placeholders' values
 * (engine_run.c).
 */
#define _GNU_SOURCE /* open_memstream */
#include "packetdeck/preset.h"
#include "packetdeck/error.h"
#include "packetdeck/runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLAUDE_NPM "npm install -g @anthropic-ai/claude-code"
#define CODEX_NPM "npm install -g @openai/codex"
#define CLAUDE_ALLOW "--allowedTools=Bash,Edit,Write,Read --add-dir={packet_dir}"
#define CLAUDE_STREAM "--output-format=stream-json --verbose"
#define CODEX_COMMON "codex exec --json --color never --disable unbounded_connection_retries"

static const pd_preset presets[] = {
	{"builtin", "{self} packet --tasks-only {packet} {resume}", true, PD_AGENT_AUTO, NULL, NULL,
	 "the tasks' Run: lines and sh blocks, by packetdeck itself"},
	{"claude", "claude -p {prompt} " CLAUDE_ALLOW " " CLAUDE_STREAM, false, PD_AGENT_CLAUDE,
	 "claude", CLAUDE_NPM, "Claude Code with packetdeck's prompt; edits, shell and the packet dir allowed"},
	{"claude-slash",
	 "claude -p \"/execute-work-packet {packet} {resume}\" " CLAUDE_ALLOW " " CLAUDE_STREAM, false,
	 PD_AGENT_CLAUDE, "claude", CLAUDE_NPM,
	 "the upstream /execute-work-packet command (installed in ~/.claude/commands)"},
	{"codex",
	 CODEX_COMMON " --sandbox workspace-write --add-dir {packet_dir} --add-dir {git_common_dir} "
		      "--add-dir {git_dir} --cd {worktree} {prompt}",
	 false, PD_AGENT_CODEX, "codex", CODEX_NPM,
	 "Codex in its workspace-write sandbox, plus the packet dir and the git dirs a commit writes"},
	{"codex-unsandboxed", CODEX_COMMON " --dangerously-bypass-approvals-and-sandbox --cd {worktree} {prompt}",
	 false, PD_AGENT_CODEX, "codex", CODEX_NPM,
	 "Codex without its sandbox: for machines that are a sandbox themselves"},
};

const pd_preset *pd_preset_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(presets) / sizeof(*presets); i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

const pd_preset *pd_preset_at(size_t i)
{
	return i < sizeof(presets) / sizeof(*presets) ? &presets[i] : NULL;
}

/* Is `path` an executable regular file? */
static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static bool on_path(const char *program)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[4096];

	if (strchr(program, '/'))
		return executable(program);
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		int n;

		end = strchrnul(p, ':');
		n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - p), end == p ? "." : p, program);
		if (n > 0 && (size_t)n < sizeof(buf) && executable(buf))
			return true;
	}
	return false;
}

int pd_runner_argv(char ***argv, const char *runner, const pd_runner_vars *v)
{
	const pd_preset *p = pd_preset_find(runner);
#define V(x) ((x) ? (x) : "")
	pd_template_var vars[] = {
		{"packet", V(v->packet)},
		{"packet_dir", V(v->packet_dir)},
		{"track", V(v->track)},
		{"worktree", V(v->worktree)},
		{"branch", V(v->branch)},
		{"resume", V(v->resume)},
		{"prompt", V(v->prompt)},
		{"git_dir", V(v->git_dir)},
		{"git_common_dir", V(v->git_common_dir)},
		{"self", V(v->self)},
	};
#undef V

	return pd_template_expand(argv, p ? p->template : runner, vars, sizeof(vars) / sizeof(*vars));
}

int pd_preset_check(const char *runner)
{
	const pd_preset *p = pd_preset_find(runner);
	char **argv = NULL;
	const char *program;
	int error = 0;

	if (p && p->builtin)
		return 0;
	if (p) {
		program = p->program;
	} else {
		/* a template: its first word, placeholders empty (they are values) */
		pd_runner_vars none = {.self = "/proc/self/exe"};

		if ((error = pd_runner_argv(&argv, runner, &none)) < 0)
			return error;
		program = argv[0];
	}
	if (!*program)
		error = pd_error_set(PD_EINVALID, "runner template: its first word is empty");
	else if (!on_path(program))
		error = pd_error_set(PD_ENOTFOUND, "%s: %s%s%s%s", program,
				     strchr(program, '/') ? "not an executable file" : "not found on PATH",
				     p ? " (" : "", p ? p->install : "", p ? ")" : "");
	pd_argv_free(argv);
	return error;
}

char *pd_agent_prompt(const pd_pktdir *pd, size_t index, const char *start_task)
{
	const pd_manifest *m = pd->manifest;
	const pd_track *t = &m->tracks[index];
	size_t n = pd_pktdir_ntasks(pd, index), k;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	if (!start_task && n > 0)
		start_task = pd_pktdir_task_id(pd, index, 0);
	fprintf(f, "You are executing track %ld (%s) of the feature %s, one work packet of a "
		   "packet dir, as packetdeck's runner. Nobody is there to answer questions: "
		   "work on your own until the track is done or cannot be done.\n\n",
		t->id, t->name, m->feature);
	fprintf(f, "Packet file: %s\nPacket dir: %s\nWorktree: %s\nBranch: %s\nTasks, in order: ",
		t->packet_path, m->dir_real, t->worktree_path, t->branch);
	for (k = 0; k < n; k++)
		fprintf(f, "%s%s", k ? ", " : "", pd_pktdir_task_id(pd, index, k));
	fprintf(f, "\nStart at task: %s\n", start_task && *start_task
						   ? start_task
						   : "none (every task is done: write the completion marker)");
	fprintf(f, "Checkpoint file: %s/track-%ld.checkpoint.json\n", m->dir_real, t->id);
	fprintf(f, "Completion marker: %s/track-%ld.completion.json\n\n", m->dir_real, t->id);
	fprintf(f,
		"Protocol (packetdeck checks each step):\n"
		"1. Read the packet file: it describes each task. Work only in the worktree, on its "
		"branch; do not switch branches. Do the tasks in order, starting at the task named "
		"above; the tasks before it are done already: do not redo them.\n"
		"2. After each task, commit its changes in the worktree (git add -A, then git commit "
		"-m \"Task ID: title\"). Then write the checkpoint file as one line of JSON, first to "
		"a temporary file in the packet dir and then renamed over the checkpoint file (mv):\n"
		"{\"format_version\":\"1.0.0\",\"track\":%ld,\"last_completed_task\":\"ID\","
		"\"commit\":\"<the 40-hex HEAD after your commit>\",\"timestamp\":\"<UTC, like "
		"2026-01-05T12:30:00Z>\",\"next_task\":\"<the next task's ID, or null after the "
		"last>\"}\n"
		"3. When every task is done and committed, write the completion marker the same way:\n"
		"{\"format_version\":\"1.0.0\",\"status\":\"complete\",\"commit\":\"<the 40-hex "
		"HEAD>\",\"timestamp\":\"<UTC>\"}\n"
		"4. packetdeck verifies the marker: its commit must be on branch %s, and the branch "
		"must have advanced since the track started. Never write the marker for work that is "
		"not committed. Do not edit or delete any other file in the packet dir; never touch "
		"manifest.json.\n"
		"5. If a task cannot be done, stop there: do not write the marker, and end with one "
		"line saying which task failed and why.\n",
		t->id, t->branch);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
