/* test_state.c - markers, checkpoints, failure records, lock probes. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/fsio.h"
#include "packetdeck/state.h"
#include "json.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


static void expect_marker(pd_file_state state, const char *problem)
{
	pd_marker m;

	assert_int_equal(pd_marker_read(&m, dir, 1), 0);
	assert_int_equal(m.state, state);
	if (problem && (!m.problem || !strstr(m.problem, problem)))
		fail_msg("problem \"%s\", expected \"%s\"", m.problem ? m.problem : "(none)", problem);
	pd_marker_clear(&m);
}

static void valid_marker_is_complete(void **state)
{
	pd_marker m;

	(void)state;
	t_write(dir, "track-1.completion.json",
		"{\"format_version\":\"1.0.0\",\"status\":\"complete\",\"commit\":\"abc123\","
		"\"timestamp\":\"2026-01-05T13:00:00Z\"}");
	assert_int_equal(pd_marker_read(&m, dir, 1), 0);
	assert_int_equal(m.state, PD_FILE_OK);
	assert_string_equal(m.commit, "abc123");
	assert_string_equal(m.timestamp, "2026-01-05T13:00:00Z");
	pd_marker_clear(&m);
}

static void absent_marker_is_absent(void **state)
{
	(void)state;
	expect_marker(PD_FILE_ABSENT, NULL);
}

static void marker_without_complete_status_is_corrupt(void **state)
{
	(void)state;
	t_write(dir, "track-1.completion.json", "{\"status\":\"done\"}");
	expect_marker(PD_FILE_CORRUPT, "\"status\" is \"done\", not \"complete\"");
	t_write(dir, "track-1.completion.json", "{\"status\":\"completed\"}");
	expect_marker(PD_FILE_CORRUPT, "\"status\" is \"completed\", not \"complete\"");
	t_write(dir, "track-1.completion.json", "{\"status\":1}");
	expect_marker(PD_FILE_CORRUPT, "no \"status\": \"complete\"");
	t_write(dir, "track-1.completion.json", "{\"commit\":\"abc\"}");
	expect_marker(PD_FILE_CORRUPT, "no \"status\": \"complete\"");
	t_write(dir, "track-1.completion.json", "{\"status\":\"complete\"");
	expect_marker(PD_FILE_CORRUPT, "not valid JSON");
	t_write(dir, "track-1.completion.json", "");
	expect_marker(PD_FILE_CORRUPT, "empty file");
	t_write(dir, "track-1.completion.json", "{\"status\":\"complete\"} trailing");
	expect_marker(PD_FILE_CORRUPT, "unexpected text after the JSON value");
}

static void marker_that_is_a_directory_or_fifo_is_corrupt(void **state)
{
	char *p = t_path(dir, "track-1.completion.json");

	(void)state;
	assert_int_equal(mkdir(p, 0755), 0);
	expect_marker(PD_FILE_CORRUPT, "not a regular file");
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(mkfifo(p, 0644), 0);
	expect_marker(PD_FILE_CORRUPT, "not a regular file"); /* and did not block */
	free(p);
}

static void every_truncation_of_a_marker_is_handled(void **state)
{
	const char *full = "{\"format_version\":\"1.0.0\",\"status\":\"complete\",\"commit\":\"ab\","
			   "\"timestamp\":\"2026-01-05T13:00:00Z\"}";
	size_t len = strlen(full), cut;
	char buf[256];

	(void)state;
	for (cut = 0; cut < len; cut++) {
		memcpy(buf, full, cut);
		buf[cut] = '\0';
		t_write(dir, "track-1.completion.json", buf);
		expect_marker(PD_FILE_CORRUPT, NULL);
	}
	t_write(dir, "track-1.completion.json", full);
	expect_marker(PD_FILE_OK, NULL);
}

static void legacy_marker_name_is_read(void **state)
{
	pd_marker m;

	(void)state;
	t_write(dir, ".track-1-complete.json", "{\"status\":\"complete\",\"commit\":\"old\"}");
	assert_int_equal(pd_marker_read(&m, dir, 1), 0);
	assert_int_equal(m.state, PD_FILE_OK);
	assert_non_null(strstr(m.path, ".track-1-complete.json"));
	pd_marker_clear(&m);
	/* the current name wins */
	t_write(dir, "track-1.completion.json", "{\"status\":\"complete\",\"commit\":\"new\"}");
	assert_int_equal(pd_marker_read(&m, dir, 1), 0);
	assert_string_equal(m.commit, "new");
	pd_marker_clear(&m);
}

