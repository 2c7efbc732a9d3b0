/* cli_demo.c - `packetdeck demo [DIR]`: build a throwaway feature (a git
 * repository, a packet dir of six tracks: a diamond and a chain, built-in
 * runner, short sleeps and real commits) and run the dashboard on it.
 *
 * Within a minute it shows each kind of moment: track 5 is executed by a
 * second `packetdeck packet` process started here, so the run finds it
 * running elsewhere and waits (the blocked dialog closes by itself when its
 * marker appears); a handoff is suggested after each track; track 6 fails
 * on its first attempt and passes when resumed from the failure card.
 * Without a terminal it runs headless (waiting, continuing, resuming once)
 * and says how to see the dashboard. */
#define _GNU_SOURCE
#include "cli.h"
#include "packetdeck/fsio.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
	"usage: packetdeck demo [--no-tui] [DIR]\n"
	"\n"
	"Create a sample feature in DIR (a new directory; default: a fresh one under\n"
	"$TMPDIR or /tmp): a git repository, worktrees and a packet dir of six tracks,\n"
	"then run it. On a terminal the dashboard shows a track executed by a second\n"
	"process (a blocked wait that resolves by itself), handoff prompts, and a\n"
	"track that fails once and passes when resumed from the failure card (press\n"
	"r). Without a terminal the same run is headless and resumes by itself.\n"
	"\n"
	"exit status: as for 'packetdeck run'.\n";

typedef struct demo_track {
	int id;
	const char *name, *deps, *tasks;
} demo_track;

/* @ROOT@ is the demo's root, for the file that makes track 6 fail once. */
static const demo_track tracks[] = {
	{1, "core-models", "",
	 "### Task 1.1: Create the user model\n"
	 "Run: sleep 1 && printf 'class User: pass\\n' > user.py && git add user.py && git commit -qm 'Add the user model' && echo 'committed user.py'\n\n"
	 "### Task 1.2: Create the session model\n"
	 "Run: sleep 1 && printf 'class Session: pass\\n' > session.py && git add session.py && git commit -qm 'Add the session model' && echo 'committed session.py'\n"},
	{2, "db-schema", "1",
	 "### Task 2.1: Write the users table\n"
	 "Run: sleep 1 && printf 'CREATE TABLE users (id int);\\n' > schema.sql && git add schema.sql && git commit -qm 'Add the users table' && echo 'committed schema.sql'\n\n"
	 "### Task 2.2: Add the sessions table\n"
	 "Run: sleep 1 && printf 'CREATE TABLE sessions (id int);\\n' >> schema.sql && git commit -qam 'Add the sessions table' && echo 'schema.sql: 2 tables'\n"},
	{3, "api", "1",
	 "### Task 3.1: Add the login route\n"
	 "Run: sleep 1 && printf 'def login(): pass\\n' > api.py && git add api.py && git commit -qm 'Add the login route' && echo 'committed api.py'\n\n"
	 "### Task 3.2: Add the logout route\n"
	 "Run: sleep 1 && printf 'def logout(): pass\\n' >> api.py && git commit -qam 'Add the logout route' && echo 'api.py: 2 routes'\n"},
	{4, "ui", "2, 3",
	 "### Task 4.1: Build the login form\n"
	 "Run: sleep 1 && printf '<form>login</form>\\n' > login.html && git add login.html && git commit -qm 'Add the login form' && echo 'committed login.html'\n\n"
	 "### Task 4.2: Wire the form to the API\n"
	 "Run: sleep 1 && printf '<script>login()</script>\\n' >> login.html && git commit -qam 'Wire the login form' && echo 'login.html wired'\n"},
	{5, "docs", "",
	 "### Task 5.1: Outline the guide\n"
	 "Run: for i in 1 2 3 4 5 6 7 8; do echo \"outlining, step $i of 8\"; sleep 1; done; printf '# Guide\\n' > GUIDE.md && git add GUIDE.md && git commit -qm 'Outline the guide'\n\n"
	 "### Task 5.2: Write the login section\n"
	 "Run: for i in 1 2 3 4 5 6 7 8; do echo \"writing, step $i of 8\"; sleep 1; done; printf '## Login\\n' >> GUIDE.md && git commit -qam 'Write the login section'\n\n"
	 "### Task 5.3: Write the API section\n"
	 "Run: for i in 1 2 3 4 5 6 7 8; do echo \"writing, step $i of 8\"; sleep 1; done; printf '## API\\n' >> GUIDE.md && git commit -qam 'Write the API section'\n"},
	{6, "release", "4, 5",
	 "### Task 6.1: Bump the version\n"
	 "Run: sleep 1 && echo 0.2.0 > VERSION && git add VERSION && git commit -qm 'Release 0.2.0' && echo 'version 0.2.0'\n\n"
	 "### Task 6.2: Run the release checks\n"
	 "Run: sleep 1; if [ ! -e @ROOT@/.release-checked ]; then touch @ROOT@/.release-checked; echo 'release check: CHANGELOG has no entry for 0.2.0'; echo '(the demo fails here once: resume the track from the failure card with r)'; exit 1; fi; echo 'release checks passed'\n"},
};

