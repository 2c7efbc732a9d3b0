/* fsio.h - bounded reads and atomic, durable writes of small state files.
 *
 * Reads refuse anything that is not a regular file (a FIFO, a directory, a
 * device) and anything larger than the caller's limit, without reading it:
 * memory stays bounded whatever the input is.
 *
 * Writes go to a temporary file in the target's directory, are fsynced,
 * renamed over the target, and the directory is fsynced: a reader sees the
 * old file or the new one, never a part, and once pd_write_atomic returns 0
 * the new file survives a crash. Upstream's writer takes `<target>.lock`
 * (its pid inside, waits up to 5 s, a lock older than 30 s is stale); this
 * writer takes the same lock, so both can share a packet dir.
 *
 * The system calls used for writing go through a seam (pd_os) that tests
 * replace to inject faults: a full disk, a failing fsync or rename.
 */
#ifndef PD_FSIO_H
#define PD_FSIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Read the whole regular file `path` into a NUL-terminated buffer.
 * Refused (PD_EINVALID): not a regular file, larger than `max` bytes.
 * Missing: PD_ENOTFOUND. The caller frees *out. */
int pd_read_file(char **out, size_t *out_len, const char *path, size_t max);

/* The same, for `path` relative to the directory open as `dir_fd`
 * (AT_FDCWD for the current one): a single path lookup step when reading
 * many files of one directory. Messages name `path`. */
int pd_read_file_at(char **out, size_t *out_len, int dir_fd, const char *path, size_t max);

typedef struct pd_write_options {
	bool no_replace;         /* fail with PD_EINVALID if the target exists */
	unsigned lock_wait_ms;   /* how long to wait for `<target>.lock` (5000) */
	unsigned lock_stale_s;   /* a lock older than this is stale (30) */
} pd_write_options;

#define PD_WRITE_OPTIONS_INIT {false, 5000, 30}

/* Replace (or create) `path` with `len` bytes of `data`, atomically and
 * durably, as described above. `opts` may be NULL for the defaults. After a
 * failure the previous file, if any, is unchanged and no temporary file is
 * left behind. */
int pd_write_atomic(const char *path, const void *data, size_t len,
		    const pd_write_options *opts);

/* Take every later `<target>.lock` as a hard link to one file of this
 * process's own, `DIR/writer.PID` (its pid inside): the same lock to every
 * reader and writer, but no file made and freed per write, each of which
 * ext4 makes every later file creation pay for while it is recent. Where a
 * link cannot be made (another filesystem), the lock is created as before.
 * Holders of processes that are gone are removed here. NULL removes ours
 * and goes back to creating each lock. */
int pd_write_lock_home(const char *dir);

/* Flush the whole filesystem holding `path` (syncfs): after it, a commit
 * that git just wrote there survives a crash, so a checkpoint or marker
 * naming it may be written. */
int pd_sync_fs(const char *path);

/* Remove `path` and everything below it, never following a symlink
 * (one is removed, not what it points to). 0 also when nothing was there. */
int pd_remove_tree(const char *path);

/* fsync the directory `dir`, so that a rename inside it is durable. */
int pd_fsync_dir(const char *dir);

/* The fault-injection seam: the calls pd_write_atomic makes. */
typedef struct pd_os {
	int (*open)(const char *path, int flags, mode_t mode);
	ssize_t (*write)(int fd, const void *buf, size_t len);
	int (*fsync)(int fd);
	int (*rename)(const char *from, const char *to, bool no_replace);
} pd_os;

/* Replace the calls (for tests); NULL restores the real ones. */
void pd_os_override(const pd_os *os);

/* The real calls, so an override can delegate to them. */
extern const pd_os pd_os_real;

#endif
