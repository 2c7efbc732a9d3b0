/* test_snapshot.c - the packet dir as a whole: frontmatter agreement,
 * derived track states, root causes, and the plan. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/lock.h"
#include "packetdeck/plan.h"
#include "packetdeck/snapshot.h"
#include "packetdeck/watch.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


#define TRACK_FMT                                                                   \
	"{\"id\":%zu,\"name\":\"t%zu\",\"packet\":\"track-%zu.md\",\"worktree\":\"/w%zu\","    \
	"\"branch\":\"b\",\"depends_on\":[]}"

/* 1 -> 3, 2 -> 3, 3 -> 4, and 5 alone */
#define GRAPH TRACK(1, "") "," TRACK(2, "") "," TRACK(3, "1, 2") "," TRACK(4, "3") "," TRACK(5, "")

typedef struct world {
	pd_pktdir *pd;
	pd_snapshot *s;
} world;

static world take(void)
{
	world w = {NULL, NULL};
	pd_diags d = PD_DIAGS_INIT;

	if (pd_pktdir_load(&w.pd, dir, &d) != 0) {
		t_has_diag(&d, NULL, "(load failed)");
		fail();
	}
	pd_diags_free(&d);
	assert_int_equal(pd_snapshot_take(&w.s, w.pd), 0);
	return w;
}

static void drop(world *w)
{
	pd_snapshot_free(w->s);
	pd_pktdir_free(w->pd);
}

static const pd_track_status *st(const world *w, long id)
{
	return &w->s->tracks[pd_dag_find(w->pd->dag, id)];
}

static void complete(long id)
{
	char name[64];

	snprintf(name, sizeof(name), "track-%ld.completion.json", id);
	t_write(dir, name, "{\"format_version\":\"1.0.0\",\"status\":\"complete\",\"commit\":\"c0ffee\","
			   "\"timestamp\":\"2026-01-05T13:00:00Z\"}");
}

static void touch_at(const char *name, time_t t)
{
	char *p = t_path(dir, name);
	struct timespec ts[2] = {{t, 0}, {t, 0}};

	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	free(p);
}

static void frontmatter_disagreement_names_both_values(void **state)
{
	pd_pktdir *pd = NULL;
	pd_diags d = PD_DIAGS_INIT;

	(void)state;
	t_packet_dir(dir, TRACK(1, "") "," TRACK(2, ""), 2);
	t_write(dir, "track-1.md", "---\ntrack: 7\nbranch: other\nworktree: /elsewhere\nfeature: g\n---\n"
				   "### Task 1.1: x\n");
	assert_int_equal(pd_pktdir_load(&pd, dir, &d), PD_EINVALID);
	assert_null(pd);
	assert_true(t_has_diag(&d, "track-1.md:2", "frontmatter track 7 disagrees with the manifest's id 1"));
	assert_true(t_has_diag(&d, "track-1.md:3",
			       "frontmatter branch \"other\" disagrees with the manifest's \"b1\""));
	assert_true(t_has_diag(&d, "track-1.md:4",
			       "frontmatter worktree \"/elsewhere\" disagrees with the manifest's \"/tmp/wt1\""));
	assert_true(t_has_diag(&d, "track-1.md:5",
			       "frontmatter feature \"g\" disagrees with the manifest's \"f\""));
	assert_int_equal(d.count, 4);
	pd_diags_free(&d);
}

static void agreeing_frontmatter_is_fine(void **state)
{
	world w;

	(void)state;
	t_packet_dir(dir, TRACK(1, ""), 1);
	t_write(dir, "track-1.md", "---\ntrack: 1\nbranch: b1\nworktree: /tmp/./wt1\nfeature: f\n---\n"
				   "### Task 1.1: x\n");
	w = take();
	assert_int_equal(pd_pktdir_task_count(w.pd), 1);
	drop(&w);
}

