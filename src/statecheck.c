/* statecheck.c - the state files of a packet dir must be regular files
 * (state.h: pd_state_files_check). A marker that is a directory, a FIFO
 * (a reader would block), a device or a symlink (it may point anywhere)
 * is refused when the dir is loaded, before anything is written. One pass
 * over each directory's entries, not one lookup per track. */
#define _GNU_SOURCE
#include "packetdeck/state.h"
#include "packetdeck/error.h"

#include <dirent.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* PREFIX, one or more digits, SUFFIX: the whole name. */
static bool track_name(const char *name, const char *prefix, const char *suffix)
{
	size_t p = strlen(prefix), d;

	if (strncmp(name, prefix, p) != 0)
		return false;
	d = strspn(name + p, "0123456789");
	return d > 0 && strcmp(name + p + d, suffix) == 0;
}

static const char *kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISLNK(m) ? "a symlink"
	       : S_ISSOCK(m) ? "a socket" : S_ISCHR(m) || S_ISBLK(m) ? "a device" : S_ISREG(m) ? "a regular file" : "not a regular file";
}

/* The state files among the entries of packet_dir/sub (sub "" for the dir
 * itself), by `is_state`. */
static void check_dir(const char *packet_dir, const char *sub, bool (*is_state)(const char *),
		      pd_diags *diags)
{
	char path[4096];
	struct dirent *ent;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "%s%s%s", packet_dir, *sub ? "/" : "", sub);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		struct stat st;

		if (*sub && lstat(path, &st) == 0)
			pd_diags_add(diags, path, "%s, not a directory: move it away", kind(st.st_mode));
		return;
	}
	if (!(d = fdopendir(fd))) {
		close(fd);
		return;
	}
	while ((ent = readdir(d)) != NULL) {
		struct stat st;

		if (ent->d_type == DT_REG || !is_state(ent->d_name))
			continue;
		if (fstatat(fd, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISREG(st.st_mode))
			continue;
		pd_diags_add(diags, NULL, "%s/%s: %s, not a regular file: packetdeck's state files must be "
					  "regular files (move it away)", path, ent->d_name, kind(st.st_mode));
	}
	closedir(d);
}

static bool in_dir(const char *n)
{
	return track_name(n, "track-", ".completion.json") || track_name(n, "track-", ".checkpoint.json") ||
	       track_name(n, ".track-", "-complete.json");
}

static bool in_checkpoints(const char *n)
{
	return track_name(n, "track-", "-checkpoint.json");
}

static bool in_state_dir(const char *n)
{
	return track_name(n, "track-", ".failure.json") || track_name(n, "track-", ".start.json") ||
	       track_name(n, "track-", ".limit.json") || track_name(n, "track-", ".lock") ||
	       track_name(n, "writer.", "") || strcmp(n, "run.lock") == 0 ||
	       strcmp(n, "merge.json") == 0 || strcmp(n, "merge.log") == 0;
}

int pd_state_files_check(const char *packet_dir, pd_diags *diags)
{
	size_t before = pd_diags_total(diags);

	check_dir(packet_dir, "", in_dir, diags);
	check_dir(packet_dir, "checkpoints", in_checkpoints, diags);
	check_dir(packet_dir, PD_STATE_DIR, in_state_dir, diags);
	return pd_diags_total(diags) > before ? PD_EINVALID : 0;
}
