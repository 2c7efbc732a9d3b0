/* watch.c - inotify on one directory (watch.h). */
#include "packetdeck/watch.h"
#include "packetdeck/error.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

struct pd_watch {
	int fd;
};

int pd_watch_open(pd_watch **out, const char *dir)
{
	pd_watch *w = malloc(sizeof(*w));

	*out = NULL;
	if (!w)
		return pd_error_set(PD_ENOMEM, "out of memory");
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd >= 0 &&
	    inotify_add_watch(w->fd, dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE |
						IN_MOVED_FROM | IN_ATTRIB | IN_ONLYDIR) < 0) {
		close(w->fd);
		w->fd = -1;
	}
	*out = w;
	return 0;
}

int pd_watch_fd(const pd_watch *w)
{
	return w->fd;
}

bool pd_watch_drain(pd_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;
	ssize_t n;

	if (w->fd < 0)
		return false;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		any = any || n > 0;
	return any;
}

void pd_watch_free(pd_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