static void checkpoint_in_seed_format_is_read(void **state)
{
	pd_checkpoint c;

	(void)state;
	t_write(dir, "track-1.checkpoint.json",
		"{\"format_version\":\"1.0.0\",\"track\":1,\"last_completed_task\":\"1.2\","
		"\"commit\":\"abc123\",\"timestamp\":\"2026-01-05T12:30:00Z\",\"next_task\":\"1.3\"}");
	assert_int_equal(pd_checkpoint_read(&c, dir, 1), 0);
	assert_int_equal(c.state, PD_FILE_OK);
	assert_string_equal(c.last_completed_task, "1.2");
	assert_string_equal(c.next_task, "1.3");
	assert_string_equal(c.commit, "abc123");
	assert_true(c.mtime.tv_sec > 0);
	pd_checkpoint_clear(&c);
}

static void checkpoint_problems_are_corrupt(void **state)
{
	pd_checkpoint c;

	(void)state;
	t_write(dir, "track-1.checkpoint.json",
		"{\"track\":2,\"last_completed_task\":\"1.2\",\"next_task\":null}");
	assert_int_equal(pd_checkpoint_read(&c, dir, 1), 0);
	assert_int_equal(c.state, PD_FILE_CORRUPT);
	assert_non_null(strstr(c.problem, "\"track\" names another track"));
	pd_checkpoint_clear(&c);
	t_write(dir, "track-1.checkpoint.json", "{\"track\":1,\"last_completed_task\":\"1.2\"}");
	assert_int_equal(pd_checkpoint_read(&c, dir, 1), 0);
	assert_int_equal(c.state, PD_FILE_CORRUPT);
	assert_non_null(strstr(c.problem, "\"next_task\" must be a task id or null"));
	pd_checkpoint_clear(&c);
}

static void legacy_checkpoint_name_is_read(void **state)
{
	pd_checkpoint c;

	(void)state;
	t_write(dir, "checkpoints/track-1-checkpoint.json",
		"{\"track\":1,\"last_completed_task\":\"1.1\",\"next_task\":null}");
	assert_int_equal(pd_checkpoint_read(&c, dir, 1), 0);
	assert_int_equal(c.state, PD_FILE_OK);
	assert_null(c.next_task);
	pd_checkpoint_clear(&c);
}

static void writers_produce_the_seed_formats(void **state)
{
	char *p, *buf = NULL;
	size_t len;
	cJSON *o = NULL;
	const cJSON *item;
	const char *keys[] = {"format_version", "track", "last_completed_task", "commit",
			      "timestamp", "next_task"};
	size_t k = 0;

	(void)state;
	assert_int_equal(pd_checkpoint_write(dir, 1, "1.2", "1.3", "abc", "2026-01-05T12:30:00Z"), 0);
	p = pd_checkpoint_path(dir, 1);
	assert_int_equal(pd_read_file(&buf, &len, p, 4096), 0);
	assert_int_equal(buf[len - 1], '\n');
	assert_int_equal(pd_json_parse(&o, buf, len, p, 4), 0);
	cJSON_ArrayForEach(item, o) /* the seed's key order */
		assert_string_equal(item->string, keys[k++]);
	assert_int_equal(k, 6);
	assert_int_equal(pd_json_get(o, "track")->valueint, 1);
	cJSON_Delete(o);
	free(buf);
	free(p);

	assert_int_equal(pd_checkpoint_write(dir, 1, "1.3", NULL, "abc", NULL), 0);
	{
		pd_checkpoint c;

		assert_int_equal(pd_checkpoint_read(&c, dir, 1), 0);
		assert_int_equal(c.state, PD_FILE_OK);
		assert_null(c.next_task);
		assert_int_equal(strlen(c.timestamp), 20); /* 2026-01-05T12:30:00Z */
		assert_int_equal(c.timestamp[19], 'Z');
		pd_checkpoint_clear(&c);
	}
	assert_int_equal(pd_marker_write(dir, 1, "abc", "2026-01-05T13:00:00Z"), 0);
	p = pd_marker_path(dir, 1);
	assert_int_equal(pd_read_file(&buf, &len, p, 4096), 0);
	assert_string_equal(buf, "{\"format_version\":\"1.0.0\",\"status\":\"complete\",\"commit\":\"abc\","
				 "\"timestamp\":\"2026-01-05T13:00:00Z\"}\n");
	free(buf);
	free(p);
}

