/* test_fsio.c - bounded reads and atomic writes, with injected faults. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/fsio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static int setup(void **state)
{
	return t_setup(state);
}

static int teardown(void **state)
{
	pd_os_override(NULL); /* a failed test must not leave its faults behind */
	return t_teardown(state);
}

static char *slurp(const char *name)
{
	char *p = t_path(dir, name), *buf = NULL;
	size_t len;

	assert_int_equal(pd_read_file(&buf, &len, p, 1 << 20), 0);
	free(p);
	return buf;
}

/* Entries in dir other than "." and ".."; names them on stderr. */
static int count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			fprintf(stderr, "  entry: %s\n", e->d_name);
			n++;
		}
	closedir(d);
	return n;
}

static void reads_a_regular_file(void **state)
{
	char *buf;

	(void)state;
	t_write(dir, "a.json", "{\"x\":1}");
	buf = slurp("a.json");
	assert_string_equal(buf, "{\"x\":1}");
	free(buf);
}

static void refuses_what_is_not_a_regular_file(void **state)
{
	char *buf = NULL, *fifo = t_path(dir, "fifo"), *sub = t_path(dir, "sub");

	(void)state;
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	/* A FIFO with no writer: refused at once, not waited on. */
	assert_int_equal(pd_read_file(&buf, NULL, fifo, 100), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "not a regular file"));
	assert_int_equal(pd_read_file(&buf, NULL, sub, 100), PD_EINVALID);
	assert_null(buf);
	free(fifo);
	free(sub);
}

static void refuses_a_file_over_the_limit_unread(void **state)
{
	char *p = t_path(dir, "big"), *buf = NULL;
	int fd = open(p, O_WRONLY | O_CREAT, 0644);

	(void)state;
	/* 4 GiB, sparse: refused from its size, never read. */
	assert_int_equal(ftruncate(fd, (off_t)4 << 30), 0);
	close(fd);
	assert_int_equal(pd_read_file(&buf, NULL, p, 1 << 20), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "too large (4294967296 bytes; the limit is 1048576)"));
	free(p);
}

static void missing_file_is_not_found(void **state)
{
	char *p = t_path(dir, "nope"), *buf = NULL;

	(void)state;
	assert_int_equal(pd_read_file(&buf, NULL, p, 10), PD_ENOTFOUND);
	free(p);
}

static void writes_and_replaces_atomically(void **state)
{
	char *p = t_path(dir, "s.json"), *buf;

	(void)state;
	assert_int_equal(pd_write_atomic(p, "one\n", 4, NULL), 0);
	buf = slurp("s.json");
	assert_string_equal(buf, "one\n");
	free(buf);
	assert_int_equal(pd_write_atomic(p, "two\n", 4, NULL), 0);
	buf = slurp("s.json");
	assert_string_equal(buf, "two\n");
	free(buf);
	assert_int_equal(count_entries(), 1); /* no temporary file, no lock left */
	free(p);
}

static void no_replace_keeps_the_existing_file(void **state)
{
	pd_write_options o = PD_WRITE_OPTIONS_INIT;
	char *p = t_path(dir, "m.json"), *buf;

	(void)state;
	o.no_replace = true;
	assert_int_equal(pd_write_atomic(p, "first", 5, &o), 0);
	assert_int_equal(pd_write_atomic(p, "second", 6, &o), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "already exists"));
	buf = slurp("m.json");
	assert_string_equal(buf, "first");
	free(buf);
	assert_int_equal(count_entries(), 1);
	free(p);
}

static void a_fresh_upstream_lock_is_waited_on_then_refused(void **state)
{
	pd_write_options o = PD_WRITE_OPTIONS_INIT;
	char *p = t_path(dir, "c.json");
	struct timespec t0, t1;
	long ms;

	(void)state;
	char live[32];

	snprintf(live, sizeof(live), "%ld\n", (long)getppid()); /* a live writer */
	t_write(dir, "c.json", "old");
	t_write(dir, "c.json.lock", live);
	o.lock_wait_ms = 200;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pd_write_atomic(p, "new", 3, &o), PD_ELOCKED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 180);
	{
		char *buf = slurp("c.json"), *lock = slurp("c.json.lock");

		assert_string_equal(buf, "old");
		assert_string_equal(lock, live); /* someone else's lock: untouched */
		free(buf);
		free(lock);
	}
	free(p);
}