/* `text` with each @ROOT@ replaced by `root`. */
static char *with_root(const char *text, const char *root)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *p;

	if (!f)
		return NULL;
	while ((p = strstr(text, "@ROOT@"))) {
		fwrite(text, 1, (size_t)(p - text), f);
		fputs(root, f);
		text = p + 6;
	}
	fputs(text, f);
	fclose(f);
	return out;
}

/* A new file (never replacing one), with the project's one writer. */
static int write_text(const char *path, const char *text)
{
	pd_write_options wo = PD_WRITE_OPTIONS_INIT;

	wo.no_replace = true;
	if (pd_write_atomic(path, text, strlen(text), &wo) < 0) {
		fprintf(stderr, "packetdeck demo: %s\n", pd_error_last());
		return -1;
	}
	return 0;
}

/* DIR/repo, DIR/packets (manifest and packets), worktrees under DIR/worktrees. */
static int build(const char *root)
{
	char path[PATH_MAX + 128], *text = NULL;
	size_t len = 0, i;
	FILE *m;

	snprintf(path, sizeof(path), "%s/repo", root);
	if (pd_repo_init(path, "main", "packetdeck demo", "demo@example.invalid", "Start the demo shop") < 0) {
		fprintf(stderr, "packetdeck demo: %s\n", pd_error_last());
		return -1;
	}
	snprintf(path, sizeof(path), "%s/packets", root);
	if (mkdir(path, 0755) != 0) {
		fprintf(stderr, "packetdeck demo: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!(m = open_memstream(&text, &len)))
		return -1;
	fprintf(m, "{\n  \"format_version\": \"1.0.0\",\n  \"feature\": \"demo-shop\",\n"
		   "  \"project_root\": \"%s/repo\",\n  \"tracks\": [\n", root);
	for (i = 0; i < sizeof(tracks) / sizeof(*tracks); i++)
		fprintf(m, "    {\"id\": %d, \"name\": \"%s\", \"packet\": \"track-%d-%s.md\", "
			   "\"worktree\": \"%s/worktrees/track-%d\", \"branch\": \"demo-shop/track-%d\", "
			   "\"depends_on\": [%s]}%s\n",
			tracks[i].id, tracks[i].name, tracks[i].id, tracks[i].name, root, tracks[i].id,
			tracks[i].id, tracks[i].deps, i + 1 < sizeof(tracks) / sizeof(*tracks) ? "," : "");
	/* `m` at the end merges them: one gate of the shell, one agent skill
	 * (skipped under the built-in runner, saying so) */
	fprintf(m, "  ],\n  \"merge_strategy\": \"worktree-merge\",\n"
		   "  \"post_merge_qa\": [\"git log --oneline --first-parent -6\", \"green-mirage-audit\"]\n}\n");
	fclose(m);
	snprintf(path, sizeof(path), "%s/packets/manifest.json", root);
	if (write_text(path, text) < 0) {
		free(text);
		return -1;
	}
	free(text);
	for (i = 0; i < sizeof(tracks) / sizeof(*tracks); i++) {
		char *body = NULL;
		int ok;

		if (asprintf(&body, "# Track %d: %s\n\n## Tasks\n\n", tracks[i].id, tracks[i].name) < 0)
			return -1;
		{
			char *tasks = NULL, *all = NULL;

			if (!(tasks = with_root(tracks[i].tasks, root)) || asprintf(&all, "%s%s", body, tasks) < 0) {
				free(tasks);
				free(body);
				return -1;
			}
			free(body);
			free(tasks);
			body = all;
		}
		snprintf(path, sizeof(path), "%s/packets/track-%d-%s.md", root, tracks[i].id, tracks[i].name);
		ok = write_text(path, body) == 0;
		free(body);
		if (!ok)
			return -1;
	}
	return 0;
}

/* Track 5 executed by another process, as a second terminal or an agent
 * would: its output goes to the log the dashboard shows. */
static pd_child *second_process(const char *root, const char *self)
{
	char packet[PATH_MAX + 64], state[PATH_MAX + 64], log[PATH_MAX + 128];
	char *argv[] = {(char *)self, "packet", "--on-blocked", "wait", packet, NULL};
	pd_spawn_options so = {.argv = argv, .cwd = root, .output_fd = -1};
	pd_child *c = NULL;
	int fd;

	snprintf(packet, sizeof(packet), "%s/packets/track-5-docs.md", root);
	snprintf(state, sizeof(state), "%s/packets/.packetdeck", root);
	snprintf(log, sizeof(log), "%s/track-5.log", state);
	if (mkdir(state, 0755) != 0 && errno != EEXIST)
		return NULL;
	if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		return NULL;
	so.output_fd = fd;
	if (pd_child_spawn(&c, &so) < 0)
		c = NULL;
	close(fd);
	return c;
}

int cli_demo(int argc, char **argv)
{
	bool no_tui = false;
	const cli_opt opts[] = {{"--no-tui", &no_tui, NULL}, {NULL, NULL, NULL}};
	char root[PATH_MAX], self[PATH_MAX], packets[PATH_MAX + 16];
	const char *dir = NULL;
	pd_child *second;
	ssize_t n;
	int status, i;
	bool tui;

	/* DIR is optional: parse with a placeholder when it is absent */
	for (i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			dir = argv[i];
	if (!dir) {
		char **args = calloc((size_t)argc + 2, sizeof(char *));

		if (!args)
			return PD_EXIT_USAGE;
		for (i = 0; i < argc; i++)
			args[i] = argv[i];
		args[argc] = "-";
		if (!cli_parse(argc + 1, args, "demo", opts, help, &dir, &status)) {
			free(args);
			return status;
		}
		free(args);
		snprintf(root, sizeof(root), "%s/packetdeck-demo-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(root)) {
			fprintf(stderr, "packetdeck demo: %s: %s\n", root, strerror(errno));
			return PD_EXIT_USAGE;
		}
	} else {
		if (!cli_parse(argc, argv, "demo", opts, help, &dir, &status))
			return status;
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			fprintf(stderr, "packetdeck demo: %s: %s\n", dir, strerror(errno));
			return PD_EXIT_USAGE;
		}
		if (!realpath(dir, root)) {
			fprintf(stderr, "packetdeck demo: %s: %s\n", dir, strerror(errno));
			return PD_EXIT_USAGE;
		}
	}
	{
		char probe[PATH_MAX + 16];

		snprintf(probe, sizeof(probe), "%s/packets", root);
		if (access(probe, F_OK) == 0) {
			fprintf(stderr, "packetdeck demo: %s already holds a demo: give a new directory\n", root);
			return PD_EXIT_USAGE;
		}
	}
	if (build(root) < 0)
		return PD_EXIT_USAGE;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(packets, sizeof(packets), "%s/packets", root);
	tui = cli_has_terminal(false, no_tui);
	printf("packetdeck demo: a sample feature in %s\n", root);
	second = second_process(root, n > 0 ? self : argv[0]);
	if (tui) {
		char *run_argv[] = {"run", "--handoff-timeout", "3", packets, NULL};

		status = cli_run(4, run_argv);
	} else {
		char *run_argv[] = {"run", "--no-tui", "--on-blocked", "wait", "--handoff", "continue", packets, NULL};
		char *resume_argv[] = {"run", "--no-tui", "--resume", "--on-blocked", "wait", packets, NULL};

		printf("(no terminal: headless; 'packetdeck demo' in a terminal shows the dashboard)\n");
		fflush(stdout);
		status = cli_run(7, run_argv);
		if (status == PD_EXIT_FAILED) {
			printf("\npacketdeck demo: track 6 failed as planned; resuming it, as the dashboard's "
			       "failure card would: packetdeck run --resume %s\n", packets);
			fflush(stdout);
			status = cli_run(6, resume_argv);
		}
	}
	if (second) {
		int ws;

		if (pd_child_wait(second, false, &ws) == 0)
			pd_child_stop(second, 2000);
		pd_child_free(second);
	}
	printf("packetdeck demo: the demo is in %s (remove it when done)\n", root);
	return status;
}
