/* error.c - the last error's message and the list of located diagnostics.
 *
 * The last message is per thread: the core runs one poll loop, but a large
 * packet dir is read on a few threads (pktdir.c).
 */
#include "packetdeck/error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_message[1024];

const char *pd_error_last(void)
{
	return last_message;
}

void pd_error_clear(void)
{
	last_message[0] = '\0';
}

int pd_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	va_end(ap);
	return code;
}

int pd_error_errno(int code, const char *fmt, ...)
{
	int saved = errno;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	va_end(ap);
	len = strlen(last_message);
	snprintf(last_message + len, sizeof(last_message) - len, ": %s", strerror(saved));
	return code;
}

PD_PRINTF(1, 0) static char *vformat(const char *fmt, va_list ap)
{
	va_list copy;
	int n;
	char *s;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static bool grow(pd_diags *d)
{
	size_t cap = d->cap ? d->cap * 2 : 8;
	pd_diag *items = realloc(d->items, cap * sizeof(*items));

	if (!items)
		return false;
	d->items = items;
	d->cap = cap;
	return true;
}

int pd_diags_add(pd_diags *d, const char *where, const char *fmt, ...)
{
	pd_diag *slot;
	va_list ap;

	if (d->count >= PD_DIAGS_KEEP) {
		d->dropped++;
		return PD_EINVALID;
	}
	if (d->count == d->cap && !grow(d))
		return PD_ENOMEM;
	slot = &d->items[d->count];
	slot->where = where ? strdup(where) : NULL;
	va_start(ap, fmt);
	slot->message = vformat(fmt, ap);
	va_end(ap);
	if ((where && !slot->where) || !slot->message) {
		free(slot->where);
		free(slot->message);
		return PD_ENOMEM;
	}
	d->count++;
	return PD_EINVALID;
}

void pd_diags_move(pd_diags *to, pd_diags *from)
{
	size_t i;

	for (i = 0; i < from->count; i++) {
		if (to->count >= PD_DIAGS_KEEP || (to->count == to->cap && !grow(to))) {
			to->dropped++;
			free(from->items[i].where);
			free(from->items[i].message);
			continue;
		}
		to->items[to->count++] = from->items[i];
	}
	to->dropped += from->dropped;
	free(from->items);
	from->items = NULL;
	from->count = from->dropped = from->cap = 0;
}

size_t pd_diags_total(const pd_diags *d)
{
	return d->count + d->dropped;
}

void pd_diags_free(pd_diags *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->count; i++) {
		free(d->items[i].where);
		free(d->items[i].message);
	}
	free(d->items);
	d->items = NULL;
	d->count = d->dropped = d->cap = 0;
}
