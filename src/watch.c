/* watch.c - inotify on the packet dir and its state dir (watch.h). */
#include "packetdeck/watch.h"
#include "packetdeck/error.h"
#include "packetdeck/pathutil.h"
#include "packetdeck/state.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define EVENTS (IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_ATTRIB | \
		IN_ONLYDIR)

struct pd_watch {
	int fd;
	int wd_dir, wd_state;  /* the packet dir's and .packetdeck's watches (-1 none) */
	char *state_path;
	size_t len, pos;       /* what was read into buf, and how far it is consumed */
	char name[NAME_MAX + sizeof(PD_STATE_DIR) + 2];
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
};

/* .packetdeck may appear after we started: watch it once it does. */
static void watch_state_dir(pd_watch *w)
{
	if (w->fd >= 0 && w->wd_state < 0)
		w->wd_state = inotify_add_watch(w->fd, w->state_path, EVENTS);
}

int pd_watch_open(pd_watch **out, const char *dir)
{
	pd_watch *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w || !(w->state_path = pd_path_join(dir, PD_STATE_DIR))) {
		free(w);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	w->wd_dir = w->wd_state = -1;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd >= 0 && (w->wd_dir = inotify_add_watch(w->fd, dir, EVENTS)) < 0) {
		close(w->fd);
		w->fd = -1;
	}
	watch_state_dir(w);
	*out = w;
	return 0;
}

int pd_watch_fd(const pd_watch *w)
{
	return w->fd;
}

int pd_watch_next(pd_watch *w, const char **name)
{
	*name = NULL;
	for (;;) {
		const struct inotify_event *ev;
		ssize_t n;

		if (w->fd < 0)
			return 0;
		if (w->pos >= w->len) {
			while ((n = read(w->fd, w->buf, sizeof(w->buf))) < 0 && errno == EINTR)
				;
			if (n <= 0)
				return 0;
			w->len = (size_t)n;
			w->pos = 0;
		}
		ev = (const struct inotify_event *)(void *)(w->buf + w->pos);
		w->pos += sizeof(*ev) + ev->len;
		if (ev->mask & IN_Q_OVERFLOW)
			return 1; /* events were lost: *name stays NULL */
		if (ev->wd == w->wd_state && (ev->mask & (IN_IGNORED | IN_DELETE_SELF)))
			w->wd_state = -1;
		if (!ev->len)
			continue;
		if (ev->wd == w->wd_dir) {
			if ((ev->mask & IN_ISDIR) && strcmp(ev->name, PD_STATE_DIR) == 0) {
				watch_state_dir(w);
				return 1; /* what it already holds was not seen */
			}
			snprintf(w->name, sizeof(w->name), "%s", ev->name);
		} else if (ev->wd == w->wd_state) {
			snprintf(w->name, sizeof(w->name), PD_STATE_DIR "/%s", ev->name);
		} else {
			continue;
		}
		*name = w->name;
		return 1;
	}
}

bool pd_watch_drain(pd_watch *w)
{
	const char *name;
	bool any = false;

	while (pd_watch_next(w, &name) > 0)
		any = true;
	return any;
}

void pd_watch_free(pd_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->state_path);
	free(w);
}
