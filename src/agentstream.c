/* agentstream.c - claude's stream-json and codex's exec --json, read line
 * by line into live activities and a run summary (agentstream.h).
 *
 * Each line is either JSON of a known "type" (claude: system, assistant,
 * user, result, rate_limit_event; codex: thread.*, turn.*, item.*,
 * error), or something else: a plain line (kept in the tail, and checked
 * for an unknown slash command or a usage limit at its start), a cut or
 * unknown JSON line (ignored). Nothing a line says is an error return;
 * only running out of memory is. Texts are copied out of the cJSON tree
 * as display text (pd_agent_text_clean), so nothing points into the tree
 * after the line.
 *
 * Not here: making text display-safe and reading the limit texts
 * (agentlimit.c), and any policy: the engine decides what a failed,
 * limited or silent run means.
 */
#include "packetdeck/agentstream.h"
#include "packetdeck/error.h"
#include "json.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOOL_MAX 47
#define MSG_MAX 300          /* last_error, limit_message, unknown_command_text */
#define RESULT_MAX 16384     /* result_text */
#define ID_MAX 63
#define CALLS 16             /* claude tool calls remembered for their results */
#define LIMIT_HEAD 36        /* a limit notice opens the text it is */
#define PLAIN_MAX 2048       /* bytes of a plain line that are looked at */
#define NUM_MAX (INT64_C(1) << 53)

struct call {
	char id[ID_MAX + 1];
	char tool[TOOL_MAX + 1];
	char summary[PD_AGENT_SUMMARY_MAX + 1];
	bool denied; /* its refusal was seen live: the result's list repeats it */
};

struct pd_agent_stream {
	pd_agent_kind want;
	pd_agent_summary sum;
	bool reset_exact; /* resets_at came from an event, not from words */
	time_t now;
	char *buf; /* the line, NUL-terminated for cJSON */
	size_t bufcap;
	char tail[PD_AGENT_TAIL][PD_AGENT_TAIL_MAX + 1];
	size_t tail_next;
	char tool[TOOL_MAX + 1], summary[PD_AGENT_SUMMARY_MAX + 1]; /* the activity's */
	struct call calls[CALLS];
	size_t calls_next;
	size_t denials_cap;
	char message_id[64]; /* claude: the assistant message whose usage was counted last */
};

static int nomem(void)
{
	return pd_error_set(PD_ENOMEM, "out of memory reading an agent's output");
}

/* A NUL-terminated string (NULL: "") as display text. */
static size_t clean(char *out, size_t cap, const char *text, pd_agent_text_mode mode)
{
	return pd_agent_text_clean(out, cap, text ? text : "", text ? strlen(text) : 0, mode);
}

/* *dst = a clean copy of text (at most cap bytes); left as it is when
 * text is NULL or cleans to nothing. */