static void packets_are_kept_as_summaries_and_read_again_whole(void **state)
{
	world w;
	pd_packet *p = NULL;
	pd_diags d = PD_DIAGS_INIT;

	(void)state;
	t_packet_dir(dir, TRACK(1, "") "," TRACK(2, ""), 2);
	t_write(dir, "track-2.md", "### Task 2.1: first\nRun: true\n### Task 2.7: second\nRun: true\n");
	w = take();
	assert_null(w.pd->packets[0]);
	assert_null(w.pd->packets[1]);
	assert_int_equal(pd_pktdir_ntasks(w.pd, 1), 2);
	assert_string_equal(pd_pktdir_task_id(w.pd, 1, 0), "2.1");
	assert_string_equal(pd_pktdir_task_id(w.pd, 1, 1), "2.7");
	assert_null(pd_pktdir_task_id(w.pd, 1, 2));
	assert_int_equal(pd_pktdir_task_index(w.pd, 1, "2.7"), 1);
	assert_int_equal(pd_pktdir_task_index(w.pd, 1, "2.2"), -1);
	assert_int_equal(pd_pktdir_ntasks(w.pd, 0), 2);
	assert_int_equal(pd_pktdir_task_count(w.pd), 4);
	/* read again whole: titles and commands */
	assert_int_equal(pd_pktdir_packet(w.pd, 1, &p, &d), 0);
	assert_int_equal(p->ntasks, 2);
	assert_string_equal(p->tasks[1].title, "second");
	assert_int_equal(p->tasks[1].ncommands, 1);
	pd_packet_free(p);
	/* and checked again: a packet that went bad, or disagrees, is refused */
	t_write(dir, "track-2.md", "### Task 2.1: a\n### Task 2.1: b\n");
	assert_int_equal(pd_pktdir_packet(w.pd, 1, &p, &d), PD_EINVALID);
	assert_null(p);
	assert_true(t_has_diag(&d, "track-2.md:2", "duplicate task id \"2.1\""));
	pd_diags_free(&d);
	t_write(dir, "track-2.md", "---\ntrack: 9\n---\n### Task 2.1: a\n");
	assert_int_equal(pd_pktdir_packet(w.pd, 1, &p, &d), PD_EINVALID);
	assert_null(p);
	assert_true(t_has_diag(&d, "track-2.md:2", "frontmatter track 9 disagrees with the manifest's id 2"));
	pd_diags_free(&d);
	drop(&w);
}

static void tracks_without_files_share_one_record(void **state)
{
	world w;
	bool changed;
	size_t a = 0;

	(void)state;
	t_packet_dir(dir, TRACK(1, "") "," TRACK(2, "") "," TRACK(3, ""), 3);
	w = take();
	assert_ptr_equal(w.s->tracks[0].files, w.s->tracks[1].files);
	assert_int_equal(w.s->tracks[0].files->marker.state, PD_FILE_ABSENT);
	t_write(dir, "track-1.checkpoint.json",
		"{\"format_version\":\"1.0.0\",\"track\":1,\"last_completed_task\":\"1.1\","
		"\"next_task\":null,\"commit\":\"abc\",\"timestamp\":\"2026-01-05T13:00:00Z\"}");
	assert_int_equal(pd_snapshot_reread(w.s, w.pd, &a, 1, &changed), 0);
	assert_true(changed);
	assert_ptr_not_equal(w.s->tracks[0].files, w.s->tracks[1].files);
	assert_int_equal(w.s->tracks[0].files->checkpoint.state, PD_FILE_OK);
	assert_string_equal(w.s->tracks[0].files->checkpoint.commit, "abc");
	assert_int_equal(w.s->tracks[0].state, PD_STATE_INTERRUPTED);
	assert_int_equal(w.s->tracks[1].files->checkpoint.state, PD_FILE_ABSENT);
	/* the file goes: back to the shared record (its own is freed: ASan) */
	{
		char *cp = t_path(dir, "track-1.checkpoint.json");

		assert_int_equal(unlink(cp), 0);
		free(cp);
	}
	assert_int_equal(pd_snapshot_reread(w.s, w.pd, NULL, 0, &changed), 0);
	assert_true(changed);
	assert_ptr_equal(w.s->tracks[0].files, w.s->tracks[2].files);
	assert_int_equal(w.s->tracks[0].state, PD_STATE_READY);
	drop(&w);
}

