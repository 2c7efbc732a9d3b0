/* test_runner.c - argv templates, and children in their own process group. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/engine.h"
#include "packetdeck/preset.h"
#include "packetdeck/runner.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char **expand(const char *t, const pd_template_var *v, size_t n)
{
	char **argv = NULL;

	assert_int_equal(pd_template_expand(&argv, t, v, n), 0);
	return argv;
}

static void expect_argv(char **argv, const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	pd_argv_free(argv);
}

static void templates_split_on_unquoted_blanks(void **state)
{
	(void)state;
	expect_argv(expand("a  b\tc", NULL, 0), (const char *[]){"a", "b", "c", NULL});
	expect_argv(expand("a 'b c' \"d e\" f\\ g ''", NULL, 0),
		    (const char *[]){"a", "b c", "d e", "f g", "", NULL});
	expect_argv(expand("say \"it\\\"s\" 'no \\ escape'", NULL, 0),
		    (const char *[]){"say", "it\"s", "no \\ escape", NULL});
}

static void placeholders_never_split_or_run(void **state)
{
	static const char *hostile[] = {"a;touch pwned", "$(id)", "`id`", "x'y\"z", "a b\tc",
					"-rf", "{packet}", "\\", "|&<>", "*"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hostile) / sizeof(*hostile); i++) {
		pd_template_var v[] = {{"branch", hostile[i]}, {"resume", ""}};
		char joined[64];

		snprintf(joined, sizeof(joined), "b=%s", hostile[i]);
		expect_argv(expand("tool --branch {branch} {resume} \"b={branch}\"", v, 2),
			    (const char *[]){"tool", "--branch", hostile[i], joined, NULL});
	}
}

static void resume_word_is_dropped_when_empty(void **state)
{
	pd_template_var v[] = {{"packet", "/p/track 1.md"}, {"resume", ""}};
	pd_template_var r[] = {{"packet", "/p/track 1.md"}, {"resume", "--resume"}};

	(void)state;
	expect_argv(expand("packetdeck packet {packet} {resume}", v, 2),
		    (const char *[]){"packetdeck", "packet", "/p/track 1.md", NULL});
	expect_argv(expand("packetdeck packet {packet} {resume}", r, 2),
		    (const char *[]){"packetdeck", "packet", "/p/track 1.md", "--resume", NULL});
	expect_argv(expand("claude -p \"/execute-work-packet {packet} {resume}\"", v, 2),
		    (const char *[]){"claude", "-p", "/execute-work-packet /p/track 1.md ", NULL});
	expect_argv(expand("x '{resume}'", v, 2), (const char *[]){"x", "", NULL}); /* quoted: kept */
}

