/* mergeqa.c - one post_merge_qa gate (mergeqa.h): its process, its output
 * read a line at a time into the log and qa_output events, and its verdict.
 *
 * A command gate passes when it exits 0. An agent skill gate passes when
 * the agent exits 0 and the last verdict line of what it says (its result,
 * or a plain line of its output) is "PACKETDECK-QA: pass"; a gate that
 * says nothing passes nothing.
 */
#define _GNU_SOURCE
#include "mergeqa.h"
#include "packetdeck/activity.h"
#include "packetdeck/agentstream.h"
#include "packetdeck/error.h"
#include "packetdeck/runner.h"
#include "text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096
#define TAIL_LINES 20
#define TAIL_BYTES 300
#define VERDICT "PACKETDECK-QA:"

struct pd_gate_run {
	pd_gate_spec spec;
	pd_child *child;
	pd_agent_stream *stream; /* skills: the agent's output read as its stream */
	char line[LINE_MAX_BYTES];
	pd_lines lines;          /* the output, the line being received */
	bool eof, exited;
	int wstatus;
	char tail[TAIL_LINES][TAIL_BYTES];
	size_t ntail, tail_at;
	int verdict;             /* skills: 1 pass, 0 fail, -1 none yet */
	char verdict_why[TAIL_BYTES];
	char *message;
};

char *pd_gate_prompt(const char *skill, const char *feature, const char *branch,
		     const char *worktree)
{
	char *p;

	/* the verdict's words are not written out whole here, so that an agent
	 * CLI echoing its prompt cannot pass the gate for it */
	if (asprintf(&p,
		     "You are the post-merge quality gate \"%s\" of feature \"%s\".\n"
		     "The track branches have been merged into the integration branch %s, "
		     "checked out in the current directory (%s).\n"
		     "Perform the %s check on this code now, as that skill describes it. Read and run "
		     "what you need; do not commit, and do not change branches.\n"
		     "End your reply with one verdict line: the word " VERDICT " followed by a space "
		     "and either the word pass, or the word fail, a colon and the reason in one line.\n",
		     skill, feature, branch, worktree, skill) < 0)
		return NULL;
	return p;
}

static void emit_output(pd_gate_run *g, const char *text)
{
	pd_event ev = PD_EVENT_INIT(PD_EV_QA_OUTPUT);

	ev.gate = g->spec.entry;
	ev.message = text;
	if (g->spec.on_event)
		g->spec.on_event(g->spec.ctx, &ev);
}

static void keep_tail(pd_gate_run *g, const char *text)
{
	size_t n = strlen(text);

	if (n >= TAIL_BYTES) /* cut on a character boundary */
		for (n = TAIL_BYTES - 1; n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80; n--)
			;
	memcpy(g->tail[g->tail_at], text, n);
	g->tail[g->tail_at][n] = '\0';
	g->tail_at = (g->tail_at + 1) % TAIL_LINES;
	if (g->ntail < TAIL_LINES)
		g->ntail++;
}

/* The last verdict line in `text`: 1 pass, 0 fail (the reason into why),
 * -1 none. */
static int find_verdict(const char *text, char *why, size_t cap)
{
	const char *p = text, *last = NULL;
	const char *v;
	size_t n;

	while ((p = strstr(p, VERDICT))) {
		last = p;
		p += strlen(VERDICT);
	}
	if (!last)
		return -1;
	v = last + strlen(VERDICT);
	v += strspn(v, " \t");
	if (strncmp(v, "pass", 4) == 0 && (v[4] == '\0' || strchr(" \t\r\n.`*", v[4])))
		return 1;
	if (strncmp(v, "fail", 4) == 0) {
		v += 4;
		v += strspn(v, ": \t");
		n = strcspn(v, "\r\n");
		snprintf(why, cap, "%.*s", (int)(n < cap ? n : cap - 1), v);
		return 0;
	}
	return -1;
}

static void take_line(void *ctx, const char *line, size_t len, bool cut)
{
	pd_gate_run *g = ctx;
	char clean[LINE_MAX_BYTES];

	if (g->spec.log_fd >= 0) {
		/* the log keeps the bytes as they came */
		if (write(g->spec.log_fd, line, len) < 0 || write(g->spec.log_fd, "\n", 1) < 0)
			errno = 0; /* a log that cannot be written loses lines, not the gate */
	}
	clean[0] = '\0';
	if (g->stream) {
		pd_agent_activity act;

		if (pd_agent_stream_feed(g->stream, line, len, cut, time(NULL), &act) < 0)
			act.structured = false;
		if (act.structured) {
			if (act.kind != PD_ACT_NONE)
				pd_activity_line(clean, sizeof(clean), act.kind, act.tool, act.summary,
						 act.exit_code, act.is_error, false);
		} else {
			char why[TAIL_BYTES];
			int v;

			pd_agent_text_clean(clean, sizeof(clean), line, len, PD_TEXT_ONE_LINE);
			if ((v = find_verdict(clean, why, sizeof(why))) >= 0) {
				g->verdict = v;
				snprintf(g->verdict_why, sizeof(g->verdict_why), "%s", why);
			}
		}
	} else {
		pd_agent_text_clean(clean, sizeof(clean), line, len, PD_TEXT_ONE_LINE);
	}
	if (clean[0] || !g->stream) {
		emit_output(g, clean);
		keep_tail(g, clean);
	}
}