static void checkpoint_text_is_the_file_line_and_parses_back(void **state)
{
	char *text = pd_checkpoint_text(3, "3.1", "3.2", "abc", "2026-01-05T12:30:00Z");
	char *p = pd_checkpoint_path(dir, 3), *buf = NULL;
	size_t len;
	pd_checkpoint c;

	(void)state;
	assert_non_null(text);
	assert_int_equal(pd_checkpoint_write(dir, 3, "3.1", "3.2", "abc", "2026-01-05T12:30:00Z"), 0);
	assert_int_equal(pd_read_file(&buf, &len, p, 4096), 0);
	assert_int_equal(len, strlen(text) + 1);
	assert_memory_equal(buf, text, len - 1);
	{
		/* a line in a buffer: what follows it is not part of it */
		char *line = malloc(strlen(text) + 2);

		assert_non_null(line);
		sprintf(line, "%s}", text);
		assert_int_equal(pd_checkpoint_parse(&c, line, strlen(text), "status", 3), 0);
		free(line);
	}
	assert_int_equal(c.state, PD_FILE_OK);
	assert_string_equal(c.last_completed_task, "3.1");
	assert_string_equal(c.next_task, "3.2");
	assert_string_equal(c.commit, "abc");
	pd_checkpoint_clear(&c);
	/* the same checks as a file: another track's, or not JSON, is corrupt */
	assert_int_equal(pd_checkpoint_parse(&c, text, strlen(text), "status", 4), 0);
	assert_int_equal(c.state, PD_FILE_CORRUPT);
	assert_string_equal(c.problem, "status: \"track\" names another track");
	pd_checkpoint_clear(&c);
	assert_int_equal(pd_checkpoint_parse(&c, text, strlen(text) - 1, "status", 3), 0);
	assert_int_equal(c.state, PD_FILE_CORRUPT);
	assert_non_null(strstr(c.problem, "status:"));
	pd_checkpoint_clear(&c);
	assert_int_equal(pd_checkpoint_parse(&c, "[1]", 3, "status", 3), 0);
	assert_int_equal(c.state, PD_FILE_CORRUPT);
	pd_checkpoint_clear(&c);
	free(text);
	free(buf);
	free(p);
}

static void a_marker_is_never_replaced(void **state)
{
	pd_marker m;

	(void)state;
	assert_int_equal(pd_marker_write(dir, 1, "first", NULL), 0);
	assert_int_equal(pd_marker_write(dir, 1, "second", NULL), PD_EINVALID);
	assert_int_equal(pd_marker_read(&m, dir, 1), 0);
	assert_string_equal(m.commit, "first");
	pd_marker_clear(&m);
}

static void failure_record_round_trips(void **state)
{
	pd_failure f;

	(void)state;
	assert_int_equal(pd_failure_write(dir, 3, "3.2", "exit status 1: make test", NULL, 1, NULL), 0);
	assert_int_equal(pd_failure_read(&f, dir, 3), 0);
	assert_int_equal(f.state, PD_FILE_OK);
	assert_string_equal(f.task, "3.2");
	assert_string_equal(f.message, "exit status 1: make test");
	assert_int_equal(f.exit_status, 1);
	pd_failure_clear(&f);
	assert_int_equal(pd_failure_read(&f, dir, 4), 0);
	assert_int_equal(f.state, PD_FILE_ABSENT);
	pd_failure_clear(&f);
}

