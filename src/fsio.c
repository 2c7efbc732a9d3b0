/* fsio.c - bounded reads and atomic, durable writes (see fsio.h).
 *
 * Deliberately not here: locks held for the length of a run (state.c uses
 * flock for those); this file only takes upstream's short-lived
 * `<target>.lock` around one write.
 */
#define _GNU_SOURCE
#include "packetdeck/fsio.h"
#include "packetdeck/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int real_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags, mode);
}

static ssize_t real_write(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len);
}

static int real_fsync(int fd)
{
	return fsync(fd);
}

static int real_rename(const char *from, const char *to, bool no_replace)
{
	if (!no_replace)
		return rename(from, to);
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* The filesystem has no RENAME_NOREPLACE: link() also refuses to
	 * replace, and is just as atomic. */
	if (link(from, to) != 0)
		return -1;
	unlink(from);
	return 0;
}

const pd_os pd_os_real = {real_open, real_write, real_fsync, real_rename};
static const pd_os *os = &pd_os_real;

void pd_os_override(const pd_os *replacement)
{
	os = replacement ? replacement : &pd_os_real;
}

int pd_read_file(char **out, size_t *out_len, const char *path, size_t max)
{
	return pd_read_file_at(out, out_len, AT_FDCWD, path, max);
}

