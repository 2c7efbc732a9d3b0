/* activity.c - an agent's activity as readable lines (activity.h). */
#include "packetdeck/activity.h"
#include "packetdeck/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

pd_activity_kind pd_activity_kind_from_name(const char *name)
{
	if (!name)
		return PD_ACT_NONE;
	if (strcmp(name, "tool") == 0)
		return PD_ACT_TOOL;
	if (strcmp(name, "result") == 0)
		return PD_ACT_RESULT;
	if (strcmp(name, "message") == 0)
		return PD_ACT_MESSAGE;
	if (strcmp(name, "error") == 0)
		return PD_ACT_ERROR;
	return PD_ACT_NONE;
}

/* codex's item types are long: shown by what they are */
static const char *shown_tool(const char *tool)
{
	static const char *const names[][2] = {{"command_execution", "Shell"}, {"file_change", "Edit"},
					       {"mcp_tool_call", "MCP"},        {"web_search", "Web"},
					       {"collab_tool_call", "Agent"}};
	size_t i;

	for (i = 0; tool && i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(tool, names[i][0]) == 0)
			return names[i][1];
	return tool ? tool : "tool";
}

pd_line_kind pd_activity_line(char *buf, size_t cap, pd_activity_kind kind, const char *tool,
			      const char *summary, int exit_code, bool is_error, bool ascii)
{
	const char *s = summary ? summary : "";

	buf[0] = '\0';
	switch (kind) {
	case PD_ACT_TOOL:
		snprintf(buf, cap, "%s %-5s %s", ascii ? ">" : "▸", shown_tool(tool), s);
		return PD_LINE_TOOL;
	case PD_ACT_RESULT:
		if (exit_code >= 0)
			snprintf(buf, cap, "  %s exit %d", exit_code == 0 && !is_error ? (ascii ? "ok" : "✓")
										: (ascii ? "x" : "✗"),
				 exit_code);
		else if (is_error)
			snprintf(buf, cap, "  %s failed", ascii ? "x" : "✗");
		else
			snprintf(buf, cap, "  %s done", ascii ? "ok" : "✓");
		return exit_code > 0 || is_error ? PD_LINE_FAIL : PD_LINE_OK;
	case PD_ACT_MESSAGE:
		snprintf(buf, cap, "%s", s);
		return *s ? PD_LINE_MESSAGE : PD_LINE_PLAIN;
	case PD_ACT_ERROR:
		snprintf(buf, cap, "! %s", *s ? s : "error");
		return PD_LINE_ERROR;
	default:
		return PD_LINE_PLAIN;
	}
}

void pd_readable_free(pd_readable *r, size_t n)
{
	size_t i;

	for (i = 0; r && i < n; i++)
		free(r[i].text);
	free(r);
}

static int push(pd_readable **out, size_t *n, size_t *cap, const char *text, pd_line_kind kind)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		pd_readable *more = realloc(*out, c * sizeof(*more));

		if (!more)
			return PD_ENOMEM;
		*out = more;
		*cap = c;
	}
	if (!((*out)[*n].text = strdup(text)))
		return PD_ENOMEM;
	(*out)[(*n)++].kind = kind;
	return 0;
}

int pd_activity_render(const char *const *raw, size_t n, bool ascii, pd_readable **out, size_t *nout,
		       bool *stream)
{
	pd_agent_stream *s = NULL;
	size_t i, cap = 0;
	char line[PD_AGENT_SUMMARY_MAX + 64];
	int error = 0;

	*out = NULL;
	*nout = 0;
	if (stream)
		*stream = false;
	if (pd_agent_stream_new(&s, PD_AGENT_AUTO) < 0)
		return PD_ENOMEM;
	for (i = 0; i < n && error == 0; i++) {
		pd_agent_activity act;
		size_t len = strlen(raw[i]);
		pd_line_kind kind;

		if (pd_agent_stream_feed(s, raw[i], len, false, time(NULL), &act) < 0) {
			error = PD_ENOMEM;
			break;
		}
		if (!act.structured) {
			char *text = malloc(len + 1);

			if (!text) {
				error = PD_ENOMEM;
				break;
			}
			pd_agent_text_clean(text, len + 1, raw[i], len, PD_TEXT_ONE_LINE);
			error = push(out, nout, &cap, text, PD_LINE_PLAIN);
			free(text);
			continue;
		}
		if (stream)
			*stream = true;
		if (act.kind == PD_ACT_DONE) {
			const pd_agent_summary *sum = pd_agent_stream_summary(s);

			snprintf(line, sizeof(line), "%s %s · %ld turn%s", ascii ? "#" : "■",
				 act.is_error ? "ended with an error" : "done", sum->turns,
				 sum->turns == 1 ? "" : "s");
			if (sum->has_cost)
				snprintf(line + strlen(line), sizeof(line) - strlen(line), " · $%.2f", sum->cost_usd);
			kind = act.is_error ? PD_LINE_FAIL : PD_LINE_OK;
		} else {
			kind = pd_activity_line(line, sizeof(line), act.kind, act.tool, act.summary,
						act.exit_code, act.is_error, ascii);
		}
		if (line[0])
			error = push(out, nout, &cap, line, kind);
	}
	pd_agent_stream_free(s);
	if (error) {
		pd_readable_free(*out, *nout);
		*out = NULL;
		*nout = 0;
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	return 0;
}
