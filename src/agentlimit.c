/* agentlimit.c - an agent CLI's words: made safe to show, and read for a
 * usage limit and the time it lifts (pd_agent_text_clean and
 * pd_agent_limit_parse, agentstream.h).
 *
 * Cleaning drops terminal escape sequences (CSI, OSC and the other string
 * forms) and control characters, C1 and bidi controls included, and shows
 * invalid UTF-8 as '?'; it never grows the text, so a buffer of the
 * input's size is always enough.
 *
 * A limit is stated in words that change between versions, so the text is
 * matched loosely: lower-cased, typographic apostrophes made plain, other
 * non-ASCII (the "·" between the parts) made spaces. A limit needs an
 * explicit phrase ("hit your ... limit", "<kind> limit reached",
 * "usage_limit_reached"); the time it lifts is then looked for as an epoch
 * ("reached|EPOCH", "resets_at": EPOCH), a delay ("in 2 hours"), or a
 * clock time with an optional date and zone ("resets Sep 24, 5pm (UTC)",
 * "try again at Dec 4th, 2026 11:35 AM").
 *
 * Not here: the streams themselves, and deciding which texts are worth
 * asking about (agentstream.c asks about errors, results and plain lines,
 * never the agent's own prose); and any change to the process's time
 * zone: local times go through localtime_r/mktime as the process has
 * them, and a named zone other than UTC or the local one gives "unknown".
 */
#include "packetdeck/agentstream.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NORM_MAX 4096 /* a limit message is a line or two; the rest is not read */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return c >= 'a' && c <= 'z'; }
static const char *skip_spaces(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const unsigned char *skip_escape(const unsigned char *p, const unsigned char *end)
{
	if (++p >= end)
		return p;
	if (*p == '[') { /* CSI: parameters, intermediates, a final byte */
		for (p++; p < end && *p >= 0x20 && *p <= 0x3F; p++)
			;
		return p < end && *p >= 0x40 && *p <= 0x7E ? p + 1 : p;
	}
	if (*p == ']' || *p == 'P' || *p == 'X' || *p == '^' || *p == '_') { /* strings */
		for (p++; p < end; p++) {
			if (*p == 0x07)
				return p + 1;
			if (*p == 0x1B && p + 1 < end && p[1] == '\\')
				return p + 2;
		}
		return p;
	}
	while (p < end && *p >= 0x20 && *p <= 0x2F)
		p++;
	return p < end && *p >= 0x30 && *p <= 0x7E ? p + 1 : p;
}

/* A control character of more than one byte: C1, line separators, bidi. */
static bool wide_control(const unsigned char *p, size_t k)
{
	return (k == 2 && p[0] == 0xC2 && p[1] < 0xA0) ||
	       (k == 3 && p[0] == 0xE2 &&
		((p[1] == 0x80 && p[2] >= 0xA8 && p[2] <= 0xAE) || (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)));
}

size_t pd_agent_text_clean(char *out, size_t cap, const char *text, size_t len,
			   pd_agent_text_mode mode)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;
	size_t n = 0, k;

	while (p < end && n + 1 < cap) {
		if (*p == 0x1B) {
			p = skip_escape(p, end);
			continue;
		}
		if (*p == '\n' && mode == PD_TEXT_FIRST_LINE && n > 0)
			break;
		if (mode == PD_TEXT_KEEP_LINES && (*p == '\n' || *p == '\t' || *p == ' ')) {
			if (n > 0)
				out[n++] = (char)*p;
			p++;
			continue;
		}
		k = pd_utf8_seq_len(p, end);
		if (*p < 0x20 || *p == 0x7F || *p == ' ' || wide_control(p, k)) {
			if (n > 0 && out[n - 1] != ' ' && out[n - 1] != '\n' && !(mode == PD_TEXT_KEEP_LINES && *p == '\r'))
				out[n++] = ' ';
			p += k ? k : 1;
			continue;
		}
		if (k == 0) {
			out[n++] = '?';
			p++;
			continue;
		}
		if (n + k + 1 > cap)
			break;
		memcpy(out + n, p, k);
		n += k;
		p += k;
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\n' || out[n - 1] == '\t'))
		n--;
	out[n] = '\0';
	return n;
}

/* Lower-case ASCII, U+2018/U+2019 as "'", other non-ASCII bytes as spaces. */
static void normalize(char *out, size_t cap, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = 0;

	while (*p && n + 1 < cap) {
		if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99)) {
			out[n++] = '\'';
			p += 3;
		} else if (*p >= 0x80 || *p < 0x20) {
			out[n++] = ' ';
			p++;
		} else {
			out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + ('a' - 'A') : *p);
			p++;
		}
	}
	out[n] = '\0';
}

static bool starts(const char *p, const char *word) { return strncmp(p, word, strlen(word)) == 0; }

