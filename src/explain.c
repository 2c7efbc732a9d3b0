/* explain.c - an agent's failed track, explained (explain.h).
 *
 * The causes are tried from the most specific to the least: a usage limit,
 * an unknown slash command, refused tool calls, a marker the repository
 * does not back, a corrupt marker, a model out of reach, a failing exit, a
 * clean exit without a marker. Whatever the cause, the agent's own last
 * words follow when it left any: its final text, its last error, or the
 * last lines it printed.
 *
 * Not here: any decision; the texts only.
 */
#include "packetdeck/explain.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define WORDS_MAX 300 /* bytes of the agent's last words quoted */

/* Append to buf[cap] at *len. */
static void PD_PRINTF(4, 5) add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len + 1 >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

/* `text`'s first WORDS_MAX bytes on one line (line breaks become spaces,
 * a cut UTF-8 sequence is dropped). */
static void one_line(char *out, size_t cap, const char *text)
{
	size_t k = 0, i;

	for (i = 0; text[i] && k + 1 < cap && k < WORDS_MAX; i++) {
		char ch = text[i] == '\n' || text[i] == '\r' || text[i] == '\t' ? ' ' : text[i];

		if (ch == ' ' && (k == 0 || out[k - 1] == ' '))
			continue;
		out[k++] = ch;
	}
	if (text[i] && k > 0) {
		while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
			k--; /* continuation bytes of a cut character */
		if (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0xC0)
			k--;
		if (k + 4 < cap) {
			memcpy(out + k, "...", 3);
			k += 3;
		}
	}
	while (k > 0 && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
}

/* The agent's last words, or "" when it left none. */
static const char *last_words(const pd_agent_summary *s, char *buf, size_t cap)
{
	size_t len = 0, i;

	buf[0] = '\0';
	if (!s)
		return buf;
	if (s->result_text && *s->result_text) {
		one_line(buf, cap, s->result_text);
	} else if (s->last_error) {
		one_line(buf, cap, s->last_error);
	} else {
		char line[WORDS_MAX + 8];

		for (i = 0; i < s->ntail; i++) {
			one_line(line, sizeof(line), s->tail[i]);
			add(buf, cap, &len, "%s%s", len ? " / " : "", line);
		}
	}
	return buf;
}

const char *pd_explain_denials(const pd_agent_summary *s, char *buf, size_t cap)
{
	size_t len = 0, i;

	buf[0] = '\0';
	for (i = 0; s && i < s->ndenials && i < 3; i++)
		add(buf, cap, &len, "%s%s: %.120s", i ? "; " : "", s->denials[i].tool,
		    s->denials[i].detail ? s->denials[i].detail : "");
	if (s && s->ndenials > 3)
		add(buf, cap, &len, "; ...");
	return buf;
}

/* Words of a model out of reach (both CLIs' outage messages). */
static bool unreachable(const char *text)
{
	static const char *const words[] = {"Unable to connect", "ConnectionRefused",
					    "Connection failed", "error sending request",
					    "Reconnecting", "stream disconnected", "ECONNREFUSED",
					    "fetch failed", "timed out"};
	size_t i;

	for (i = 0; text && i < sizeof(words) / sizeof(*words); i++)
		if (strstr(text, words[i]))
			return true;
	return false;
}

static const char *program(const pd_explain_input *in)
{
	if (in->preset && in->preset->program)
		return in->preset->program;
	return in->said && in->said->kind == PD_AGENT_CODEX ? "codex"
	       : in->said && in->said->kind == PD_AGENT_CLAUDE ? "claude"
							       : "the runner";
}

static void said(const pd_explain_input *in, const char *words, char *msg, size_t mcap, size_t *len);

void pd_explain_failure(const pd_explain_input *in, char *msg, size_t mcap, char *hint, size_t hcap)
{
	const pd_agent_summary *s = in->said;
	const pd_marker *mk = in->marker;
	const char *who = program(in);
	char words[WORDS_MAX + 64], list[400], how[64], when[32];
	size_t len = 0, hlen = 0;
	bool codex = (in->preset && in->preset->stream == PD_AGENT_CODEX) ||
		     (s && s->kind == PD_AGENT_CODEX);
	int code = WIFEXITED(in->wstatus) ? WEXITSTATUS(in->wstatus) : -1;

	msg[0] = hint[0] = '\0';
	last_words(s, words, sizeof(words));
	if (WIFEXITED(in->wstatus))
		snprintf(how, sizeof(how), "exit status %d", code);
	else if (WIFSIGNALED(in->wstatus))
		snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(in->wstatus));
	else
		snprintf(how, sizeof(how), "wait status %d", in->wstatus);

	if (s && s->limited) {
		struct tm tm;

		when[0] = '\0';
		if (s->resets_at && gmtime_r(&s->resets_at, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		add(msg, mcap, &len, "%s hit a usage limit%s%s", who, when[0] ? " until " : "", when);
		if (s->limit_message)
			snprintf(words, sizeof(words), "%.300s", s->limit_message);
		add(hint, hcap, &hlen, "run again %s (--resume continues at the checkpoint)",
		    when[0] ? "after the reset" : "once the limit has lifted");
	} else if (s && s->unknown_command) {
		add(msg, mcap, &len, "%s does not know the command: %s", who,
		    s->unknown_command_text ? s->unknown_command_text : "Unknown command");
		words[0] = '\0'; /* the command's words are the message */
		add(hint, hcap, &hlen, "the claude-slash preset needs the upstream /execute-work-packet "
				       "command in ~/.claude/commands; --runner claude passes packetdeck's "
				       "own prompt and needs nothing installed");
	} else if (s && s->denials_total > 0) {
		add(msg, mcap, &len, "%s refused %zu tool call%s (%s)", who, s->denials_total,
		    s->denials_total == 1 ? "" : "s", pd_explain_denials(s, list, sizeof(list)));
		if (codex)
			add(hint, hcap, &hlen, "codex's sandbox did not allow it: the codex preset runs "
					       "--sandbox workspace-write with --add-dir of the packet dir "
					       "and of both git dirs; codex-unsandboxed runs without one");
		else
			add(hint, hcap, &hlen, "the runner's permissions do not allow what the track needs: "
					       "the claude preset passes --allowedTools=Bash,Edit,Write,Read "
					       "--add-dir={packet_dir}; a template of your own needs the same");
	} else if (mk && mk->state == PD_FILE_CORRUPT) {
		add(msg, mcap, &len, "%s: %s", mk->refused ? "its completion marker is not backed by the branch"
							 : "it wrote a corrupt completion marker",
		    mk->problem ? mk->problem : "unreadable");
		add(hint, hcap, &hlen, "packetdeck never touches a marker: look at the branch, move the "
				       "marker away, then run the track again");
	} else if (unreachable(s ? s->last_error : NULL) || unreachable(words)) {
		add(msg, mcap, &len, "%s could not reach its model (%s)", who, how);
		add(hint, hcap, &hlen, "check the network, the endpoint (%s) and the login, then run "
				       "again with --resume",
		    codex ? "the model provider's base_url in $CODEX_HOME/config.toml"
			  : "ANTHROPIC_BASE_URL, if set");
	} else if (code != 0) {
		add(msg, mcap, &len, "the runner failed (%s)", how);
	} else if (in->refuted) {
		add(msg, mcap, &len, "the runner exited 0 without writing a new completion marker (the "
				     "one there was refused before; protocol violation: re-run the track)");
	} else if (mk && mk->unfinished) {
		add(msg, mcap, &len, "the runner exited 0 leaving a marker that says status \"%s\", "
				     "not complete (protocol violation: re-run the track)", mk->unfinished);
	} else {
		add(msg, mcap, &len, "the runner exited 0 without a valid completion marker (protocol "
				     "violation: re-run the track)");
	}
	said(in, words, msg, mcap, &len);
}

/* "; WHO said: WORDS (the whole output: LOG)", or "; it printed nothing". */
static void said(const pd_explain_input *in, const char *words, char *msg, size_t mcap, size_t *len)
{
	const pd_agent_summary *s = in->said;
	const char *who = program(in);

	if (words[0])
		add(msg, mcap, len, "; %s said: %s", strcmp(who, "the runner") == 0 ? "it" : who, words);
	else if (!s || (!s->has_result && !s->lines))
		add(msg, mcap, len, "; it printed nothing");
	if (in->log_path)
		add(msg, mcap, len, " (the whole output: %s)", in->log_path);
}

void pd_explain_said(const pd_explain_input *in, char *msg, size_t mcap)
{
	char words[WORDS_MAX + 64];
	size_t len = strlen(msg);

	last_words(in->said, words, sizeof(words));
	said(in, words, msg, mcap, &len);
}