static int set_text(char **dst, const char *text, pd_agent_text_mode mode, size_t cap)
{
	size_t len = text ? strlen(text) : 0;
	char *copy;

	if (!text)
		return 0;
	if ((copy = malloc((len < cap ? len : cap) + 1)) == NULL)
		return nomem();
	if (pd_agent_text_clean(copy, (len < cap ? len : cap) + 1, text, len, mode) == 0) {
		free(copy);
		return 0;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

static void append(char *buf, size_t cap, const char *fmt, ...) PD_PRINTF(3, 4);
static void append(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	if (n + 1 < cap)
		vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

static void act_set(pd_agent_stream *s, pd_agent_activity *act, pd_activity_kind kind,
		    const char *tool, const char *summary)
{
	act->kind = kind;
	act->tool = NULL;
	if (tool) {
		clean(s->tool, sizeof(s->tool), tool, PD_TEXT_ONE_LINE);
		act->tool = s->tool;
	}
	clean(s->summary, sizeof(s->summary), summary, PD_TEXT_FIRST_LINE);
	act->summary = s->summary;
}

static const char *str(const cJSON *object, const char *key)
{
	const char *v;

	return pd_json_string(object, key, &v) == 1 ? v : NULL;
}

static bool get_long(const cJSON *object, const char *key, long *out)
{
	int64_t v;

	if (!pd_json_int(pd_json_get(object, key), -NUM_MAX, NUM_MAX, &v) || v < LONG_MIN || v > LONG_MAX)
		return false;
	*out = (long)v;
	return true;
}

/* The first element of `a` if it is an array, else NULL. */
static const cJSON *first(const cJSON *a)
{
	return cJSON_IsArray(a) ? a->child : NULL;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* An error event: counted, and its message kept as the last error. */
static int error_event(pd_agent_stream *s, const char *message)
{
	s->sum.errors++;
	return set_text(&s->sum.last_error, message, PD_TEXT_ONE_LINE, MSG_MAX);
}

/* Note a usage limit if `text` states one: anywhere in it (an error's
 * text), or else only at its start (a result or message that is nothing
 * but the CLI's notice, never the agent's prose quoting one). */
static int check_limit(pd_agent_stream *s, const char *text, bool anywhere, bool *found)
{
	char head[LIMIT_HEAD + 1];
	time_t when;
	int i;

	if (found)
		*found = false;
	if (!text)
		return 0;
	if (!anywhere) { /* past a mark ("■ ") and an "Error:" label */
		const char *p = skip_ws(text);

		for (i = 0; i < 8 && *p && !(isalnum((unsigned char)*p) && !((unsigned char)*p & 0x80)); i++)
			p++;
		if (strncasecmp(p, "error:", 6) == 0 || strncasecmp(p, "api error:", 10) == 0)
			p = strchr(p, ':') + 1;
		snprintf(head, sizeof(head), "%s", skip_ws(p));
		if (!pd_agent_limit_parse(head, s->now, NULL))
			return 0;
	}
	if (!pd_agent_limit_parse(text, s->now, &when))
		return 0;
	s->sum.limited = true;
	if (when && !s->reset_exact)
		s->sum.resets_at = when;
	if (found)
		*found = true;
	return set_text(&s->sum.limit_message, text, PD_TEXT_ONE_LINE, MSG_MAX);
}

static int check_unknown_command(pd_agent_stream *s, const char *text)
{
	if (!text)
		return 0;
	text = skip_ws(text);
	if (strncasecmp(text, "unknown command:", 16) != 0 &&
	    strncasecmp(text, "unknown slash command:", 22) != 0)
		return 0;
	s->sum.unknown_command = true;
	return set_text(&s->sum.unknown_command_text, text, PD_TEXT_FIRST_LINE, MSG_MAX);
}

static int add_denial(pd_agent_stream *s, const char *tool, const char *detail)
{
	char t[TOOL_MAX + 1], d[PD_AGENT_SUMMARY_MAX + 1];
	pd_agent_denial *n;
	size_t i;

	if (clean(t, sizeof(t), tool, PD_TEXT_ONE_LINE) == 0)
		snprintf(t, sizeof(t), "?");
	clean(d, sizeof(d), detail, PD_TEXT_FIRST_LINE);
	s->sum.denials_total++;
	for (i = 0; i < s->sum.ndenials; i++)
		if (strcmp(s->sum.denials[i].tool, t) == 0 && strcmp(s->sum.denials[i].detail, d) == 0) {
			s->sum.denials[i].count++;
			return 0;
		}
	if (s->sum.ndenials == PD_AGENT_DENIALS_KEEP)
		return 0;
	if (s->sum.ndenials == s->denials_cap) {
		size_t cap = s->denials_cap ? 2 * s->denials_cap : 4;

		if ((n = realloc(s->sum.denials, cap * sizeof(*n))) == NULL)
			return nomem();
		s->sum.denials = n;
		s->denials_cap = cap;
	}
	n = &s->sum.denials[s->sum.ndenials];
	n->tool = strdup(t);
	n->detail = strdup(d);
	n->count = 1;
	if (!n->tool || !n->detail) {
		free(n->tool);
		free(n->detail);
		return nomem();
	}
	s->sum.ndenials++;
	return 0;
}

/* ---- claude ------------------------------------------------------- */

/* The part of a tool's input worth a line: the command, the file, ... */
static const char *input_summary(const cJSON *input)
{
	static const char *const keys[] = {"command", "file_path", "notebook_path", "path", "pattern",
					   "url", "query", "description", "prompt", "skill"};
	const char *v;
	size_t i;

	for (i = 0; cJSON_IsObject(input) && i < sizeof(keys) / sizeof(*keys); i++)
		if ((v = str(input, keys[i])) != NULL && *skip_ws(v))
			return v;
	return "";
}

static struct call *find_call(pd_agent_stream *s, const char *id)
{
	size_t i;

	for (i = 0; id && *id && i < CALLS; i++)
		if (strcmp(s->calls[i].id, id) == 0)
			return &s->calls[i];
	return NULL;
}

static void remember_call(pd_agent_stream *s, const char *id, const char *tool, const char *summary)
{
	struct call *c = &s->calls[s->calls_next++ % CALLS];

	snprintf(c->id, sizeof(c->id), "%s", id ? id : "");
	clean(c->tool, sizeof(c->tool), tool, PD_TEXT_ONE_LINE);
	clean(c->summary, sizeof(c->summary), summary, PD_TEXT_FIRST_LINE);
}

static int claude_system(pd_agent_stream *s, const cJSON *root, pd_agent_activity *act)
{
	const char *subtype = str(root, "subtype"), *why = NULL;
	const cJSON *e = pd_json_get(root, "error");
	char msg[MSG_MAX + 1] = "";
	long attempt = 0, max = 0, status = 0;

	if (subtype && strcmp(subtype, "init") == 0)
		return set_text(&s->sum.session_id, str(root, "session_id"), PD_TEXT_ONE_LINE, ID_MAX);
	if (cJSON_IsString(e))
		why = e->valuestring;
	else if (cJSON_IsObject(e))
		why = str(e, "message");
	if (!why && !(subtype && (strstr(subtype, "retry") || strstr(subtype, "error"))))
		return 0; /* compact_boundary, status, hook_response, ... */
	get_long(root, "attempt", &attempt);
	get_long(root, "max_retries", &max);
	get_long(root, "error_status", &status);
	append(msg, sizeof(msg), "%s", !subtype ? "system error"
				       : strcmp(subtype, "api_retry") == 0 ? "API retry" : subtype);
	if (attempt > 0 && max > 0)
		append(msg, sizeof(msg), " %ld/%ld", attempt, max);
	else if (attempt > 0)
		append(msg, sizeof(msg), " %ld", attempt);
	if (why)
		append(msg, sizeof(msg), ": %s", why);
	if (status > 0)
		append(msg, sizeof(msg), " (HTTP %ld)", status);
	act_set(s, act, PD_ACT_ERROR, NULL, msg);
	return error_event(s, msg);
}

/* Claude reports its totals only at the end; until then each assistant
 * message (one line per content block, all with the message's id and
 * usage) adds a turn and its tokens once. The result's totals replace these. */
static void live_usage(pd_agent_stream *s, const cJSON *message)
{
	const cJSON *usage = pd_json_get(message, "usage");
	const char *id = str(message, "id");
	long in = 0, out = 0;

	if (!usage || !id || strcmp(id, s->message_id) == 0 || s->sum.has_result)
		return;
	snprintf(s->message_id, sizeof(s->message_id), "%s", id);
	get_long(usage, "input_tokens", &in);
	get_long(usage, "output_tokens", &out);
	s->sum.turns++;
	s->sum.input_tokens += in;
	s->sum.output_tokens += out;
}

static int claude_assistant(pd_agent_stream *s, const cJSON *root, pd_agent_activity *act)
{
	const cJSON *content = pd_json_get(pd_json_get(root, "message"), "content");
	const cJSON *e = pd_json_get(root, "error"), *b, *tool = NULL;
	const char *text = NULL, *t, *type, *name, *summary;
	bool is_error = e && !cJSON_IsNull(e) && !cJSON_IsFalse(e), limited = false;
	int error;

	live_usage(s, pd_json_get(root, "message"));
	for (b = first(content); b; b = b->next) {
		if ((type = str(b, "type")) == NULL)
			continue;
		if (strcmp(type, "text") == 0 && !text && (t = str(b, "text")) && *skip_ws(t))
			text = t;
		else if (strcmp(type, "tool_use") == 0 && str(b, "name"))
			tool = b;
	}
	if (text && !is_error && strncmp(skip_ws(text), "API Error", 9) == 0)
		is_error = true;
	if ((error = check_limit(s, text, is_error, &limited)) < 0)
		return error;
	if (is_error || limited) {
		const char *why = text ? text : cJSON_IsString(e) ? e->valuestring : "API error";

		act_set(s, act, PD_ACT_ERROR, NULL, why);
		return error_event(s, why);
	}
	if (tool) {
		name = str(tool, "name");
		summary = input_summary(pd_json_get(tool, "input"));
		remember_call(s, str(tool, "id"), name, summary);
		act_set(s, act, PD_ACT_TOOL, name, summary);
		return 0;
	}
	if (text)
		act_set(s, act, PD_ACT_MESSAGE, NULL, text);
	return check_unknown_command(s, text);
}

static int claude_user(pd_agent_stream *s, const cJSON *root, pd_agent_activity *act)
{
	const cJSON *content = pd_json_get(pd_json_get(root, "message"), "content"), *b, *c, *t;
	struct call *call;
	const char *text, *type;
	bool is_error;
	long code;
	int error;

	for (b = first(content); b; b = b->next) {
		if ((type = str(b, "type")) == NULL || strcmp(type, "tool_result") != 0 ||
		    !str(b, "tool_use_id"))
			continue;
		call = find_call(s, str(b, "tool_use_id"));
		is_error = cJSON_IsTrue(pd_json_get(b, "is_error"));
		c = pd_json_get(b, "content");
		text = cJSON_IsString(c) ? c->valuestring : NULL;
		for (t = first(c); t && !text; t = t->next)
			text = str(t, "text");
		act_set(s, act, PD_ACT_RESULT, call ? call->tool : NULL, call ? call->summary : text);
		act->is_error = is_error;
		act->exit_code = -1;
		if (is_error && text && sscanf(skip_ws(text), "Exit code %ld", &code) == 1 && code >= 0 && code < 256)
			act->exit_code = (int)code;
		else if (!is_error && call && strcmp(call->tool, "Bash") == 0)
			act->exit_code = 0;
		if (!is_error || !text || !(strstr(text, "granted it yet") || strstr(text, "have not granted")))
			continue;
		if (call)
			call->denied = true;
		if ((error = add_denial(s, call ? call->tool : NULL, call ? call->summary : text)) < 0)
			return error;
	}
	return 0;
}

static int claude_result(pd_agent_stream *s, const cJSON *root, pd_agent_activity *act)
{
	const char *subtype = str(root, "subtype"), *text = str(root, "result"), *why;
	const cJSON *usage = pd_json_get(root, "usage"), *cost = pd_json_get(root, "total_cost_usd");
	const cJSON *errors = pd_json_get(root, "errors"), *d;
	bool is_error = cJSON_IsTrue(pd_json_get(root, "is_error")) ||
			(subtype && strncmp(subtype, "error", 5) == 0);
	bool limited = false;
	long status = 0;
	int error;

	s->sum.has_result = true;
	if ((error = set_text(&s->sum.result_text, text, PD_TEXT_KEEP_LINES, RESULT_MAX)) < 0)
		return error;
	get_long(root, "num_turns", &s->sum.turns);
	if (cJSON_IsNumber(cost) && isfinite(cost->valuedouble) && cost->valuedouble >= 0) {
		s->sum.cost_usd = cost->valuedouble;
		s->sum.has_cost = true;
	}
	get_long(usage, "input_tokens", &s->sum.input_tokens);
	get_long(usage, "output_tokens", &s->sum.output_tokens);
	get_long(usage, "cache_read_input_tokens", &s->sum.cached_input_tokens);
	for (d = first(pd_json_get(root, "permission_denials")); d; d = d->next) {
		struct call *call = find_call(s, str(d, "tool_use_id"));

		if (!cJSON_IsObject(d) || (call && call->denied))
			continue;
		if ((error = add_denial(s, str(d, "tool_name"), input_summary(pd_json_get(d, "tool_input")))) < 0)
			return error;
	}
	get_long(root, "api_error_status", &status);
	if ((error = check_limit(s, text, is_error || status > 0, &limited)) < 0 ||
	    (error = check_unknown_command(s, text)) < 0)
		return error;
	s->sum.is_error = is_error = is_error || limited;
	if (text && *skip_ws(text))
		why = text;
	else if (cJSON_IsArray(errors) && cJSON_IsString(errors->child))
		why = errors->child->valuestring; /* error_max_turns, error_during_execution */
	else
		why = subtype ? subtype : "error";
	act_set(s, act, PD_ACT_DONE, NULL, is_error ? why : text);
	act->is_error = is_error;
	return is_error ? error_event(s, why) : 0;
}

static int claude_rate_limit(pd_agent_stream *s, const cJSON *root, pd_agent_activity *act)
{
	const cJSON *info = pd_json_get(root, "rate_limit_info");
	const char *status = str(info, "status"), *type = str(info, "rateLimitType");
	char msg[MSG_MAX + 1] = "usage limit reached";
	int64_t at;
	int error;

	if (!status || strcmp(status, "rejected") != 0)
		return 0; /* "allowed", "allowed_warning" */
	s->sum.limited = true;
	if (pd_json_int(pd_json_get(info, "resetsAt"), 1, NUM_MAX, &at)) {
		s->sum.resets_at = (time_t)(at > INT64_C(100000000000) ? at / 1000 : at);
		s->reset_exact = true;
	}
	if (type)
		append(msg, sizeof(msg), " (%s)", type);
	if (!s->sum.limit_message &&
	    (error = set_text(&s->sum.limit_message, msg, PD_TEXT_ONE_LINE, MSG_MAX)) < 0)
		return error;
	act_set(s, act, PD_ACT_ERROR, NULL, msg);
	return error_event(s, msg);
}

/* ---- codex -------------------------------------------------------- */

static bool is_shell(const char *w)
{
	static const char *const shells[] = {"bash", "sh", "zsh", "dash", "ksh"};
	const char *slash = strrchr(w, '/'), *base = slash ? slash + 1 : w;
	size_t i;

	for (i = 0; i < sizeof(shells) / sizeof(*shells); i++)
		if (strcmp(base, shells[i]) == 0)
			return true;
	return false;
}

static bool is_c_flag(const char *w)
{
	return w[0] == '-' && strchr(w, 'c') && strspn(w + 1, "abcdefghijklmnopqrstuvwxyz") == strlen(w + 1);
}

/* codex's command as shlex joined it: `bash -lc 'SCRIPT'` gives SCRIPT's
 * first line, anything else its own. */
static void unwrap_shell(char *out, size_t cap, const char *cmd)
{
	char buf[1024], *w = buf, *end = buf + sizeof(buf) - 1;
	char *word[4] = {NULL, NULL, NULL, NULL};
	const char *p, *src = cmd;
	size_t n = 0;
	bool in_word = false;
	char quote = 0, c;

	for (p = cmd; *p && w < end; p++) {
		c = *p;
		if (quote == '\'' || quote == '"') {
			if (c == quote)
				quote = 0;
			else if (quote == '"' && c == '\\' && p[1] && strchr("$`\"\\\n", p[1]))
				*w++ = *++p;
			else
				*w++ = c;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word)
				*w++ = '\0';
			in_word = false;
			continue;
		}
		if (!in_word) {
			if (n == 4)
				break;
			word[n++] = w;
			in_word = true;
		}
		if (c == '\'' || c == '"')
			quote = c;
		else
			*w++ = c == '\\' && p[1] ? *++p : c;
	}
	*w = '\0';
	if (n == 3 && is_shell(word[0]) && is_c_flag(word[1]))
		src = word[2];
	clean(out, cap, src, PD_TEXT_FIRST_LINE);
}

static int codex_item(pd_agent_stream *s, const cJSON *item, bool done, pd_agent_activity *act)
{
	const char *type = str(item, "type"), *status = str(item, "status"), *text = str(item, "text");
	pd_activity_kind kind = done ? PD_ACT_RESULT : PD_ACT_TOOL;
	bool failed = status && (strcmp(status, "failed") == 0 || strcmp(status, "declined") == 0);
	char line[PD_AGENT_SUMMARY_MAX + 1] = "";
	const cJSON *x;
	long code = -1, n = 0, k = 0;
	int error;

	if (!type)
		return 0;
	if (strcmp(type, "command_execution") == 0) {
		text = str(item, "command");
		unwrap_shell(line, sizeof(line), text ? text : "");
		act_set(s, act, kind, type, line);
		if (!get_long(item, "exit_code", &code) || code < INT32_MIN || code > INT32_MAX)
			code = -1;
		act->exit_code = (int)code;
		act->is_error = done && (failed || code > 0 || code < -1);
		if (done && status && strcmp(status, "declined") == 0)
			return add_denial(s, type, line);
	} else if (strcmp(type, "file_change") == 0) {
		for (x = first(pd_json_get(item, "changes")); x; x = x->next)
			if (str(x, "path") && n++ == 0)
				append(line, sizeof(line), "%s", str(x, "path"));
		if (n > 1)
			append(line, sizeof(line), " (+%ld more)", n - 1);
		act_set(s, act, kind, type, line);
		act->is_error = done && failed;
	} else if (strcmp(type, "mcp_tool_call") == 0 || strcmp(type, "web_search") == 0 ||
		   strcmp(type, "collab_tool_call") == 0) {
		if (str(item, "server"))
			append(line, sizeof(line), "%s: ", str(item, "server"));
		append(line, sizeof(line), "%s", str(item, "tool") ? str(item, "tool")
						 : str(item, "query") ? str(item, "query") : "");
		act_set(s, act, kind, type, line);
		x = pd_json_get(item, "error");
		act->is_error = done && (failed || (x && !cJSON_IsNull(x)));
	} else if (strcmp(type, "agent_message") == 0 && text && *skip_ws(text)) {
		act_set(s, act, PD_ACT_MESSAGE, NULL, text);
		if (done)
			return set_text(&s->sum.result_text, text, PD_TEXT_KEEP_LINES, RESULT_MAX);
	} else if ((strcmp(type, "reasoning") == 0 || strcmp(type, "plan") == 0) && text && *skip_ws(text)) {
		act_set(s, act, PD_ACT_MESSAGE, type, text);
	} else if (strcmp(type, "todo_list") == 0) {
		for (x = first(pd_json_get(item, "items")); x; x = x->next) {
			n++;
			if (cJSON_IsTrue(pd_json_get(x, "completed")))
				k++;
			else if (!text)
				text = str(x, "text");
		}
		snprintf(line, sizeof(line), "%ld/%ld done%s%s", k, n, text ? ": " : "", text ? text : "");
		act_set(s, act, PD_ACT_MESSAGE, type, line);
	} else if (strcmp(type, "error") == 0 && (text = str(item, "message")) != NULL) {
		s->sum.warnings++; /* non-fatal: a config warning, a model reroute */
		act_set(s, act, PD_ACT_ERROR, type, text);
		if ((error = check_limit(s, text, true, NULL)) < 0)
			return error;
	}
	return 0;
}

static int codex_line(pd_agent_stream *s, const cJSON *root, const char *type, pd_agent_activity *act)
{
	const cJSON *usage = pd_json_get(root, "usage");
	const char *msg;
	bool failed;
	int error;

	if (strcmp(type, "thread.started") == 0)
		return set_text(&s->sum.session_id, str(root, "thread_id"), PD_TEXT_ONE_LINE, ID_MAX);
	if (strcmp(type, "turn.started") == 0) {
		s->sum.turns++;
	} else if (strcmp(type, "turn.completed") == 0) {
		s->sum.has_result = true;
		s->sum.is_error = false;
		get_long(usage, "input_tokens", &s->sum.input_tokens);
		get_long(usage, "cached_input_tokens", &s->sum.cached_input_tokens);
		get_long(usage, "output_tokens", &s->sum.output_tokens);
		act_set(s, act, PD_ACT_DONE, NULL, s->sum.result_text);
	} else if ((failed = strcmp(type, "turn.failed") == 0) || strcmp(type, "error") == 0) {
		msg = failed ? str(pd_json_get(root, "error"), "message") : str(root, "message");
		msg = msg ? msg : failed ? "turn failed" : "error";
		if ((error = check_limit(s, msg, true, NULL)) < 0)
			return error;
		act_set(s, act, failed ? PD_ACT_DONE : PD_ACT_ERROR, NULL, msg);
		if (failed)
			s->sum.has_result = s->sum.is_error = act->is_error = true;
		return error_event(s, msg);
	} else if (strncmp(type, "item.", 5) == 0 && cJSON_IsObject(pd_json_get(root, "item"))) {
		return codex_item(s, pd_json_get(root, "item"), strcmp(type, "item.completed") == 0, act);
	}
	return 0; /* item.plan.delta, request_user_input, ... */
}

/* ---- lines -------------------------------------------------------- */

static pd_agent_kind kind_of(const char *type)
{
	static const char *const claude[] = {"system", "assistant", "user", "result", "rate_limit_event"};
	size_t i;

	for (i = 0; i < sizeof(claude) / sizeof(*claude); i++)
		if (strcmp(type, claude[i]) == 0)
			return PD_AGENT_CLAUDE;
	if (strncmp(type, "thread.", 7) == 0 || strncmp(type, "turn.", 5) == 0 ||
	    strncmp(type, "item.", 5) == 0 || strcmp(type, "error") == 0)
		return PD_AGENT_CODEX;
	return PD_AGENT_AUTO;
}

static int plain_line(pd_agent_stream *s, const char *line, size_t len)
{
	char text[PLAIN_MAX];
	size_t n = pd_agent_text_clean(text, sizeof(text), line, len, PD_TEXT_ONE_LINE), i;
	int error;

	if (n == 0)
		return 0;
	/* claude's own error lines ("API Error: ...") may state a limit anywhere */
	if ((error = check_limit(s, text, strncmp(text, "API Error", 9) == 0, NULL)) < 0 ||
	    (error = check_unknown_command(s, text)) < 0)
		return error;
	pd_agent_text_clean(s->tail[s->tail_next++ % PD_AGENT_TAIL], PD_AGENT_TAIL_MAX + 1, text, n,
			    PD_TEXT_ONE_LINE);
	s->sum.ntail = s->tail_next < PD_AGENT_TAIL ? s->tail_next : PD_AGENT_TAIL;
	for (i = 0; i < s->sum.ntail; i++)
		s->sum.tail[i] = s->tail[(s->tail_next - s->sum.ntail + i) % PD_AGENT_TAIL];
	return 0;
}

static int json_line(pd_agent_stream *s, const cJSON *root, pd_agent_activity *act)
{
	const char *type = str(root, "type");
	pd_agent_kind kind = type ? kind_of(type) : PD_AGENT_AUTO;

	if (kind == PD_AGENT_AUTO || (s->want != PD_AGENT_AUTO && s->want != kind))
		return 0; /* a type this reader does not know */
	if (s->sum.kind == PD_AGENT_AUTO)
		s->sum.kind = kind;
	act->structured = true;
	if (kind == PD_AGENT_CODEX)
		return codex_line(s, root, type, act);
	if (strcmp(type, "system") == 0)
		return claude_system(s, root, act);
	if (strcmp(type, "assistant") == 0)
		return claude_assistant(s, root, act);
	if (strcmp(type, "user") == 0)
		return claude_user(s, root, act);
	if (strcmp(type, "result") == 0)
		return claude_result(s, root, act);
	return claude_rate_limit(s, root, act);
}

int pd_agent_stream_feed(pd_agent_stream *s, const char *line, size_t len, bool cut, time_t now,
			 pd_agent_activity *act)
{
	cJSON *root = NULL;
	size_t i;
	int error = 0;

	memset(act, 0, sizeof(*act));
	act->summary = "";
	act->exit_code = -1;
	s->now = now;
	s->sum.lines++;
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'); i++)
		;
	if (i == len || (cut && line[i] == '{')) {
		act->structured = i < len; /* JSON that lost its end: not text to show */
		goto done;
	}
	if (cut || line[i] != '{' || memchr(line, '\0', len)) {
		error = plain_line(s, line, len);
		goto done;
	}
	if (len + 1 > s->bufcap) {
		char *buf = realloc(s->buf, len + 1);

		if (!buf) {
			error = nomem();
			goto done;
		}
		s->buf = buf;
		s->bufcap = len + 1;
	}
	memcpy(s->buf, line, len);
	s->buf[len] = '\0';
	/* the NUL inside the length, so that the end is accepted; trailing
	 * bytes refused */
	root = cJSON_ParseWithLengthOpts(s->buf, len + 1, NULL, 1);
	if (!cJSON_IsObject(root))
		error = plain_line(s, line, len); /* text that opens with a brace */
	else
		error = json_line(s, root, act);
done:
	cJSON_Delete(root);
	if (error == 0 &&
	    (act->kind == PD_ACT_TOOL || act->kind == PD_ACT_RESULT || act->kind == PD_ACT_MESSAGE))
		s->sum.progress++;
	return error;
}

int pd_agent_stream_new(pd_agent_stream **out, pd_agent_kind kind)
{
	pd_agent_stream *s;

	*out = NULL;
	if (kind != PD_AGENT_AUTO && kind != PD_AGENT_CLAUDE && kind != PD_AGENT_CODEX)
		return pd_error_set(PD_EINVALID, "unknown agent stream kind %d", (int)kind);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return nomem();
	s->want = kind;
	*out = s;
	return 0;
}

const pd_agent_summary *pd_agent_stream_summary(const pd_agent_stream *s)
{
	return &s->sum;
}

void pd_agent_stream_free(pd_agent_stream *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->sum.ndenials; i++) {
		free(s->sum.denials[i].tool);
		free(s->sum.denials[i].detail);
	}
	free(s->sum.denials);
	free(s->sum.session_id);
	free(s->sum.result_text);
	free(s->sum.last_error);
	free(s->sum.unknown_command_text);
	free(s->sum.limit_message);
	free(s->buf);
	free(s);
}