static void problems_in_every_file_are_reported_together(void **state)
{
	pd_pktdir *pd = NULL;
	pd_diags d = PD_DIAGS_INIT;

	(void)state;
	t_packet_dir(dir, TRACK(1, "") "," TRACK(2, "1, 9") "," TRACK(3, ""), 3);
	t_write(dir, "track-1.md", "no tasks here\n");
	t_write(dir, "track-3.md", "### Task 3.1: a\n### Task 3.1: b\n");
	assert_int_equal(pd_pktdir_load(&pd, dir, &d), PD_EINVALID);
	assert_true(t_has_diag(&d, "tracks[1].depends_on[1]", "track 2 depends on unknown track 9"));
	assert_true(t_has_diag(&d, "track-1.md", "no tasks found"));
	assert_true(t_has_diag(&d, "track-3.md:2", "duplicate task id \"3.1\""));
	assert_int_equal(d.count, 3);
	pd_diags_free(&d);
}

static void fresh_dir_is_ready_and_blocked(void **state)
{
	world w;

	(void)state;
	t_packet_dir(dir, GRAPH, 5);
	w = take();
	assert_int_equal(st(&w, 1)->state, PD_STATE_READY);
	assert_int_equal(st(&w, 2)->state, PD_STATE_READY);
	assert_int_equal(st(&w, 3)->state, PD_STATE_BLOCKED);
	assert_int_equal(st(&w, 3)->root, 0);             /* track 1 */
	assert_int_equal(st(&w, 4)->root, 0);             /* the root, not the nearest (3) */
	assert_int_equal(w.s->next, 0);
	assert_int_equal(w.s->completed, 0);
	drop(&w);
}

static void markers_complete_tracks_and_unblock(void **state)
{
	world w;

	(void)state;
	t_packet_dir(dir, GRAPH, 5);
	complete(1);
	complete(2);
	w = take();
	assert_int_equal(st(&w, 1)->state, PD_STATE_COMPLETE);
	assert_int_equal(st(&w, 1)->tasks_done, 2);
	assert_int_equal(st(&w, 3)->state, PD_STATE_READY);
	assert_int_equal(st(&w, 4)->state, PD_STATE_BLOCKED);
	assert_int_equal(st(&w, 4)->root, 2);  /* track 3 */
	assert_int_equal(w.s->next, 2);
	assert_int_equal(w.s->completed, 2);
	drop(&w);
}

static void corrupt_marker_never_counts(void **state)
{
	world w;

	(void)state;
	t_packet_dir(dir, GRAPH, 5);
	t_write(dir, "track-1.completion.json", "{\"status\":\"done\"}");
	w = take();
	assert_int_equal(st(&w, 1)->files->marker.state, PD_FILE_CORRUPT);
	assert_int_not_equal(st(&w, 1)->state, PD_STATE_COMPLETE);
	assert_int_equal(w.s->completed, 0);
	drop(&w);
}

static void failure_newer_than_checkpoint_is_failed(void **state)
{
	world w;
	time_t now = time(NULL);

	(void)state;
	t_packet_dir(dir, GRAPH, 5);
	complete(1);
	complete(2);
	t_write(dir, "track-3.checkpoint.json",
		"{\"track\":3,\"last_completed_task\":\"3.1\",\"commit\":\"c\",\"next_task\":\"3.2\"}");
	t_write(dir, ".packetdeck/track-3.failure.json",
		"{\"track\":3,\"task\":\"3.2\",\"message\":\"exit status 2\",\"exit_status\":2}");
	touch_at("track-3.checkpoint.json", now - 10);
	touch_at(".packetdeck/track-3.failure.json", now - 5);
	w = take();
	assert_int_equal(st(&w, 3)->state, PD_STATE_FAILED);
	assert_int_equal(st(&w, 3)->tasks_done, 1);
	assert_int_equal(st(&w, 4)->state, PD_STATE_BLOCKED);
	assert_int_equal(st(&w, 4)->root, 2);
	drop(&w);
	/* a checkpoint written after the failure: interrupted, not failed */
	touch_at("track-3.checkpoint.json", now);
	w = take();
	assert_int_equal(st(&w, 3)->state, PD_STATE_INTERRUPTED);
	assert_int_equal(w.s->next, 2);
	drop(&w);
}