static void presets_expand_to_the_documented_argv(void **state)
{
	pd_template_var v[] = {{"packet", "/p/track-4.md"}, {"packet_dir", "/p"}, {"track", "4"},
			       {"worktree", "/w 4"}, {"branch", "f/t4"}, {"resume", ""},
			       {"self", "/usr/bin/packetdeck"}, {"prompt", "do it; $(id)"},
			       {"git_dir", "/r/.git/worktrees/w 4"}, {"git_common_dir", "/r/.git"}};

	(void)state;
	expect_argv(expand(pd_preset_find("builtin")->template, v, 10),
		    (const char *[]){"/usr/bin/packetdeck", "packet", "--tasks-only", "/p/track-4.md", NULL});
	/* claude: the prompt one word, permissions in the = form (the space
	 * forms are variadic and would eat what follows), structured output */
	expect_argv(expand(pd_preset_find("claude")->template, v, 10),
		    (const char *[]){"claude", "-p", "do it; $(id)", "--allowedTools=Bash,Edit,Write,Read",
				     "--add-dir=/p", "--output-format=stream-json", "--verbose", NULL});
	expect_argv(expand(pd_preset_find("claude-slash")->template, v, 10),
		    (const char *[]){"claude", "-p", "/execute-work-packet /p/track-4.md ",
				     "--allowedTools=Bash,Edit,Write,Read", "--add-dir=/p",
				     "--output-format=stream-json", "--verbose", NULL});
	/* codex: its sandbox, writable where a worktree commit writes */
	expect_argv(expand(pd_preset_find("codex")->template, v, 10),
		    (const char *[]){"codex", "exec", "--json", "--color", "never", "--disable",
				     "unbounded_connection_retries", "--sandbox", "workspace-write",
				     "--add-dir", "/p", "--add-dir", "/r/.git", "--add-dir",
				     "/r/.git/worktrees/w 4", "--cd", "/w 4", "do it; $(id)", NULL});
	expect_argv(expand(pd_preset_find("codex-unsandboxed")->template, v, 10),
		    (const char *[]){"codex", "exec", "--json", "--color", "never", "--disable",
				     "unbounded_connection_retries",
				     "--dangerously-bypass-approvals-and-sandbox", "--cd", "/w 4",
				     "do it; $(id)", NULL});
	assert_true(pd_preset_find("builtin")->builtin);
	assert_false(pd_preset_find("codex")->builtin);
	assert_int_equal(pd_preset_find("claude")->stream, PD_AGENT_CLAUDE);
	assert_int_equal(pd_preset_find("codex")->stream, PD_AGENT_CODEX);
	assert_null(pd_preset_find("nonsense"));
	assert_null(pd_preset_at(5));
}

/* A missing program says so, and where an agent CLI comes from. */
static void a_missing_program_is_named_with_its_install(void **state)
{
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	(void)state;
	setenv("PATH", "/nonexistent", 1);
	assert_int_equal(pd_preset_check("claude"), PD_ENOTFOUND);
	assert_string_equal(pd_error_last(),
			    "claude: not found on PATH (npm install -g @anthropic-ai/claude-code)");
	assert_int_equal(pd_preset_check("codex-unsandboxed"), PD_ENOTFOUND);
	assert_string_equal(pd_error_last(), "codex: not found on PATH (npm install -g @openai/codex)");
	assert_int_equal(pd_preset_check("my-agent --do {packet}"), PD_ENOTFOUND);
	assert_string_equal(pd_error_last(), "my-agent: not found on PATH");
	assert_int_equal(pd_preset_check("/nonexistent/agent {packet}"), PD_ENOTFOUND);
	assert_string_equal(pd_error_last(), "/nonexistent/agent: not an executable file");
	assert_int_equal(pd_preset_check("builtin"), 0);
	assert_int_equal(pd_preset_check("/bin/sh -c true"), 0);
	assert_int_equal(pd_preset_check("x '{packet}"), PD_EINVALID);
	setenv("PATH", "/usr/bin:/bin", 1);
	assert_int_equal(pd_preset_check("sh -c true"), 0);
	if (old)
		setenv("PATH", old, 1);
	free(old);
}

static void bad_templates_are_refused(void **state)
{
	char **argv = NULL;
	pd_template_var v[] = {{"packet", "p"}};

	(void)state;
	assert_int_equal(pd_template_expand(&argv, "run {pakcet}", v, 1), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "unknown placeholder {pakcet}"));
	assert_int_equal(pd_template_expand(&argv, "run 'open", v, 1), PD_EINVALID);
	assert_non_null(strstr(pd_error_last(), "unbalanced ' quote"));
	assert_int_equal(pd_template_expand(&argv, "   ", v, 1), PD_EINVALID);
	assert_null(argv);
	/* braces that are no placeholder stay */
	expect_argv(expand("awk '{print $1}' {}", v, 1), (const char *[]){"awk", "{print $1}", "{}", NULL});
}