static void lock_probe_sees_a_live_holder_only(void **state)
{
	char *lock = t_path(dir, "x.lock");
	pd_lockinfo li;
	int ready[2], go[2];
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(pd_lock_probe(&li, lock), 0); /* no file */
	assert_false(li.held);
	assert_int_equal(access(lock, F_OK), -1);      /* and none was made */
	t_write(dir, "x.lock", "{\"pid\":1}");
	assert_int_equal(pd_lock_probe(&li, lock), 0); /* a file nobody holds */
	assert_false(li.held);

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(lock, O_RDWR);
		char text[128];
		int n;

		if (fd < 0 || flock(fd, LOCK_EX) != 0)
			_exit(1);
		n = snprintf(text, sizeof(text), "{\"pid\":%d,\"host\":\"h\",\"since\":\"s\"}", getpid());
		if (ftruncate(fd, 0) != 0 || write(fd, text, (size_t)n) != n)
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(pd_lock_probe(&li, lock), 0);
	assert_true(li.held);
	assert_int_equal(li.pid, pid);
	assert_string_equal(li.host, "h");
	pd_lockinfo_clear(&li);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(pd_lock_probe(&li, lock), 0); /* its holder is gone */
	assert_false(li.held);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	free(lock);
}

/* dir/NAME made by mk (mkdir or mkfifo) */
static void make_node(const char *name, int (*mk)(const char *, mode_t))
{
	char *p = t_path(dir, name);

	assert_int_equal(mk(p, 0755), 0);
	free(p);
}

static void state_files_must_be_regular_files(void **state)
{
	pd_diags d = PD_DIAGS_INIT;
	char *p;

	(void)state;
	/* regular state files, and unrelated entries of any kind, are fine */
	t_write(dir, "track-1.completion.json", "{}");
	t_write(dir, ".packetdeck/track-1.lock", "");
	make_node("notes", mkdir);
	make_node("track-x.completion.json", mkfifo);
	assert_int_equal(pd_state_files_check(dir, &d), 0);
	assert_int_equal(d.count, 0);
	/* a marker that is a directory, a checkpoint that is a FIFO, an
	 * upstream marker that is a symlink, a failure record that is a dir */
	make_node("track-2.completion.json", mkdir);
	make_node("track-3.checkpoint.json", mkfifo);
	p = t_path(dir, ".track-4-complete.json");
	assert_int_equal(symlink("/dev/zero", p), 0);
	free(p);
	make_node(".packetdeck/track-5.failure.json", mkdir);
	assert_int_equal(pd_state_files_check(dir, &d), PD_EINVALID);
	assert_int_equal(d.count, 4);
	assert_true(t_has_diag(&d, NULL, "track-2.completion.json: a directory, not a regular file"));
	assert_true(t_has_diag(&d, NULL, "track-3.checkpoint.json: a FIFO, not a regular file"));
	assert_true(t_has_diag(&d, NULL, ".track-4-complete.json: a symlink, not a regular file"));
	assert_true(t_has_diag(&d, NULL, ".packetdeck/track-5.failure.json: a directory"));
	pd_diags_free(&d);
}

/* The usage-limit record: written, read back, removed; a bad reset time
 * is corrupt; timestamps parse back exactly. */
static void limit_record_round_trips(void **state)
{
	pd_limit l;
	time_t t;
	char buf[80];

	(void)state;
	assert_int_equal(pd_limit_read(&l, dir, 2), 0);
	assert_int_equal(l.state, PD_FILE_ABSENT);
	pd_limit_clear(&l);
	assert_int_equal(pd_limit_write(dir, 2, 1796303406, "You've hit your session limit"), 0);
	assert_int_equal(pd_limit_read(&l, dir, 2), 0);
	assert_int_equal(l.state, PD_FILE_OK);
	assert_int_equal(l.resets_at, 1796303406);
	assert_string_equal(l.message, "You've hit your session limit");
	assert_string_equal(pd_limit_text(&l, buf, sizeof(buf)), "usage limit until 2026-12-03T13:10:06Z");
	pd_limit_clear(&l);
	assert_int_equal(pd_limit_write(dir, 2, 0, NULL), 0);
	assert_int_equal(pd_limit_read(&l, dir, 2), 0);
	assert_int_equal(l.resets_at, 0);
	assert_string_equal(pd_limit_text(&l, buf, sizeof(buf)), "usage limit (reset time not known)");
	pd_limit_clear(&l);
	t_write(dir, ".packetdeck/track-2.limit.json", "{\"track\":2,\"resets_at\":\"soon\",\"message\":\"m\"}");
	assert_int_equal(pd_limit_read(&l, dir, 2), 0);
	assert_int_equal(l.state, PD_FILE_CORRUPT);
	assert_non_null(strstr(l.problem, "\"resets_at\" must be a UTC timestamp"));
	pd_limit_clear(&l);
	assert_int_equal(pd_limit_remove(dir, 2), 0);
	assert_int_equal(pd_limit_remove(dir, 2), 0); /* absent is fine */
	assert_int_equal(pd_limit_read(&l, dir, 2), 0);
	assert_int_equal(l.state, PD_FILE_ABSENT);
	pd_limit_clear(&l);
	assert_true(pd_timestamp_parse("2026-01-05T12:30:00Z", &t));
	assert_string_equal(pd_timestamp(buf, t), "2026-01-05T12:30:00Z");
	assert_false(pd_timestamp_parse("2026-01-05T12:30:00", &t));
	assert_false(pd_timestamp_parse("2026-01-05T12:30:00Zx", &t));
	assert_false(pd_timestamp_parse(NULL, &t));
	assert_int_equal(pd_state_file_track(".packetdeck/track-7.limit.json"), 7);
}