static void read_output(pd_gate_run *g)
{
	char buf[8192];
	ssize_t n;
	int fd = pd_child_output_fd(g->child);

	if (g->eof || fd < 0) {
		g->eof = true;
		return;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				g->eof = true;
			break;
		}
		if (n == 0) {
			g->eof = true;
			break;
		}
		pd_lines_feed(&g->lines, buf, (size_t)n, take_line, g);
	}
	if (g->eof && (g->lines.len || g->lines.cut)) /* a last line without its newline */
		take_line(g, g->lines.buf, g->lines.len, g->lines.cut);
}

static int gate_argv(const pd_gate_spec *s, char ***argv)
{
	char *prompt;
	int error;

	if (s->kind == PD_GATE_PYTEST)
		return pd_template_expand(argv, "pytest --verbose", NULL, 0);
	if (s->kind == PD_GATE_SHELL) {
		pd_template_var vars[] = {{"entry", s->entry}};

		return pd_template_expand(argv, "/bin/sh -c {entry}", vars, 1);
	}
	if (!(prompt = pd_gate_prompt(s->entry, s->feature, s->branch, s->worktree)))
		return pd_error_set(PD_ENOMEM, "out of memory");
	{
		pd_runner_vars v = {.packet_dir = s->packet_dir, .worktree = s->worktree,
				    .branch = s->branch, .prompt = prompt, .git_dir = s->worktree,
				    .git_common_dir = s->worktree,
				    .self = s->self_exe ? s->self_exe : "packetdeck"};

		error = pd_runner_argv(argv, s->runner, &v);
	}
	free(prompt);
	return error;
}

int pd_gate_start(pd_gate_run **out, const pd_gate_spec *spec)
{
	static char *const unset[] = {"CLAUDECODE", NULL};
	pd_spawn_options so;
	pd_gate_run *g;
	char **argv = NULL;
	int error;

	*out = NULL;
	if (!(g = calloc(1, sizeof(*g))))
		return pd_error_set(PD_ENOMEM, "out of memory");
	g->spec = *spec;
	g->lines = (pd_lines)PD_LINES_INIT(g->line);
	g->verdict = -1;
	if (spec->kind == PD_GATE_SKILL &&
	    (error = pd_agent_stream_new(&g->stream, spec->preset ? spec->preset->stream : PD_AGENT_AUTO)) < 0)
		goto fail;
	if ((error = gate_argv(spec, &argv)) < 0)
		goto fail;
	so = (pd_spawn_options){.argv = argv, .cwd = spec->worktree, .unset = unset, .output_fd = -1};
	error = pd_child_spawn(&g->child, &so);
	pd_argv_free(argv);
	if (error < 0)
		goto fail;
	*out = g;
	return 0;
fail:
	pd_gate_free(g);
	return error;
}

int pd_gate_fd(const pd_gate_run *g)
{
	return g->eof ? -1 : pd_child_output_fd(g->child);
}

bool pd_gate_step(pd_gate_run *g)
{
	if (g->exited)
		return true;
	read_output(g);
	if (!g->eof)
		return false;
	/* the output ended: the child has exited or closed it; wait for it */
	if (pd_child_wait(g->child, true, &g->wstatus) == 1)
		g->exited = true;
	else
		g->wstatus = -1, g->exited = true;
	return true;
}

void pd_gate_stop(pd_gate_run *g, unsigned grace_ms)
{
	if (g->exited || !g->child)
		return;
	g->wstatus = pd_child_stop(g->child, grace_ms);
	g->exited = true;
	g->eof = true;
}

bool pd_gate_passed(pd_gate_run *g, const char **message, int *exit_status)
{
	int code = g->wstatus >= 0 && WIFEXITED(g->wstatus) ? WEXITSTATUS(g->wstatus) : -1;
	int verdict = g->verdict;
	char why[TAIL_BYTES + 64], *text = NULL;
	size_t i, len = 0, cap;

	*exit_status = code;
	*message = NULL;
	if (g->stream) {
		const pd_agent_summary *s = pd_agent_stream_summary(g->stream);
		char r[TAIL_BYTES];
		int v;

		if (s->result_text && (v = find_verdict(s->result_text, r, sizeof(r))) >= 0) {
			verdict = v;
			snprintf(g->verdict_why, sizeof(g->verdict_why), "%s", r);
		}
	}
	if (code == 0 && (!g->stream || verdict == 1))
		return true;
	if (code != 0)
		snprintf(why, sizeof(why), code < 0 ? "it was killed" : "exit status %d", code);
	else if (verdict == 0)
		snprintf(why, sizeof(why), "it says: fail: %s", g->verdict_why);
	else
		snprintf(why, sizeof(why), "no verdict line (" VERDICT " pass or fail) in what it said");
	cap = strlen(why) + 2 + g->ntail * (TAIL_BYTES + 1);
	if ((text = malloc(cap))) {
		len += (size_t)snprintf(text, cap, "%s", why);
		for (i = 0; i < g->ntail; i++) {
			size_t k = (g->tail_at + TAIL_LINES - g->ntail + i) % TAIL_LINES;

			len += (size_t)snprintf(text + len, cap - len, "\n%s", g->tail[k]);
		}
	}
	free(g->message);
	g->message = text;
	*message = text;
	return false;
}

void pd_gate_free(pd_gate_run *g)
{
	if (!g)
		return;
	pd_child_free(g->child);
	pd_agent_stream_free(g->stream);
	free(g->message);
	free(g);
}