static void checkpoint_naming_an_unknown_task_is_corrupt(void **state)
{
	world w;

	(void)state;
	t_packet_dir(dir, GRAPH, 5);
	t_write(dir, "track-1.checkpoint.json",
		"{\"track\":1,\"last_completed_task\":\"1.1\",\"next_task\":\"9.9\"}");
	w = take();
	assert_int_equal(st(&w, 1)->files->checkpoint.state, PD_FILE_CORRUPT);
	assert_non_null(strstr(st(&w, 1)->files->checkpoint.problem, "next_task \"9.9\" is not a task"));
	assert_int_equal(st(&w, 1)->state, PD_STATE_INTERRUPTED);
	drop(&w);
}

/* A child holding an flock on DIR/NAME with JSON content; returns its pid.
 * It exits when *go is written to. */
static pid_t hold_lock(const char *name, int go[2])
{
	int ready[2];
	char c, *lock = t_path(dir, name);
	pid_t pid;

	t_write(dir, name, "");
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	if (pid == 0) {
		int fd = open(lock, O_RDWR);
		char text[96];
		int n = snprintf(text, sizeof(text), "{\"pid\":%d,\"host\":\"h\",\"since\":\"t0\"}", getpid());

		if (fd < 0 || flock(fd, LOCK_EX) != 0 || write(fd, text, (size_t)n) != n ||
		    write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	close(ready[1]);
	free(lock);
	return pid;
}

static void release(pid_t pid, int go[2])
{
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	close(go[0]);
	close(go[1]);
}

static void held_track_lock_is_running(void **state)
{
	int go[2];
	pid_t pid;
	world w;

	(void)state;
	t_packet_dir(dir, GRAPH, 5);
	pid = hold_lock(".packetdeck/track-1.lock", go);
	w = take();
	assert_int_equal(st(&w, 1)->state, PD_STATE_RUNNING);
	assert_int_equal(st(&w, 1)->files->lock.pid, pid);
	assert_int_equal(st(&w, 3)->root, 0);
	assert_int_equal(w.s->next, 1); /* track 2: the first actionable one */
	assert_false(w.s->run.held);
	{
		pd_plan *p = NULL;

		assert_int_equal(pd_plan_make(&p, w.pd, w.s, false), 0);
		assert_int_equal(p->steps[0].action, PD_ACTION_WAIT);
		assert_non_null(strstr(p->steps[0].reason, "running elsewhere"));
		assert_int_equal(p->steps[2].action, PD_ACTION_WAIT); /* track 3 needs 1 */
		assert_non_null(strstr(p->steps[2].reason, "needs track 1, running elsewhere"));
		pd_plan_free(p);
	}
	drop(&w);
	release(pid, go);
}

/* A run names the track it executes in run.lock (no track lock file):
 * that track is running, and a re-read of no track at all sees the name
 * move from one track to the next. */
static void a_track_named_in_the_run_lock_is_running(void **state)
{
	pd_lock *run = NULL;
	size_t none = 0;
	bool changed;
	world w;

	(void)state;
	t_packet_dir(dir, GRAPH, 5);
	assert_int_equal(pd_run_lock_take(&run, dir, "r1", NULL, NULL), 0);
	assert_int_equal(pd_track_claim(run, dir, 1), 0);
	w = take();
	assert_int_equal(st(&w, 1)->state, PD_STATE_RUNNING);
	assert_int_equal(st(&w, 1)->files->lock.pid, getpid());
	assert_string_equal(st(&w, 1)->files->lock.run_id, "r1");
	assert_int_equal(st(&w, 2)->state, PD_STATE_READY);
	pd_track_unclaim(run);
	assert_int_equal(pd_track_claim(run, dir, 2), 0);
	assert_int_equal(pd_snapshot_reread(w.s, w.pd, &none, 0, &changed), 0);
	assert_true(changed);
	assert_int_equal(st(&w, 1)->state, PD_STATE_READY);
	assert_int_equal(st(&w, 2)->state, PD_STATE_RUNNING);
	pd_track_unclaim(run);
	assert_int_equal(pd_snapshot_reread(w.s, w.pd, &none, 0, &changed), 0);
	assert_true(changed);
	assert_int_equal(st(&w, 2)->state, PD_STATE_READY);
	drop(&w);
	/* the name counts only while the run lock is held */
	assert_int_equal(pd_track_claim(run, dir, 1), 0);
	pd_lock_release(run);
	w = take();
	assert_int_equal(st(&w, 1)->state, PD_STATE_READY);
	drop(&w);
}

static void held_run_lock_is_reported(void **state)
{
	int go[2];
	pid_t pid;
	world w;

	(void)state;
	t_packet_dir(dir, GRAPH, 5);
	pid = hold_lock(".packetdeck/run.lock", go);
	w = take();
	assert_true(w.s->run.held);
	assert_int_equal(w.s->run.pid, pid);
	assert_string_equal(w.s->run.since, "t0");
	drop(&w);
	release(pid, go);
	w = take();
	assert_false(w.s->run.held);
	drop(&w);
}

static pd_plan *plan_of(world *w, bool resume)
{
	pd_plan *p = NULL;

	assert_int_equal(pd_plan_make(&p, w->pd, w->s, resume), 0);
	return p;
}

static void plan_skips_runs_and_resumes(void **state)
{
	world w;
	pd_plan *p;

	(void)state;
	t_packet_dir(dir, GRAPH, 5);
	complete(1);
	t_write(dir, "track-2.checkpoint.json",
		"{\"track\":2,\"last_completed_task\":\"2.1\",\"commit\":\"c\",\"next_task\":\"2.2\"}");
	w = take();
	p = plan_of(&w, false);
	assert_int_equal(p->nsteps, 5);
	assert_int_equal(p->steps[0].action, PD_ACTION_SKIP);
	assert_non_null(strstr(p->steps[0].reason, "complete (commit c0ffee"));
	assert_int_equal(p->steps[1].action, PD_ACTION_RUN);
	assert_string_equal(p->steps[1].from_task, "2.1");
	assert_non_null(strstr(p->steps[1].reason, "interrupted after task 2.1; runs again from task 2.1"));
	assert_int_equal(p->steps[2].action, PD_ACTION_RUN);
	assert_string_equal(p->steps[2].reason, "2 tasks, after track 2");
	assert_string_equal(p->steps[3].reason, "2 tasks, after track 3");
	pd_plan_free(p);
	p = plan_of(&w, true);
	assert_int_equal(p->steps[1].action, PD_ACTION_RESUME);
	assert_string_equal(p->steps[1].from_task, "2.2");
	assert_non_null(strstr(p->steps[1].reason, "resumes at task 2.2 (1 of 2 done)"));
	pd_plan_free(p);
	drop(&w);
}

static void plan_halts_on_corrupt_marker_and_checkpoint(void **state)
{
	world w;
	pd_plan *p;

	(void)state;
	t_packet_dir(dir, GRAPH, 5);
	t_write(dir, "track-1.completion.json", "garbage");
	t_write(dir, "track-2.checkpoint.json", "{\"track\":2}");
	w = take();
	p = plan_of(&w, true);
	assert_int_equal(p->steps[0].action, PD_ACTION_HALT);
	assert_non_null(strstr(p->steps[0].reason, "completion marker is corrupt"));
	assert_int_equal(p->steps[1].action, PD_ACTION_HALT);
	assert_non_null(strstr(p->steps[1].reason, "--resume halts rather than restart"));
	pd_plan_free(p);
	p = plan_of(&w, false);
	assert_int_equal(p->steps[1].action, PD_ACTION_RUN); /* without --resume: from task 1 */
	pd_plan_free(p);
	drop(&w);
}

static void plan_of_all_tasks_checkpointed_writes_the_marker(void **state)
{
	world w;
	pd_plan *p;

	(void)state;
	t_packet_dir(dir, GRAPH, 5);
	t_write(dir, "track-1.checkpoint.json",
		"{\"track\":1,\"last_completed_task\":\"1.2\",\"next_task\":null}");
	w = take();
	p = plan_of(&w, true);
	assert_int_equal(p->steps[0].action, PD_ACTION_RESUME);
	assert_null(p->steps[0].from_task);
	assert_non_null(strstr(p->steps[0].reason, "all 2 tasks checkpointed"));
	pd_plan_free(p);
	drop(&w);
}

/* A dir of n tracks (a chain), with problems planted in a few packets. */
static void big_dir_with_problems(size_t n)
{
	size_t cap = n * 160 + 256, len = 0, i;
	char *tracks = malloc(cap), name[64], body[256];

	for (i = 1; i <= n; i++) {
		len += (size_t)snprintf(tracks + len, cap - len, "%s" TRACK_FMT, i > 1 ? "," : "", i, i, i, i);
		if (i > 1)
			len += (size_t)snprintf(tracks + len - 2, cap - len + 2, "%zu]}", i - 1) - 2;
	}
	t_packet_dir(dir, tracks, 0);
	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "track-%zu.md", i);
		if (i == 7)
			snprintf(body, sizeof(body), "no tasks here\n");
		else if (i == 150)
			snprintf(body, sizeof(body), "### Task a: x\n### Task a: y\n");
		else if (i == 151)
			snprintf(body, sizeof(body), "---\ntrack: 9999\n---\n### Task a: x\n");
		else if (i == n)
			snprintf(body, sizeof(body), "### Task a: x\nRun:\n");
		else
			snprintf(body, sizeof(body), "### Task %zu.1: x\nRun: true\n", i);
		t_write(dir, name, body);
	}
	free(tracks);
}