/* Read the child's output to EOF. */
static char *read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *s = malloc(cap);
	struct pollfd p = {fd, POLLIN, 0};

	for (;;) {
		ssize_t n;

		assert_true(poll(&p, 1, 10000) == 1);
		n = read(fd, s + len, cap - len - 1);
		if (n < 0 && errno == EAGAIN)
			continue;
		assert_true(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len + 1 == cap)
			s = realloc(s, cap *= 2);
	}
	s[len] = '\0';
	return s;
}

static pd_child *spawn_sh(const char *script, const char *cwd, char *const *env)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	pd_spawn_options o = {.argv = argv, .cwd = cwd, .env = env, .output_fd = -1};
	pd_child *c = NULL;

	assert_int_equal(pd_child_spawn(&c, &o), 0);
	return c;
}

static void child_gets_cwd_env_devnull_and_nothing_else(void **state)
{
	char *env[] = {"PACKETDECK_TRACK=7", "HOME=/nowhere", NULL};
	int leak = open("/dev/null", O_RDONLY); /* not close-on-exec: must not reach the child */
	pd_child *c;
	char *out, expect[256];
	int ws;

	(void)state;
	assert_true(leak > 2);
	c = spawn_sh("pwd; echo \"$PACKETDECK_TRACK $HOME\"; cat; echo stdin-eof; "
		     "echo err >&2; "
		     "ps -o pgid= -p $$ | tr -d ' '; echo $$",
		     dir, env);
	out = read_all(pd_child_output_fd(c));
	assert_int_equal(pd_child_wait(c, true, &ws), 1);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	{
		char *real = realpath(dir, NULL);
		char pg[32], pid[32];

		snprintf(expect, sizeof(expect), "%s\n7 /nowhere\nstdin-eof\nerr\n", real);
		assert_int_equal(strncmp(out, expect, strlen(expect)), 0);
		/* its own process group: pgid == pid */
		assert_int_equal(sscanf(out + strlen(expect), "%31s %31s", pg, pid), 2);
		assert_string_equal(pg, pid);
		assert_int_equal(atol(pid), pd_child_pid(c));
		free(real);
	}
	free(out);
	pd_child_free(c);
	/* its descriptors, seen from outside once it runs (a listing from
	 * inside a shell would race with the shell's own pipes): 0, 1, 2 only */
	c = spawn_sh("exec sleep 30", dir, env);
	{
		char path[64], comm[64] = "", fds[64] = "";
		size_t len = 0;
		int i;

		snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pd_child_pid(c));
		for (i = 0; i < 500 && strncmp(comm, "sleep", 5) != 0; i++) {
			FILE *f = fopen(path, "r");
			struct timespec t = {0, 10 * 1000000L};

			if (f) {
				if (!fgets(comm, sizeof(comm), f))
					comm[0] = '\0';
				fclose(f);
			}
			nanosleep(&t, NULL);
		}
		snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pd_child_pid(c));
		{
			DIR *d = opendir(path);
			struct dirent *de;
			int n[16], count = 0, a, b;

			assert_non_null(d);
			while ((de = readdir(d)) != NULL)
				if (de->d_name[0] != '.' && count < 16)
					n[count++] = atoi(de->d_name);
			closedir(d);
			for (a = 0; a < count; a++) /* sort: readdir's order is not numeric */
				for (b = a + 1; b < count; b++)
					if (n[b] < n[a]) {
						int x = n[a];

						n[a] = n[b];
						n[b] = x;
					}
			for (a = 0; a < count; a++)
				len += (size_t)snprintf(fds + len, sizeof(fds) - len, "%d ", n[a]);
		}
		assert_string_equal(fds, "0 1 2 ");
	}
	pd_child_free(c);
	close(leak);
}