/* The end of the phrase that says a limit was hit, or NULL. */
static const char *find_marker(const char *t)
{
	static const char *const hit[] = {"hit your ", "reached your "};
	static const char *const kinds[] = {"usage", "session", "weekly", "daily", "monthly",
					    "opus", "sonnet", "hourly"};
	const char *p, *q, *l;
	size_t i, n;

	for (i = 0; i < sizeof(hit) / sizeof(*hit); i++)
		for (p = t; (p = strstr(p, hit[i])) != NULL; p++) {
			q = p + strlen(hit[i]);
			l = strstr(q, "limit");
			if (l && l - q <= 32 && strcspn(q, ".,;|") >= (size_t)(l - q))
				return l + 5;
		}
	for (p = t; (p = strstr(p, "limit reached")) != NULL; p++) {
		for (q = p; q > t && q[-1] == ' '; q--)
			;
		for (l = q; l > t && (is_alpha(l[-1]) || is_digit(l[-1]) || l[-1] == '-'); l--)
			;
		n = (size_t)(q - l);
		if (n >= 4 && strncmp(q - 4, "hour", 4) == 0)
			return p + 13;
		for (i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
			if (n == strlen(kinds[i]) && strncmp(l, kinds[i], n) == 0)
				return p + 13;
	}
	if ((p = strstr(t, "usage_limit_reached")) != NULL)
		return p + 19;
	if ((p = strstr(t, "exceed your account's rate limit")) != NULL)
		return p + 32;
	return NULL;
}

/* Digits at *pp as a number (at most `max_digits` of them), or -1. */
static long long number(const char **pp, int max_digits)
{
	const char *p = *pp;
	long long v = 0;
	int n = 0;

	while (is_digit(*p) && n < max_digits)
		v = v * 10 + (*p++ - '0'), n++;
	if (n == 0 || is_digit(*p))
		return -1;
	*pp = p;
	return v;
}

static time_t epoch(long long v)
{
	return (time_t)(v > 100000000000LL ? v / 1000 : v); /* milliseconds too */
}

/* "4 days 3 hours", "47 minutes", "~5h 30m": seconds from now, or -1. */
static long long delay(const char *p)
{
	static const struct { const char *unit; long secs; } units[] = {
		{"d", 86400}, {"day", 86400}, {"days", 86400}, {"h", 3600}, {"hr", 3600},
		{"hrs", 3600}, {"hour", 3600}, {"hours", 3600}, {"m", 60}, {"min", 60},
		{"mins", 60}, {"minute", 60}, {"minutes", 60}, {"s", 1}, {"sec", 1},
		{"secs", 1}, {"second", 1}, {"seconds", 1}};
	long long total = 0, n;
	int parts = 0;
	size_t i, len;

	for (;;) {
		p = skip_spaces(p);
		if (*p == '~' || *p == ',')
			p++;
		p = skip_spaces(p);
		if (starts(p, "and "))
			p += 4;
		if (starts(p, "about "))
			p += 6;
		if ((n = number(&p, 7)) < 0)
			break;
		p = skip_spaces(p);
		for (len = 0; is_alpha(p[len]); len++)
			;
		for (i = 0; i < sizeof(units) / sizeof(*units); i++)
			if (len == strlen(units[i].unit) && strncmp(p, units[i].unit, len) == 0)
				break;
		if (i == sizeof(units) / sizeof(*units))
			break;
		total += n * units[i].secs;
		parts++;
		p += len;
	}
	return parts ? total : -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12; days
 * past the month's end roll over). */
static long long days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static time_t make_time(struct tm *tm, bool utc)
{
	if (!utc) {
		tm->tm_isdst = -1;
		return mktime(tm);
	}
	return (time_t)(days_from_civil(tm->tm_year + 1900LL, tm->tm_mon + 1, tm->tm_mday) * 86400 +
			tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec);
}

/* The machine's zone name ("europe/berlin"), lower-cased, or "". */
static void local_zone(char *out, size_t cap)
{
	const char *tz = getenv("TZ"), *name = NULL, *z;
	char link[256];
	ssize_t n;

	if (tz && *tz) {
		name = tz[0] == ':' ? tz + 1 : tz;
	} else if ((n = readlink("/etc/localtime", link, sizeof(link) - 1)) > 0) {
		link[n] = '\0';
		name = link;
	}
	if (name && (z = strstr(name, "zoneinfo/")) != NULL)
		name = z + 9;
	normalize(out, cap, name ? name : "");
}

enum zone { ZONE_LOCAL, ZONE_UTC, ZONE_OTHER };

static enum zone zone_named(const char *name, size_t len)
{
	static const char *const utc[] = {"utc", "gmt", "z", "zulu", "universal",
					  "etc/utc", "etc/gmt", "etc/universal", "utc+0", "gmt+0"};
	char local[128];
	size_t i;

	for (i = 0; i < sizeof(utc) / sizeof(*utc); i++)
		if (len == strlen(utc[i]) && strncmp(name, utc[i], len) == 0)
			return ZONE_UTC;
	local_zone(local, sizeof(local));
	if (len == strlen(local) && strncmp(name, local, len) == 0)
		return ZONE_LOCAL;
	return ZONE_OTHER;
}

static int month(const char **pp)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	const char *p = *pp;
	int m;

	for (m = 0; m < 12; m++)
		if (strncmp(p, names + 3 * m, 3) == 0)
			break;
	if (m == 12)
		return -1;
	while (is_alpha(*p) || *p == '.')
		p++;
	*pp = p;
	return m;
}

/* "[MONTH DAY[th][,] [YEAR][,] [at]] H[:MM][ ]am|pm [(ZONE)]" or "H:MM"
 * (24-hour): the next such time at or after now (the current minute still
 * counts), 0 when its zone is not known here, or -1 when unreadable. */
static time_t clock_time(const char *p, time_t now)
{
	long long mon = -1, day = 0, year = 0, hour, min = 0;
	bool utc = false, pm = false, ampm = false, colon = false;
	struct tm tm;
	time_t t;
	int i;

	if (is_alpha(*p)) {
		if ((mon = month(&p)) < 0)
			return -1;
		p = skip_spaces(p);
		if ((day = number(&p, 2)) < 1 || day > 31)
			return -1;
		while (is_alpha(*p))
			p++; /* 4th */
		p = skip_spaces(*p == ',' ? p + 1 : p);
		if (is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3]) && p[4] != ':') {
			year = number(&p, 4);
			p = skip_spaces(*p == ',' ? p + 1 : p);
		}
		if (starts(p, "at "))
			p = skip_spaces(p + 3);
	}
	if ((hour = number(&p, 2)) < 0)
		return -1;
	if (*p == ':') {
		p++;
		colon = true;
		if ((min = number(&p, 2)) < 0 || min > 59)
			return -1;
	}
	p = skip_spaces(p);
	if ((p[0] == 'a' || p[0] == 'p') && (p[1] == 'm' || (p[1] == '.' && p[2] == 'm'))) {
		ampm = true;
		pm = p[0] == 'p';
		p += p[1] == 'm' ? 2 : 3;
		if (is_alpha(*p))
			return -1;
		if (*p == '.')
			p++;
	}
	if (ampm ? hour < 1 || hour > 12 : hour > 23 || !colon)
		return -1; /* a bare "5" is no time; "17:00" is */
	if (ampm)
		hour = hour % 12 + (pm ? 12 : 0);
	p = skip_spaces(p);
	if (*p == '(' || starts(p, "utc") || starts(p, "gmt")) {
		const char *name = *p == '(' ? p + 1 : p;
		size_t len = *p == '(' ? strcspn(name, ")") : 3;

		switch (zone_named(name, len)) {
		case ZONE_UTC:
			utc = true;
			break;
		case ZONE_OTHER:
			return 0;
		case ZONE_LOCAL:
			break;
		}
	}
	for (i = 0; i < 2; i++) {
		if (!(utc ? gmtime_r(&now, &tm) : localtime_r(&now, &tm)))
			return -1; /* a clock out of range */
		if (mon >= 0) {
			tm.tm_mon = (int)mon;
			tm.tm_mday = (int)day;
			if (year)
				tm.tm_year = (int)year - 1900;
		}
		if (i == 1 && mon >= 0)
			tm.tm_year++; /* that date has passed this year */
		else if (i == 1)
			tm.tm_mday++; /* that time has passed today */
		tm.tm_hour = (int)hour;
		tm.tm_min = (int)min;
		tm.tm_sec = 0;
		if ((t = make_time(&tm, utc)) == (time_t)-1)
			return -1;
		if (year || t + 60 > now)
			break;
	}
	return t;
}