static void a_stale_upstream_lock_is_taken_over(void **state)
{
	char *p = t_path(dir, "c.json"), *lock = t_path(dir, "c.json.lock"), *buf;
	struct timeval old[2] = {{time(NULL) - 60, 0}, {time(NULL) - 60, 0}};

	(void)state;
	t_write(dir, "c.json.lock", "12345\n");
	assert_int_equal(utimes(lock, old), 0);
	assert_int_equal(pd_write_atomic(p, "new", 3, NULL), 0);
	buf = slurp("c.json");
	assert_string_equal(buf, "new");
	free(buf);
	assert_int_equal(access(lock, F_OK), -1); /* released after the write */
	free(p);
	free(lock);
}

static void a_fresh_lock_of_a_dead_writer_is_taken_over_at_once(void **state)
{
	char *p = t_path(dir, "c.json"), *lock = t_path(dir, "c.json.lock"), *buf, dead[32];
	struct timeval old[2] = {{time(NULL) - 5, 0}, {time(NULL) - 5, 0}};
	pd_write_options o = PD_WRITE_OPTIONS_INIT;
	pid_t child = fork();

	(void)state;
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child); /* its pid now names no process */
	snprintf(dead, sizeof(dead), "%ld\n", (long)child);
	o.lock_wait_ms = 0; /* no waiting: it must be seen as stale */
	t_write(dir, "c.json.lock", dead);
	assert_int_equal(pd_write_atomic(p, "new", 3, &o), 0);
	buf = slurp("c.json");
	assert_string_equal(buf, "new");
	free(buf);
	/* an empty lock (its writer died before writing its pid), seconds old */
	t_write(dir, "c.json.lock", "");
	assert_int_equal(utimes(lock, old), 0);
	assert_int_equal(pd_write_atomic(p, "newer", 5, &o), 0);
	assert_int_equal(access(lock, F_OK), -1);
	free(p);
	free(lock);
}

/* With a lock home: the lock, while the data is written, is a hard link
 * to the holder (same inode, our pid inside); the holder goes with the
 * home. Checked from inside the write, at the temporary file's open. */
