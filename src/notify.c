/* notify.c - the --notify command, run beside the loop (notify.h). */
#define _GNU_SOURCE /* asprintf */
#include "packetdeck/notify.h"
#include "packetdeck/agentstream.h"
#include "packetdeck/error.h"
#include "packetdeck/runner.h"
#include "packetdeck/state.h"
#include "clock.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REAP_EVERY_MS 100 /* while a command runs: look for its end this often */
#define MESSAGE_MAX 400

struct pd_notifier {
	char *template;
	char *packet_dir;
	struct {
		pd_child *child;
		long deadline_ms;
	} run[PD_NOTIFY_MAX];
	size_t dropped;
};

static const pd_template_var probe[] = {{"event", "e"}, {"track", "1"}, {"message", "m"}};

int pd_notifier_new(pd_notifier **out, const char *template, const char *packet_dir)
{
	pd_notifier *n;
	char **argv = NULL;

	*out = NULL;
	if (pd_template_expand(&argv, template, probe, sizeof(probe) / sizeof(*probe)) < 0) {
		char why[300];

		snprintf(why, sizeof(why), "%s", pd_error_last()); /* not formatted into itself */
		return pd_error_set(PD_EINVALID, "--notify: %s", why);
	}
	pd_argv_free(argv);
	if (!(n = calloc(1, sizeof(*n))) || !(n->template = strdup(template)) ||
	    !(n->packet_dir = strdup(packet_dir))) {
		if (n)
			free(n->template);
		free(n);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	*out = n;
	return 0;
}

bool pd_notify_wanted(pd_event_type type)
{
	return type == PD_EV_BLOCKED || type == PD_EV_HANDOFF_SUGGESTED || type == PD_EV_TRACK_FAILED ||
	       type == PD_EV_LIMITED || type == PD_EV_ABORTED || type == PD_EV_RUN_COMPLETED;
}

const char *pd_notify_message(const pd_event *e, char *buf, size_t cap)
{
	char raw[MESSAGE_MAX + 200];
	const char *name = e->name ? e->name : "";

	switch (e->type) {
	case PD_EV_BLOCKED:
		if (e->nids == 1 && e->ids[0] == e->track)
			snprintf(raw, sizeof(raw), "Track %ld (%s) is being executed by another process", e->track,
				 name);
		else
			snprintf(raw, sizeof(raw), "Track %ld (%s) is blocked: %zu dependenc%s not complete",
				 e->track, name, e->nids, e->nids == 1 ? "y" : "ies");
		break;
	case PD_EV_HANDOFF_SUGGESTED:
		snprintf(raw, sizeof(raw), "Completed %zu/%zu: /handoff suggested", e->completed, e->total);
		break;
	case PD_EV_TRACK_FAILED:
		snprintf(raw, sizeof(raw), "Track %ld (%s) failed%s%s: %.*s", e->track, name,
			 e->task ? " at task " : "", e->task ? e->task : "", MESSAGE_MAX,
			 e->message ? e->message : "");
		break;
	case PD_EV_LIMITED:
		snprintf(raw, sizeof(raw), "Track %ld (%s) hit a usage limit%s%s", e->track, name,
			 e->resets_at ? " until " : "", e->resets_at ? e->resets_at : "");
		break;
	case PD_EV_ABORTED:
		snprintf(raw, sizeof(raw), "Run aborted: %.*s", MESSAGE_MAX, e->reason ? e->reason : "");
		break;
	case PD_EV_RUN_COMPLETED:
		snprintf(raw, sizeof(raw), "All tracks completed (%zu/%zu)", e->completed, e->total);
		break;
	default:
		snprintf(raw, sizeof(raw), "%s%s%.*s", pd_event_name(e->type), e->message ? ": " : "",
			 MESSAGE_MAX, e->message ? e->message : "");
		break;
	}
	pd_agent_text_clean(buf, cap, raw, strlen(raw), PD_TEXT_ONE_LINE);
	return buf;
}

static int open_log(const pd_notifier *n, const char *event, const char *message)
{
	char *path = NULL, now[21], head[MESSAGE_MAX + 128];
	int fd, len;

	if (asprintf(&path, "%s/" PD_STATE_DIR "/notify.log", n->packet_dir) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
	free(path);
	len = snprintf(head, sizeof(head), "=== %s %s: %s ===\n", pd_timestamp(now, time(NULL)), event,
		       message);
	if (fd >= 0 && write(fd, head, (size_t)(len < (int)sizeof(head) ? len : (int)sizeof(head) - 1)) < 0)
		(void)0; /* the log is for people */
	return fd;
}

int pd_notifier_send(pd_notifier *n, const pd_event *e)
{
	char msg[MESSAGE_MAX + 1], track[24] = "", **argv = NULL, *env[5] = {NULL};
	const char *event = pd_event_name(e->type);
	pd_spawn_options so = {0};
	size_t slot;
	int fd, error = 0, i;

	pd_notify_message(e, msg, sizeof(msg));
	if (e->track >= 0)
		snprintf(track, sizeof(track), "%ld", e->track);
	pd_notifier_reap(n);
	for (slot = 0; slot < PD_NOTIFY_MAX && n->run[slot].child; slot++)
		;
	fd = open_log(n, event, msg);
	if (slot == PD_NOTIFY_MAX) {
		char full[80];
		int len = snprintf(full, sizeof(full), "(dropped: %d notifications still running)\n",
				   PD_NOTIFY_MAX);

		n->dropped++;
		if (fd >= 0 && write(fd, full, (size_t)len) < 0)
			(void)0;
		if (fd >= 0)
			close(fd);
		return 0;
	}
	{
		/* a word that expands to nothing is left out: "-" keeps the places */
		pd_template_var vars[] = {{"event", event}, {"track", *track ? track : "-"}, {"message", msg}};

		if (pd_template_expand(&argv, n->template, vars, sizeof(vars) / sizeof(*vars)) < 0)
			error = pd_error_last()[0] ? PD_EINVALID : PD_ENOMEM;
	}
	if (!error && (asprintf(&env[0], "PACKETDECK_EVENT=%s", event) < 0 ||
		       asprintf(&env[1], "PACKETDECK_TRACK=%s", track) < 0 ||
		       asprintf(&env[2], "PACKETDECK_MESSAGE=%s", msg) < 0 ||
		       asprintf(&env[3], "PACKETDECK_PACKET_DIR=%s", n->packet_dir) < 0))
		error = pd_error_set(PD_ENOMEM, "out of memory");
	if (!error) {
		so.argv = argv;
		so.env = env;
		so.output_fd = fd >= 0 ? fd : open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (pd_child_spawn(&n->run[slot].child, &so) < 0) {
			char why[300];

			snprintf(why, sizeof(why), "%s", pd_error_last());
			error = pd_error_set(PD_EIO, "--notify: %s", why);
			n->run[slot].child = NULL;
		} else {
			n->run[slot].deadline_ms = pd_now_ms() + PD_NOTIFY_TIMEOUT_S * 1000L;
		}
		if (so.output_fd != fd && so.output_fd >= 0)
			close(so.output_fd);
	}
	if (fd >= 0)
		close(fd);
	for (i = 0; i < 4; i++)
		free(env[i]);
	pd_argv_free(argv);
	return error;
}

void pd_notifier_reap(pd_notifier *n)
{
	long now = pd_now_ms();
	size_t i;
	int ws;

	for (i = 0; n && i < PD_NOTIFY_MAX; i++) {
		if (!n->run[i].child)
			continue;
		if (pd_child_wait(n->run[i].child, false, &ws) == 0 && now < n->run[i].deadline_ms)
			continue;
		pd_child_free(n->run[i].child); /* past its time: its group is stopped */
		n->run[i].child = NULL;
	}
}

int pd_notifier_timeout_ms(const pd_notifier *n)
{
	return n && pd_notifier_running(n) ? REAP_EVERY_MS : -1;
}

size_t pd_notifier_running(const pd_notifier *n)
{
	size_t i, k = 0;

	for (i = 0; n && i < PD_NOTIFY_MAX; i++)
		k += n->run[i].child != NULL;
	return k;
}

size_t pd_notifier_dropped(const pd_notifier *n)
{
	return n ? n->dropped : 0;
}

void pd_notifier_free(pd_notifier *n)
{
	long until = pd_now_ms() + 2000;
	size_t i;

	if (!n)
		return;
	while (pd_notifier_running(n) && pd_now_ms() < until) {
		pd_notifier_reap(n);
		if (pd_notifier_running(n))
			usleep(20000);
	}
	for (i = 0; i < PD_NOTIFY_MAX; i++)
		pd_child_free(n->run[i].child);
	free(n->template);
	free(n->packet_dir);
	free(n);
}