static void hostile_arguments_arrive_byte_for_byte(void **state)
{
	const char *arg = "feat;touch pwned$(id)`id`'\"|&<>*\\ x";
	char *argv[] = {"printf", "%s|", (char *)arg, (char *)arg, NULL};
	pd_spawn_options o = {.argv = argv, .cwd = dir, .output_fd = -1};
	pd_child *c = NULL;
	char *out, want[256], *pwned = t_path(dir, "pwned");

	(void)state;
	assert_int_equal(pd_child_spawn(&c, &o), 0);
	out = read_all(pd_child_output_fd(c));
	pd_child_wait(c, true, NULL);
	snprintf(want, sizeof(want), "%s|%s|", arg, arg);
	assert_string_equal(out, want);
	assert_int_equal(access(pwned, F_OK), -1);
	free(out);
	free(pwned);
	pd_child_free(c);
}

/* The child has stdin, stdout and stderr, and nothing else of ours: no
 * fd 3 even when ours is open. */
static void nothing_of_ours_leaks_into_the_child(void **state)
{
	char *argv[] = {"/bin/sh", "-c",
			"for f in 0 1 2 3 4 5 6 7 8 9 10 11 12; do [ -e /proc/$$/fd/$f ] && printf '%s ' $f; done; "
			"echo; echo hello >&3", NULL};
	pd_spawn_options o = {.argv = argv, .output_fd = -1};
	int p[2], ws;
	pd_child *c;
	char *out;

	(void)state;
	assert_int_equal(pipe2(p, 0), 0); /* inheritable, and fd 3 is open */
	assert_true(fcntl(3, F_GETFD) >= 0);
	assert_int_equal(pd_child_spawn(&c, &o), 0);
	out = read_all(pd_child_output_fd(c));
	assert_int_equal(pd_child_wait(c, true, &ws), 1);
	pd_child_free(c);
	assert_memory_equal(out, "0 1 2 \n", 7);
	assert_int_not_equal(WEXITSTATUS(ws), 0); /* >&3 failed */
	free(out);
	close(p[0]);
	close(p[1]);
}

/* A process killed without warning while its child runs: the guard stops
 * the child's whole group, also what the child started itself. */