static char *home_dir, *home_lock;
static int home_checks;
static int open_checking_the_lock(const char *path, int flags, mode_t mode)
{
	char holder[4096], *text = NULL, pid[32];
	struct stat a, b;

	if (strstr(path, "/.pd-tmp.")) {
		snprintf(holder, sizeof(holder), "%s/writer.%ld", home_dir, (long)getpid());
		snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (stat(home_lock, &a) == 0 && stat(holder, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_nlink == 2 && time(NULL) - a.st_mtime <= 2 && /* fresh to a reader */
		    pd_read_file(&text, NULL, home_lock, 64) == 0 &&
		    strcmp(text, pid) == 0)
			home_checks++;
		free(text);
	}
	return pd_os_real.open(path, flags, mode);
}

static void a_lock_home_links_every_lock_to_one_holder(void **state)
{
	pd_os os = pd_os_real;
	char *p = t_path(dir, "h.json"), *holder, *buf;

	(void)state;
	home_dir = t_path(dir, "home");
	home_lock = t_path(dir, "h.json.lock");
	assert_int_equal(mkdir(home_dir, 0755), 0);
	assert_int_equal(asprintf(&holder, "%s/writer.%ld", home_dir, (long)getpid()) > 0, 1);
	assert_int_equal(pd_write_lock_home(home_dir), 0);
	os.open = open_checking_the_lock;
	pd_os_override(&os);
	home_checks = 0;
	assert_int_equal(pd_write_atomic(p, "one", 3, NULL), 0);
	{
		/* a holder made long ago: its lock must not look stale */
		struct timeval old[2] = {{time(NULL) - 60, 0}, {time(NULL) - 60, 0}};

		assert_int_equal(utimes(holder, old), 0);
	}
	assert_int_equal(pd_write_atomic(p, "two", 3, NULL), 0);
	pd_os_override(NULL);
	assert_int_equal(home_checks, 2);
	buf = slurp("h.json");
	assert_string_equal(buf, "two");
	free(buf);
	assert_int_equal(access(home_lock, F_OK), -1); /* released */
	assert_int_equal(access(holder, F_OK), 0);
	assert_int_equal(pd_write_lock_home(NULL), 0);
	assert_int_equal(access(holder, F_OK), -1); /* gone with the home */
	assert_int_equal(count_entries(), 2);       /* h.json and home/ */
	free(holder);
	free(home_dir);
	free(home_lock);
	free(p);
}

static void with_a_lock_home_a_live_writers_lock_is_still_waited_on(void **state)
{
	pd_write_options o = PD_WRITE_OPTIONS_INIT;
	char *p = t_path(dir, "c.json"), *home = t_path(dir, "home"), live[32], *buf;

	(void)state;
	snprintf(live, sizeof(live), "%ld\n", (long)getppid());
	assert_int_equal(mkdir(home, 0755), 0);
	assert_int_equal(pd_write_lock_home(home), 0);
	t_write(dir, "c.json", "old");
	t_write(dir, "c.json.lock", live);
	o.lock_wait_ms = 100;
	assert_int_equal(pd_write_atomic(p, "new", 3, &o), PD_ELOCKED);
	assert_int_equal(pd_write_lock_home(NULL), 0);
	buf = slurp("c.json");
	assert_string_equal(buf, "old");
	free(buf);
	buf = slurp("c.json.lock");
	assert_string_equal(buf, live);
	free(buf);
	free(home);
	free(p);
}

static int access_in(const char *name)
{
	char *p = t_path(dir, name);
	int rc = access(p, F_OK);

	free(p);
	return rc;
}

static void a_lock_home_removes_the_holders_of_dead_processes(void **state)
{
	char *home = t_path(dir, "home"), dead[64], live[64], other[64];
	pid_t child = fork();

	(void)state;
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(mkdir(home, 0755), 0);
	snprintf(dead, sizeof(dead), "home/writer.%ld", (long)child);
	snprintf(live, sizeof(live), "home/writer.%ld", (long)getppid());
	snprintf(other, sizeof(other), "home/writer.notapid");
	t_write(dir, dead, "x\n");
	t_write(dir, live, "x\n");
	t_write(dir, other, "x\n");
	assert_int_equal(pd_write_lock_home(home), 0);
	assert_int_equal(pd_write_lock_home(NULL), 0);
	assert_int_equal(access_in(dead), false ? 0 : -1);
	assert_int_equal(access_in(live), true ? 0 : -1);
	assert_int_equal(access_in(other), true ? 0 : -1);
	free(home);
}

/* A home on another filesystem (no link across): each lock is created as
 * without one. */
static void a_lock_home_elsewhere_falls_back_to_creating_the_lock(void **state)
{
	char tmpl[] = "/dev/shm/pdhome.XXXXXX", *p = t_path(dir, "x.json"), *buf;
	struct stat a, b;

	(void)state;
	if (!mkdtemp(tmpl)) {
		free(p);
		skip();
	}
	assert_int_equal(stat(tmpl, &a), 0);
	assert_int_equal(stat(dir, &b), 0);
	if (a.st_dev == b.st_dev) {
		rmdir(tmpl);
		free(p);
		skip(); /* the same filesystem: nothing to prove */
	}
	assert_int_equal(pd_write_lock_home(tmpl), 0);
	assert_int_equal(pd_write_atomic(p, "ok", 2, NULL), 0);
	assert_int_equal(pd_write_lock_home(NULL), 0);
	assert_int_equal(rmdir(tmpl), 0); /* the holder gone too */
	buf = slurp("x.json");
	assert_string_equal(buf, "ok");
	free(buf);
	assert_int_equal(count_entries(), 1);
	free(p);
}

/* Faults: the nth call of a kind fails with an errno. */
static int fail_errno;
/* The lock's pid goes through; then 2 bytes, then nothing more. */
static ssize_t short_then_zero_write(int fd, const void *b, size_t n)
{
	static int calls;

	if (calls == 0 || calls == 1) {
		calls++;
		return pd_os_real.write(fd, b, calls == 1 ? n : (n > 2 ? 2 : n));
	}
	return 0;
}
static int failing_fsync(int fd)
{
	(void)fd;
	errno = EIO;
	return -1;
}
static int failing_rename(const char *a, const char *b, bool nr)
{
	(void)a, (void)b, (void)nr;
	errno = EXDEV;
	return -1;
}

static void expect_fault_keeps_old(const pd_os *os, const char *message)
{
	char *p = t_path(dir, "k.json"), *buf;

	t_write(dir, "k.json", "{\"old\":true}");
	pd_os_override(os);
	assert_int_not_equal(pd_write_atomic(p, "{\"new\":true}", 12, NULL), 0);
	pd_os_override(NULL);
	if (!strstr(pd_error_last(), message))
		fail_msg("got \"%s\", expected \"%s\"", pd_error_last(), message);
	buf = slurp("k.json");
	assert_string_equal(buf, "{\"old\":true}");
	free(buf);
	assert_int_equal(count_entries(), 1); /* no temporary file, no lock */
	free(p);
}

static int lock_write_calls;
/* The first write is the lock file's pid; later ones fail. */
static ssize_t lock_then_fail(int fd, const void *b, size_t n)
{
	if (lock_write_calls++ == 0)
		return pd_os_real.write(fd, b, n);
	errno = fail_errno;
	return -1;
}

static void full_disk_keeps_the_previous_file(void **state)
{
	pd_os os = pd_os_real;

	(void)state;
	fail_errno = ENOSPC;
	lock_write_calls = 0;
	os.write = lock_then_fail;
	expect_fault_keeps_old(&os, "cannot write: No space left on device");
}

static void a_write_that_stops_short_is_a_failure(void **state)
{
	pd_os os = pd_os_real;

	(void)state;
	os.write = short_then_zero_write;
	expect_fault_keeps_old(&os, "No space left on device");
}

static void failed_fsync_keeps_the_previous_file(void **state)
{
	pd_os os = pd_os_real;

	(void)state;
	os.fsync = failing_fsync;
	expect_fault_keeps_old(&os, "cannot sync");
}

static void failed_rename_keeps_the_previous_file(void **state)
{
	pd_os os = pd_os_real;

	(void)state;
	os.rename = failing_rename;
	expect_fault_keeps_old(&os, "cannot rename into place");
}

/* A read-only directory: every file creation fails with EROFS. */
static int erofs_open(const char *path, int flags, mode_t mode)
{
	if (flags & O_CREAT) {
		errno = EROFS;
		return -1;
	}
	return pd_os_real.open(path, flags, mode);
}

static void read_only_directory_keeps_the_previous_file(void **state)
{
	pd_os os = pd_os_real;
	char *p, *buf;

	(void)state;
	t_write(dir, "r.json", "old");
	p = t_path(dir, "r.json");
	if (geteuid() == 0) {
		/* root writes through chmod: refuse creation as a read-only mount would */
		os.open = erofs_open;
		pd_os_override(&os);
	} else {
		assert_int_equal(chmod(dir, 0555), 0);
	}
	assert_int_not_equal(pd_write_atomic(p, "new", 3, NULL), 0);
	pd_os_override(NULL);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_non_null(strstr(pd_error_last(), "cannot create"));
	buf = slurp("r.json");
	assert_string_equal(buf, "old");
	free(buf);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reads_a_regular_file, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_what_is_not_a_regular_file, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_a_file_over_the_limit_unread, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_file_is_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_and_replaces_atomically, setup, teardown),
		cmocka_unit_test_setup_teardown(no_replace_keeps_the_existing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(a_fresh_upstream_lock_is_waited_on_then_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(a_stale_upstream_lock_is_taken_over, setup, teardown),
		cmocka_unit_test_setup_teardown(a_fresh_lock_of_a_dead_writer_is_taken_over_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(a_lock_home_links_every_lock_to_one_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(with_a_lock_home_a_live_writers_lock_is_still_waited_on, setup, teardown),
		cmocka_unit_test_setup_teardown(a_lock_home_removes_the_holders_of_dead_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(a_lock_home_elsewhere_falls_back_to_creating_the_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(full_disk_keeps_the_previous_file, setup, teardown),
		cmocka_unit_test_setup_teardown(a_write_that_stops_short_is_a_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_fsync_keeps_the_previous_file, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_rename_keeps_the_previous_file, setup, teardown),
		cmocka_unit_test_setup_teardown(read_only_directory_keeps_the_previous_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