/* The diagnostics as one string, in order. */
static char *load_diags(const char *threads)
{
	pd_pktdir *pd = NULL;
	pd_diags d = PD_DIAGS_INIT;
	size_t i, len = 0, cap = 1;
	char *all;

	setenv("PACKETDECK_LOAD_THREADS", threads, 1);
	assert_int_equal(pd_pktdir_load(&pd, dir, &d), PD_EINVALID);
	unsetenv("PACKETDECK_LOAD_THREADS");
	for (i = 0; i < d.count; i++)
		cap += strlen(d.items[i].where) + strlen(d.items[i].message) + 3;
	all = malloc(cap);
	all[0] = '\0';
	for (i = 0; i < d.count; i++)
		len += (size_t)sprintf(all + len, "%s: %s\n", d.items[i].where, d.items[i].message);
	assert_int_equal(d.count, 4);
	pd_diags_free(&d);
	return all;
}

static void parallel_load_reports_as_serial_load_does(void **state)
{
	char *one, *four;

	(void)state;
	big_dir_with_problems(300);
	one = load_diags("1");
	four = load_diags("4");
	assert_string_equal(one, four);
	/* in track order */
	assert_true(strstr(one, "track-7.md") < strstr(one, "track-150.md:2"));
	assert_true(strstr(one, "track-150.md:2") < strstr(one, "track-151.md:2"));
	assert_true(strstr(one, "track-151.md:2") < strstr(one, "track-300.md:2"));
	free(one);
	free(four);
}

