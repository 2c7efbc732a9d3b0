/* test_notify.c - the --notify command (notify.h): its environment and
 * placeholders, hostile text passed literally and never run, sends that
 * never wait, the cap, a missing program, no process left. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/notify.h"
#include "packetdeck/state.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("missing \"%s\" in:\n%s", part, text);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	assert_non_null(buf);
	if (f) {
		size_t n = fread(buf, 1, 65535, f);

		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

/* wait (reaping) until none runs, at most 5 s */
static void settle(pd_notifier *n)
{
	long until = now_ms() + 5000;

	while (pd_notifier_running(n) && now_ms() < until) {
		pd_notifier_reap(n);
		usleep(10000);
	}
	assert_int_equal(pd_notifier_running(n), 0);
}

static void the_command_gets_the_event_literally(void **state)
{
	char *script = t_path(dir, "rec.sh"), *out = t_path(dir, "rec.out"), *tmpl = NULL, *got;
	pd_notifier *n;
	pd_event e = PD_EVENT_INIT(PD_EV_TRACK_FAILED);
	const char *hostile = "boom $(touch PWNED); rm -rf / `id` \"q\" 'x' | cat\nsecond line";

	(void)state;
	t_write(dir, ".packetdeck/keep", "");
	t_write(dir, "rec.sh", "printf '%s|%s|%s\\n' \"$1\" \"$2\" \"$3\" >>\"$OUT\"\n"
			       "printf 'env %s|%s|%s|%s\\n' \"$PACKETDECK_EVENT\" \"$PACKETDECK_TRACK\" "
			       "\"$PACKETDECK_MESSAGE\" \"$PACKETDECK_PACKET_DIR\" >>\"$OUT\"\n");
	setenv("OUT", out, 1);
	assert_true(asprintf(&tmpl, "sh %s {event} {track} {message}", script) > 0);
	assert_int_equal(pd_notifier_new(&n, tmpl, dir), 0);
	e.track = 3;
	e.name = "api";
	e.task = "3.2";
	e.message = hostile;
	assert_int_equal(pd_notifier_send(n, &e), 0);
	settle(n);
	got = slurp(out);
	has(got, "track_failed|3|Track 3 (api) failed at task 3.2: boom $(touch PWNED); rm -rf / `id` \"q\" 'x' | cat second line\n");
	has(got, "env track_failed|3|Track 3 (api) failed at task 3.2: boom $(touch PWNED)");
	has(got, dir);
	{
		char *pwned = t_path(dir, "PWNED");

		assert_int_not_equal(access(pwned, F_OK), 0); /* never run */
		free(pwned);
	}
	free(got);
	/* an event without a track: {track} is "-", PACKETDECK_TRACK empty */
	e = (pd_event)PD_EVENT_INIT(PD_EV_RUN_COMPLETED);
	e.completed = e.total = 4;
	assert_int_equal(pd_notifier_send(n, &e), 0);
	settle(n);
	got = slurp(out);
	has(got, "run_completed|-|All tracks completed (4/4)\n");
	has(got, "env run_completed||All tracks completed (4/4)|");
	free(got);
	{
		char *log = t_path(dir, ".packetdeck/notify.log");

		got = slurp(log);
		has(got, " run_completed: All tracks completed (4/4) ===\n");
		free(got);
		free(log);
	}
	pd_notifier_free(n);
	free(tmpl);
	free(script);
	free(out);
}

static void sends_never_wait_and_the_cap_drops(void **state)
{
	pd_notifier *n;
	pd_event e = PD_EVENT_INIT(PD_EV_BLOCKED);
	long t0;
	int i;

	(void)state;
	t_write(dir, ".packetdeck/keep", "");
	assert_int_equal(pd_notifier_new(&n, "sleep 5", dir), 0);
	t0 = now_ms();
	for (i = 0; i < PD_NOTIFY_MAX + 2; i++)
		assert_int_equal(pd_notifier_send(n, &e), 0);
	assert_true(now_ms() - t0 < 500); /* six sends of a 5 s command */
	assert_int_equal(pd_notifier_running(n), PD_NOTIFY_MAX);
	assert_int_equal(pd_notifier_dropped(n), 2);
	assert_int_equal(pd_notifier_timeout_ms(n) > 0, 1);
	t0 = now_ms();
	pd_notifier_free(n); /* waits 2 s at most, then stops them */
	assert_true(now_ms() - t0 < 3500);
	assert_int_equal(system("pgrep -f '^sleep 5$' >/dev/null"), 256);
}

static void a_bad_template_or_program_is_said(void **state)
{
	pd_notifier *n = NULL;
	pd_event e = PD_EVENT_INIT(PD_EV_ABORTED);

	(void)state;
	assert_int_equal(pd_notifier_new(&n, "notify-me {nosuch}", dir), PD_EINVALID);
	assert_null(n);
	assert_int_equal(pd_notifier_new(&n, "'unbalanced", dir), PD_EINVALID);
	assert_int_equal(pd_notifier_new(&n, "/nonexistent/notifier {event}", dir), 0);
	e.reason = "stopped";
	assert_int_equal(pd_notifier_send(n, &e), PD_EIO);
	has(pd_error_last(), "/nonexistent/notifier");
	assert_int_equal(pd_notifier_running(n), 0);
	assert_int_equal(pd_notifier_timeout_ms(n), -1);
	pd_notifier_free(n);
	assert_true(pd_notify_wanted(PD_EV_LIMITED));
	assert_true(pd_notify_wanted(PD_EV_HANDOFF_SUGGESTED));
	assert_false(pd_notify_wanted(PD_EV_CHECKPOINT));
	assert_false(pd_notify_wanted(PD_EV_AGENT_ACTIVITY));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_command_gets_the_event_literally, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(sends_never_wait_and_the_cap_drops, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(a_bad_template_or_program_is_said, t_setup, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