static void an_in_progress_marker_says_not_complete(void **state)
{
	static const char *const said[] = {"in_progress", "in-progress", "pending", "started", "running"};
	pd_marker m;
	char *current;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(said) / sizeof(*said); i++) {
		char text[200];

		snprintf(text, sizeof(text), "{\"format_version\":\"1.0.0\",\"status\":\"%s\","
			 "\"timestamp\":\"2026-01-05T12:00:00Z\"}", said[i]);
		t_write(dir, "track-1.completion.json", text);
		assert_int_equal(pd_marker_read(&m, dir, 1), 0);
		assert_int_equal(m.state, PD_FILE_ABSENT); /* not complete, not corrupt */
		assert_null(m.problem);
		assert_non_null(m.path);
		assert_string_equal(m.unfinished, said[i]);
		assert_string_equal(m.timestamp, "2026-01-05T12:00:00Z");
		pd_marker_clear(&m);
	}
	/* the legacy name too */
	current = t_path(dir, "track-1.completion.json");
	unlink(current);
	free(current);
	t_write(dir, ".track-1-complete.json", "{\"status\":\"in_progress\"}");
	assert_int_equal(pd_marker_read(&m, dir, 1), 0);
	assert_int_equal(m.state, PD_FILE_ABSENT);
	assert_string_equal(m.unfinished, "in_progress");
	pd_marker_clear(&m);
}

static void only_an_unfinished_marker_is_replaced(void **state)
{
	pd_marker m;

	(void)state;
	t_write(dir, "track-1.completion.json", "{\"status\":\"in_progress\"}");
	assert_int_equal(pd_marker_write(dir, 1, "abc", NULL), 0);
	assert_int_equal(pd_marker_read(&m, dir, 1), 0);
	assert_int_equal(m.state, PD_FILE_OK);
	assert_string_equal(m.commit, "abc");
	assert_null(m.unfinished);
	pd_marker_clear(&m);
	/* a corrupt one stays, and the message says why */
	t_write(dir, "track-2.completion.json", "{\"status\":\"done\"}");
	assert_int_equal(pd_marker_write(dir, 2, "abc", NULL), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "exists"));
	assert_int_equal(pd_marker_read(&m, dir, 2), 0);
	assert_int_equal(m.state, PD_FILE_CORRUPT);
	pd_marker_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, t_setup, t_teardown)
		T(valid_marker_is_complete),
		T(state_files_must_be_regular_files),
		T(absent_marker_is_absent),
		T(marker_without_complete_status_is_corrupt),
		T(marker_that_is_a_directory_or_fifo_is_corrupt),
		T(every_truncation_of_a_marker_is_handled),
		T(legacy_marker_name_is_read),
		T(checkpoint_in_seed_format_is_read),
		T(checkpoint_problems_are_corrupt),
		T(legacy_checkpoint_name_is_read),
		T(writers_produce_the_seed_formats),
		T(checkpoint_text_is_the_file_line_and_parses_back),
		T(a_marker_is_never_replaced),
		T(an_in_progress_marker_says_not_complete),
		T(only_an_unfinished_marker_is_replaced),
		T(failure_record_round_trips),
		T(lock_probe_sees_a_live_holder_only),
		T(limit_record_round_trips),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