static void parallel_load_reads_every_packet(void **state)
{
	pd_pktdir *pd = NULL;
	pd_diags d = PD_DIAGS_INIT;
	size_t i;

	(void)state;
	big_dir_with_problems(300);
	t_write(dir, "track-7.md", "### Task 7.1: x\n");
	t_write(dir, "track-150.md", "### Task 150.1: x\n");
	t_write(dir, "track-151.md", "### Task 151.1: x\n");
	t_write(dir, "track-300.md", "### Task 300.1: x\n");
	setenv("PACKETDECK_LOAD_THREADS", "3", 1);
	assert_int_equal(pd_pktdir_load(&pd, dir, &d), 0);
	unsetenv("PACKETDECK_LOAD_THREADS");
	assert_int_equal(pd->narenas, 3);
	for (i = 0; i < 300; i++) {
		char id[32];

		snprintf(id, sizeof(id), "%zu.1", i + 1);
		assert_int_equal(pd_pktdir_ntasks(pd, i), 1);
		assert_string_equal(pd_pktdir_task_id(pd, i, 0), id);
	}
	pd_pktdir_free(pd);
	pd_diags_free(&d);
}

static size_t ix(const world *w, long id)
{
	return (size_t)pd_dag_find(w->pd->dag, id);
}

static void reread_in_place_settles_the_graph_and_says_what_changed(void **state)
{
	world w;
	size_t one, two;
	bool changed = true;

	(void)state;
	t_packet_dir(dir, GRAPH, 5);
	w = take();
	one = ix(&w, 1);
	two = ix(&w, 2);
	/* nothing changed: nothing to redraw */
	assert_int_equal(pd_snapshot_reread(w.s, w.pd, NULL, 0, &changed), 0);
	assert_false(changed);
	assert_int_equal(st(&w, 3)->state, PD_STATE_BLOCKED);
	/* markers for 1 and 2, but only 1 re-read: 3 stays blocked, on 2 */
	complete(1);
	complete(2);
	assert_int_equal(pd_snapshot_reread(w.s, w.pd, &one, 1, &changed), 0);
	assert_true(changed);
	assert_int_equal(st(&w, 1)->state, PD_STATE_COMPLETE);
	assert_int_equal(st(&w, 2)->state, PD_STATE_READY);
	assert_int_equal(st(&w, 3)->state, PD_STATE_BLOCKED);
	assert_int_equal(st(&w, 3)->root, two);
	assert_int_equal(w.s->completed, 1);
	/* then 2: the graph settles again, 3 becomes ready, 4 blocked on 3 */
	assert_int_equal(pd_snapshot_reread(w.s, w.pd, &two, 1, &changed), 0);
	assert_true(changed);
	assert_int_equal(st(&w, 3)->state, PD_STATE_READY);
	assert_int_equal(st(&w, 4)->root, ix(&w, 3));
	assert_int_equal(w.s->completed, 2);
	assert_int_equal(w.s->next, ix(&w, 3));
	/* the same again: no change */
	assert_int_equal(pd_snapshot_reread(w.s, w.pd, &two, 1, &changed), 0);
	assert_false(changed);
	/* a checkpoint of 3 changes 3 only; a re-read of all finds it too */
	t_write(dir, "track-3.checkpoint.json",
		"{\"track\":3,\"last_completed_task\":\"3.1\",\"commit\":\"c\",\"next_task\":\"3.2\"}");
	assert_int_equal(pd_snapshot_reread(w.s, w.pd, NULL, 0, &changed), 0);
	assert_true(changed);
	assert_int_equal(st(&w, 3)->state, PD_STATE_INTERRUPTED);
	assert_int_equal(st(&w, 3)->tasks_done, 1);
	/* the run lock is read on every re-read, even of no track */
	{
		char *p = t_path(dir, ".packetdeck/run.lock");
		int fd;

		t_write(dir, ".packetdeck/run.lock", "");
		fd = open(p, O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0 && flock(fd, LOCK_EX) == 0); /* held: another open file */
		assert_int_equal(pd_snapshot_reread(w.s, w.pd, &one, 0, &changed), 0);
		assert_true(changed);
		assert_true(w.s->run.held);
		assert_false(st(&w, 1)->files->lock.held);
		close(fd);
		free(p);
	}
	drop(&w);
}