int pd_read_file_at(char **out, size_t *out_len, int dir_fd, const char *path, size_t max)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, error = 0;

	*out = NULL;
	if (out_len)
		*out_len = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return pd_error_set(PD_ENOTFOUND, "%s: no such file", path);
		return pd_error_errno(PD_EIO, "%s: cannot open", path);
	}
	if (fstat(fd, &st) != 0) {
		error = pd_error_errno(PD_EIO, "%s: cannot stat", path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		error = pd_error_set(PD_EINVALID, "%s: not a regular file", path);
		goto done;
	}
	if ((unsigned long long)st.st_size > max) {
		error = pd_error_set(PD_EINVALID, "%s: too large (%lld bytes; the limit is %zu)",
				     path, (long long)st.st_size, max);
		goto done;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		error = pd_error_set(PD_ENOMEM, "%s: out of memory", path);
		goto done;
	}
	/* Read at most what fstat promised plus nothing: a file that grows
	 * while we read is cut at its size when opened. */
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = pd_error_errno(PD_EIO, "%s: cannot read", path);
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	if (out_len)
		*out_len = len;
done:
	free(buf);
	close(fd);
	return error;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int pd_sync_fs(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int error = 0;

	if (fd < 0)
		return pd_error_errno(PD_EIO, "%s: cannot open", path);
	if (syncfs(fd) != 0)
		error = pd_error_errno(PD_EIO, "%s: cannot sync its filesystem", path);
	close(fd);
	return error;
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

int pd_remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : pd_error_errno(PD_EIO, "%s", path);
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return pd_error_errno(PD_EIO, "%s: cannot remove", path);
	return 0;
}

int pd_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int error = 0;

	if (fd < 0)
		return pd_error_errno(PD_EIO, "%s: cannot open directory", dir);
	if (os->fsync(fd) != 0)
		error = pd_error_errno(PD_EIO, "%s: cannot sync directory", dir);
	close(fd);
	return error;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Did the writer holding `lock` die? Its pid names no process (a crash
 * or SIGKILL left the file), or the file stayed empty for over a second
 * (it died between creating it and writing its pid). */
static bool holder_dead(const char *lock, const struct stat *st)
{
	char buf[32];
	ssize_t n;
	long pid;
	int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n == 0 && time(NULL) - st->st_mtime > 1;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* The lock home (pd_write_lock_home): a file of this process's own, its
 * pid inside, that every lock taken is a hard link to. */
static struct {
	char *dir, *path;
	int fd;
	pid_t pid;
} home = {NULL, NULL, -1, 0};

static void home_release(void)
{
	if (home.fd >= 0) {
		close(home.fd);
		if (home.pid == getpid())
			unlink(home.path);
	}
	free(home.dir);
	free(home.path);
	home.dir = home.path = NULL;
	home.fd = -1;
}

/* Files `writer.PID` in `dir` whose process is gone: left by a crash. */
static void remove_dead_holders(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *ent;

	if (!d)
		return;
	while ((ent = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(ent->d_name, "writer.", 7) != 0)
			continue;
		pid = strtol(ent->d_name + 7, &end, 10);
		if (*end == '\0' && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
			unlinkat(dirfd(d), ent->d_name, 0);
	}
	closedir(d);
}

int pd_write_lock_home(const char *dir)
{
	home_release();
	if (!dir)
		return 0;
	remove_dead_holders(dir);
	if (!(home.dir = strdup(dir)))
		return pd_error_set(PD_ENOMEM, "out of memory");
	return 0;
}

/* The holder file, made on first use (and again in a forked child, whose
 * pid differs); its mtime kept within 5 s of now, as a lock's age is its
 * mtime to every reader. NULL when there is none to link. */
static const char *holder(void)
{
	pid_t self = getpid();
	time_t now = time(NULL);
	struct stat st;

	if (!home.dir)
		return NULL;
	if (home.fd < 0 || home.pid != self) {
		char pid[32];
		int n = snprintf(pid, sizeof(pid), "%ld\n", (long)self);

		if (home.fd >= 0)
			close(home.fd); /* the parent's: not ours to remove */
		free(home.path);
		home.fd = -1;
		if (asprintf(&home.path, "%s/writer.%ld", home.dir, (long)self) < 0) {
			home.path = NULL;
			return NULL;
		}
		home.fd = open(home.path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (home.fd < 0)
			return NULL;
		if (write(home.fd, pid, (size_t)n) != n) {
			close(home.fd);
			unlink(home.path);
			home.fd = -1;
			return NULL;
		}
		home.pid = self;
	}
	if (fstat(home.fd, &st) != 0 || (now - st.st_mtime >= 5 && futimens(home.fd, NULL) != 0))
		return NULL;
	return home.path;
}

/* Create `lock` exclusively with our pid in it: a hard link to the
 * holder where there is one, else a file of its own. -1 with errno. */
static int create_lock(const char *lock)
{
	const char *h = holder();
	char pid[32];
	int fd, n;

	if (h) {
		if (link(h, lock) == 0)
			return 0;
		if (errno == EEXIST)
			return -1;
		/* another filesystem, or links refused (EXDEV, EPERM, EMLINK):
		 * the plain way */
	}
	fd = os->open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (os->write(fd, pid, (size_t)n) != n) {
		int saved = errno ? errno : ENOSPC;

		close(fd);
		unlink(lock);
		errno = saved;
		return -2;
	}
	close(fd);
	return 0;
}

/* Take upstream's `<target>.lock`: create it exclusively with our pid. */
static int take_upstream_lock(const char *lock, const pd_write_options *o)
{
	unsigned waited = 0;

	for (;;) {
		int rc = create_lock(lock);
		struct stat st;

		if (rc == 0)
			return 0;
		if (rc == -2)
			return pd_error_errno(PD_EIO, "%s: cannot write", lock);
		if (errno != EEXIST)
			return pd_error_errno(PD_EIO, "%s: cannot create", lock);
		if (stat(lock, &st) == 0 &&
		    (time(NULL) - st.st_mtime > (time_t)o->lock_stale_s || holder_dead(lock, &st))) {
			unlink(lock); /* stale: its writer died */
			continue;
		}
		if (waited >= o->lock_wait_ms)
			return pd_error_set(PD_ELOCKED, "%s: held by another writer for over %u ms",
					    lock, o->lock_wait_ms);
		sleep_ms(20);
		waited += 20;
	}
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = os->write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int pd_write_atomic(const char *path, const void *data, size_t len,
		    const pd_write_options *opts)
{
	pd_write_options defaults = PD_WRITE_OPTIONS_INIT;
	char *dir = NULL, *lock = NULL, *tmp = NULL;
	bool locked = false, tmp_made = false;
	int fd = -1, error = 0;
	size_t plen = strlen(path);

	if (!opts)
		opts = &defaults;
	dir = dir_of(path);
	lock = malloc(plen + 6);
	tmp = malloc(plen + 64);
	if (!dir || !lock || !tmp) {
		error = pd_error_set(PD_ENOMEM, "%s: out of memory", path);
		goto done;
	}
	snprintf(lock, plen + 6, "%s.lock", path);
	/* One temporary name per thread, the same for every write: a name
	 * made and removed per write would dirty another directory block for
	 * each (ext4 hashes names), and every fsync of the directory writes
	 * them. A leftover of a dead process that had our pid is replaced. */
	snprintf(tmp, plen + 64, "%s/.pd-tmp.%ld.%ld", dir, (long)getpid(), (long)gettid());

	if ((error = take_upstream_lock(lock, opts)) < 0)
		goto done;
	locked = true;

	fd = os->open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = os->open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		error = pd_error_errno(PD_EIO, "%s: cannot create temporary file", path);
		goto done;
	}
	tmp_made = true;
	if (write_all(fd, data, len) != 0) {
		error = pd_error_errno(PD_EIO, "%s: cannot write", path);
		goto done;
	}
	if (os->fsync(fd) != 0) {
		error = pd_error_errno(PD_EIO, "%s: cannot sync", path);
		goto done;
	}
	if (close(fd) != 0) {
		fd = -1;
		error = pd_error_errno(PD_EIO, "%s: cannot close", path);
		goto done;
	}
	fd = -1;
	if (os->rename(tmp, path, opts->no_replace) != 0) {
		if (errno == EEXIST)
			error = pd_error_set(PD_EINVALID, "%s: already exists", path);
		else
			error = pd_error_errno(PD_EIO, "%s: cannot rename into place", path);
		goto done;
	}
	tmp_made = false;
	error = pd_fsync_dir(dir);
done:
	if (fd >= 0)
		close(fd);
	if (tmp_made)
		unlink(tmp);
	if (locked)
		unlink(lock);
	free(dir);
	free(lock);
	free(tmp);
	return error;
}