/* When the limit in the normalized text `t` lifts: 0 unknown. */
static time_t reset_time(const char *t, const char *marker, time_t now)
{
	static const char *const keys[] = {"\"resets_at\"", "\"resets_in_seconds\""};
	const char *p, *q;
	long long v;
	size_t i;
	time_t when;

	if (*marker == '|' && (p = marker + 1, (v = number(&p, 13)) > 0))
		return epoch(v);
	for (i = 0; i < 2; i++)
		if ((p = strstr(t, keys[i])) != NULL) {
			p = skip_spaces(p + strlen(keys[i]));
			p = skip_spaces(*p == ':' ? p + 1 : p);
			if ((v = number(&p, 13)) > 0)
				return i == 0 ? epoch(v) : now + (time_t)v;
		}
	for (i = 0; i < 2; i++)
		for (p = t; (p = strstr(p, i == 0 ? "reset" : "try again")) != NULL; p++) {
			q = p + (i == 0 ? 5 : 9);
			if (i == 0 && *q == 's')
				q++;
			if (*q != ' ')
				continue; /* "resets_at", "resetting" */
			q = skip_spaces(q);
			if (starts(q, "in ")) {
				if ((v = delay(q + 3)) >= 0)
					return now + (time_t)v;
				continue;
			}
			if (starts(q, "at ") || starts(q, "on "))
				q = skip_spaces(q + 3);
			if ((when = clock_time(q, now)) >= 0)
				return when;
		}
	return 0;
}

bool pd_agent_limit_parse(const char *text, time_t now, time_t *resets_at)
{
	char t[NORM_MAX];
	const char *marker;

	if (resets_at)
		*resets_at = 0;
	if (!text)
		return false;
	normalize(t, sizeof(t), text);
	if ((marker = find_marker(t)) == NULL)
		return false;
	if (resets_at)
		*resets_at = reset_time(t, marker, now);
	return true;
}