static void state_file_names_map_to_tracks(void **state)
{
	(void)state;
	assert_int_equal(pd_state_file_track("track-12.completion.json"), 12);
	assert_int_equal(pd_state_file_track("track-3.checkpoint.json.tmp.Xa1"), 3);
	assert_int_equal(pd_state_file_track(".packetdeck/track-7.lock"), 7);
	assert_int_equal(pd_state_file_track(".packetdeck/track-7.failure.json"), 7);
	assert_int_equal(pd_state_file_track(".track-4-complete.json"), 4);
	assert_int_equal(pd_state_file_track("track-x.md"), -1);
	assert_int_equal(pd_state_file_track("track-1.md"), -1); /* a packet, not state */
	assert_int_equal(pd_state_file_track("track-5"), -1);
	assert_int_equal(pd_state_file_track("manifest.json"), -1);
	assert_int_equal(pd_state_file_track(".packetdeck/run.lock"), -1);
	assert_int_equal(pd_state_file_track("track-99999999999999999999999.lock"), -1);
}

/* Every pending name, joined with spaces; "*" for a lost-events entry. */
static void pending(pd_watch *wt, char *out, size_t cap)
{
	const char *name;
	size_t n = 0;

	out[0] = '\0';
	while (pd_watch_next(wt, &name) > 0 && n + 2 < cap)
		n += (size_t)snprintf(out + n, cap - n, "%s ", name ? name : "*");
}