static void the_guard_stops_a_dead_parents_groups(void **state)
{
	int p[2], i;
	pid_t parent, grandchild = 0;

	(void)state;
	assert_int_equal(pipe(p), 0);
	parent = fork();
	assert_true(parent >= 0);
	if (parent == 0) {
		char *argv[] = {"/bin/sh", "-c", "sleep 97 & echo $!; wait", NULL};
		pd_spawn_options o = {.argv = argv, .output_fd = p[1]};
		pd_child *c;

		if (pd_child_spawn(&c, &o) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	{
		char buf[32] = "";
		ssize_t n = read(p[0], buf, sizeof(buf) - 1);

		assert_true(n > 0);
		grandchild = (pid_t)atol(buf);
	}
	assert_true(grandchild > 0);
	assert_int_equal(kill(grandchild, 0), 0);
	kill(parent, SIGKILL);
	waitpid(parent, NULL, 0);
	for (i = 0; i < 250 && kill(grandchild, 0) == 0; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			; /* ours if we are a subreaper (an earlier test spawned) */
		usleep(20000);
	}
	assert_int_not_equal(kill(grandchild, 0), 0); /* gone (reaped by init) */
	close(p[0]);
}

static void a_command_that_cannot_run_is_an_error(void **state)
{
	char *argv[] = {"no-such-runner-xyz", NULL};
	pd_spawn_options o = {.argv = argv, .output_fd = -1};
	pd_child *c = NULL;

	(void)state;
	assert_int_equal(pd_child_spawn(&c, &o), PD_EIO);
	assert_null(c);
	assert_non_null(strstr(pd_error_last(), "cannot run no-such-runner-xyz: No such file or directory"));
	o.argv = (char *[]){"/bin/true", NULL};
	o.cwd = "/no/such/dir";
	assert_int_equal(pd_child_spawn(&c, &o), PD_EIO);
	assert_non_null(strstr(pd_error_last(), "in /no/such/dir"));
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void stop_ends_the_whole_group_even_when_term_is_ignored(void **state)
{
	pd_child *c;
	char line[64];
	pid_t grandchild, leader;
	struct timespec t0;
	int ws, fd;
	ssize_t n = 0;

	(void)state;
	/* a leader that ignores TERM, with a grandchild that ignores it too */
	c = spawn_sh("trap '' TERM; sh -c 'trap \"\" TERM; sleep 100' & echo $!; sleep 100; wait", NULL,
		     NULL);
	fd = pd_child_output_fd(c);
	{
		struct pollfd p = {fd, POLLIN, 0};

		assert_int_equal(poll(&p, 1, 5000), 1);
		n = read(fd, line, sizeof(line) - 1);
	}
	assert_true(n > 0);
	line[n] = '\0';
	grandchild = (pid_t)atol(line);
	leader = pd_child_pid(c);
	assert_true(grandchild > 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ws = pd_child_stop(c, 300);
	assert_true(ms_since(&t0) >= 280);  /* it waited the grace period */
	assert_true(ms_since(&t0) < 3000);  /* and then did not wait for more */
	assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	assert_int_equal(kill(grandchild, 0), -1); /* gone, and reaped */
	assert_int_equal(killpg(leader, 0), -1);
	pd_child_free(c);
}

static void a_child_that_exits_on_term_is_not_killed(void **state)
{
	pd_child *c = spawn_sh("sleep 100", NULL, NULL);
	struct timespec t0;
	int ws;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ws = pd_child_stop(c, 5000);
	assert_true(ms_since(&t0) < 2000);
	assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGTERM);
	pd_child_free(c);
}

static void orphans_are_reaped_by_the_subreaper(void **state)
{
	pd_child *c;
	char *out;
	pid_t orphan;
	int i;

	(void)state;
	assert_int_equal(pd_become_subreaper(), 0);
	/* the grandchild leaves the group and outlives its parent */
	c = spawn_sh("setsid sh -c 'sleep 0.2' >/dev/null 2>&1 & echo $!", NULL, NULL);
	out = read_all(pd_child_output_fd(c));
	orphan = (pid_t)atol(out);
	pd_child_wait(c, true, NULL);
	pd_child_free(c);
	for (i = 0; i < 100; i++) { /* it dies within 0.2 s; then we reap it */
		struct timespec t = {0, 20 * 1000000L};

		pd_reap_orphans();
		if (kill(orphan, 0) != 0)
			break;
		nanosleep(&t, NULL);
	}
	assert_int_equal(kill(orphan, 0), -1); /* not even a zombie */
	free(out);
}

static void wait_status_text_says_what_happened(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(pd_wait_status_text(3 << 8, b), "exit status 3");
	assert_string_equal(pd_wait_status_text(SIGTERM, b), "killed by SIGTERM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(templates_split_on_unquoted_blanks),
		cmocka_unit_test(placeholders_never_split_or_run),
		cmocka_unit_test(resume_word_is_dropped_when_empty),
		cmocka_unit_test(presets_expand_to_the_documented_argv),
		cmocka_unit_test(a_missing_program_is_named_with_its_install),
		cmocka_unit_test(bad_templates_are_refused),
		cmocka_unit_test_setup_teardown(child_gets_cwd_env_devnull_and_nothing_else, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(hostile_arguments_arrive_byte_for_byte, t_setup, t_teardown),
		cmocka_unit_test(nothing_of_ours_leaks_into_the_child),
		cmocka_unit_test(the_guard_stops_a_dead_parents_groups),
		cmocka_unit_test(a_command_that_cannot_run_is_an_error),
		cmocka_unit_test(stop_ends_the_whole_group_even_when_term_is_ignored),
		cmocka_unit_test(a_child_that_exits_on_term_is_not_killed),
		cmocka_unit_test(orphans_are_reaped_by_the_subreaper),
		cmocka_unit_test(wait_status_text_says_what_happened),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