static void watch_names_files_in_the_dir_and_its_state_dir(void **state)
{
	pd_watch *wt = NULL;
	char got[4096];

	(void)state;
	assert_int_equal(pd_watch_open(&wt, dir), 0);
	assert_true(pd_watch_fd(wt) >= 0);
	pending(wt, got, sizeof(got));
	assert_string_equal(got, "");
	t_write(dir, "track-2.checkpoint.json", "{}");
	pending(wt, got, sizeof(got));
	assert_non_null(strstr(got, "track-2.checkpoint.json "));
	/* the state dir appears: that is news in itself (what it holds was not
	 * seen), and from then on its files are named too */
	{
		char *sd = t_path(dir, ".packetdeck");

		assert_int_equal(mkdir(sd, 0755), 0);
		free(sd);
	}
	pending(wt, got, sizeof(got));
	assert_non_null(strstr(got, "* "));
	t_write(dir, ".packetdeck/track-3.lock", "x");
	pending(wt, got, sizeof(got));
	assert_non_null(strstr(got, ".packetdeck/track-3.lock "));
	assert_false(pd_watch_drain(wt));
	t_write(dir, "track-1.completion.json", "{}");
	assert_true(pd_watch_drain(wt));
	pd_watch_free(wt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, t_setup, t_teardown)
		T(frontmatter_disagreement_names_both_values),
		T(agreeing_frontmatter_is_fine),
		T(packets_are_kept_as_summaries_and_read_again_whole),
		T(tracks_without_files_share_one_record),
		T(problems_in_every_file_are_reported_together),
		T(fresh_dir_is_ready_and_blocked),
		T(markers_complete_tracks_and_unblock),
		T(corrupt_marker_never_counts),
		T(failure_newer_than_checkpoint_is_failed),
		T(checkpoint_naming_an_unknown_task_is_corrupt),
		T(held_track_lock_is_running),
		T(a_track_named_in_the_run_lock_is_running),
		T(held_run_lock_is_reported),
		T(plan_skips_runs_and_resumes),
		T(plan_halts_on_corrupt_marker_and_checkpoint),
		T(plan_of_all_tasks_checkpointed_writes_the_marker),
		T(parallel_load_reports_as_serial_load_does),
		T(parallel_load_reads_every_packet),
		T(reread_in_place_settles_the_graph_and_says_what_changed),
		T(state_file_names_map_to_tracks),
		T(watch_names_files_in_the_dir_and_its_state_dir),
#undef T
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	pd_git_shutdown();
	return failed;
}
