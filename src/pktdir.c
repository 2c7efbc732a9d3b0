/* pktdir.c - load a packet dir and run every check (pktdir.h).
 *
 * Packets of a large dir are read on a few threads (joined before
 * pd_pktdir_load returns): reading and parsing thousands of files is the
 * only part of a load that is worth spreading over cores. Nothing else in
 * the core uses threads. Each packet is parsed into its worker's scratch
 * arena, checked, reduced to its summary, and the scratch reused.
 */
#define _GNU_SOURCE /* realpath(path, NULL) */
#include "packetdeck/pktdir.h"
#include "packetdeck/verify.h"
#include "packetdeck/state.h"
#include "packetdeck/pathutil.h"
#include "arena.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void where_line(char *buf, size_t cap, const pd_packet *p, unsigned line)
{
	snprintf(buf, cap, "%s:%u", p->path, line);
}

/* The frontmatter's worktree, made comparable with the manifest's. */
static bool same_worktree(const pd_track *t, const char *fm_value)
{
	char *a, *b;
	bool same;

	if (fm_value[0] == '/' && t->worktree_path) {
		a = pd_path_clean(fm_value, NULL);
		same = a && strcmp(a, t->worktree_path) == 0;
		free(a);
		return same;
	}
	a = pd_path_clean(fm_value, NULL);
	b = pd_path_clean(t->worktree, NULL);
	same = a && b && strcmp(a, b) == 0;
	free(a);
	free(b);
	return same;
}

static void check_agreement(const pd_manifest *m, const pd_track *t, const pd_packet *p,
			    pd_diags *d)
{
	const pd_frontmatter *fm = &p->fm;
	char where[1200];

	if (!fm->present)
		return;
	if (fm->track >= 0 && t->id >= 0 && fm->track != t->id) {
		where_line(where, sizeof(where), p, fm->line_track);
		pd_diags_add(d, where, "frontmatter track %ld disagrees with the manifest's id %ld (tracks[%zu])",
			     fm->track, t->id, t->index);
	}
	if (fm->branch && t->branch && strcmp(fm->branch, t->branch) != 0) {
		where_line(where, sizeof(where), p, fm->line_branch);
		pd_diags_add(d, where, "frontmatter branch \"%s\" disagrees with the manifest's \"%s\" (tracks[%zu])",
			     fm->branch, t->branch, t->index);
	}
	if (fm->worktree && t->worktree && !same_worktree(t, fm->worktree)) {
		where_line(where, sizeof(where), p, fm->line_worktree);
		pd_diags_add(d, where, "frontmatter worktree \"%s\" disagrees with the manifest's \"%s\" (tracks[%zu])",
			     fm->worktree, t->worktree, t->index);
	}
	if (fm->feature && m->feature && strcmp(fm->feature, m->feature) != 0) {
		where_line(where, sizeof(where), p, fm->line_feature);
		pd_diags_add(d, where, "frontmatter feature \"%s\" disagrees with the manifest's \"%s\"",
			     fm->feature, m->feature);
	}
}

/* The packet's path as the user would write it: DIR/PACKET. */
static char *display_path(const pd_manifest *m, const pd_track *t)
{
	char *clean = pd_path_clean(t->packet, NULL), *joined;

	if (!clean)
		return NULL;
	joined = pd_path_join(m->dir, clean);
	free(clean);
	return joined;
}

/* Below this many tracks, loading on one thread is as fast as it gets. */
#define PARALLEL_MIN_TRACKS 256
#define MAX_WORKERS 8

/* One worker's share: tracks k, k + n, k + 2n, ... into its own arena,
 * each track's problems into per_track[i], merged in order afterwards. */
typedef struct worker {
	pd_pktdir *pd;
	long only;        /* >= 0: load this track's packet only, and keep it whole */
	pd_diags *per_track;
	pd_arena *arena;  /* what is kept: summaries (and the whole packet of `only`) */
	pd_arena *scratch; /* one packet at a time, for its summary */
	int dir_fd;
	size_t first, step;
	int error;
	pthread_t thread;
} worker;

/* Read and check track t's packet into `arena` (NULL: its own). *out is
 * NULL when it could not be read; the problems are in `d`. */
static int read_packet(const pd_manifest *m, const pd_track *t, int dir_fd, pd_arena *arena,
		       pd_packet **out, pd_diags *d)
{
	const char *rel;
	char *display;
	int error;

	*out = NULL;
	if (!t->packet_path)
		return PD_EINVALID; /* reported by the manifest loader */
	if (!(display = display_path(m, t)))
		return pd_error_set(PD_ENOMEM, "out of memory");
	/* packet_path is inside dir_real (the manifest checked): read it
	 * relative to the dir, one lookup step instead of a whole walk */
	rel = dir_fd >= 0 ? pd_path_below(t->packet_path, m->dir_real) : NULL;
	if (!rel) {
		rel = t->packet_path;
		dir_fd = AT_FDCWD;
	}
	error = arena ? pd_packet_load_in(out, arena, dir_fd, rel, display, d)
		      : pd_packet_load_at(out, dir_fd, rel, display, d);
	free(display);
	if (*out) {
		size_t before = pd_diags_total(d);

		check_agreement(m, t, *out, d);
		if (error == 0 && pd_diags_total(d) > before)
			error = PD_EINVALID;
	}
	return error;
}

/* The task ids of p, one after another, in `arena`. */
static int summarize(pd_packet_summary *s, const pd_packet *p, pd_arena *arena)
{
	size_t k, len = 0;
	char *ids;

	for (k = 0; k < p->ntasks; k++)
		len += strlen(p->tasks[k].id) + 1;
	if (!(ids = pd_arena_alloc(arena, len ? len : 1)))
		return pd_error_set(PD_ENOMEM, "out of memory");
	s->ids = ids;
	s->ntasks = p->ntasks;
	s->nbare = 0;
	for (k = p->ntasks; k-- > 0;)
		if (p->tasks[k].ncommands == 0) {
			s->nbare++;
			s->first_bare = k;
			s->first_bare_line = p->tasks[k].line;
		}
	for (k = 0; k < p->ntasks; k++) {
		size_t n = strlen(p->tasks[k].id) + 1;

		memcpy(ids, p->tasks[k].id, n);
		ids += n;
	}
	return 0;
}

static void load_one(worker *w, size_t i)
{
	const pd_manifest *m = w->pd->manifest;
	bool whole = w->only >= 0;
	pd_packet *p;
	int error;

	error = read_packet(m, &m->tracks[i], w->dir_fd, whole ? w->arena : w->scratch, &p,
			    &w->per_track[i]);
	if (error != PD_ENOMEM && p)
		error = summarize(&w->pd->summaries[i], p, w->arena);
	if (error == PD_ENOMEM)
		w->error = PD_ENOMEM;
	if (whole)
		w->pd->packets[i] = p;
	else
		pd_arena_reset(w->scratch);
}

static void *work(void *arg)
{
	worker *w = arg;
	size_t i;

	for (i = w->first; i < w->pd->manifest->ntracks && w->error == 0; i += w->step)
		if (w->only < 0 || (size_t)w->only == i)
			load_one(w, i);
	return NULL;
}

/* PACKETDECK_LOAD_THREADS=N overrides the choice (tests use it to take
 * both paths on the same input). */
static size_t worker_count(size_t ntracks)
{
	const char *env = getenv("PACKETDECK_LOAD_THREADS");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (env && *env) {
		long n = strtol(env, NULL, 10);

		return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (size_t)n;
	}
	if (ntracks < PARALLEL_MIN_TRACKS || cpus < 2)
		return 1;
	return cpus > MAX_WORKERS ? MAX_WORKERS : (size_t)cpus;
}

/* Read every packet, on several threads for a large dir. The result, the
 * problems and their order are the same as one thread's. */
static int load_packets(pd_pktdir *pd, long only, pd_diags *diags)
{
	size_t n = pd->manifest->ntracks, nw = only >= 0 ? 1 : worker_count(n), k, i;
	pd_diags *per_track = calloc(n ? n : 1, sizeof(*per_track));
	worker ws[MAX_WORKERS];
	int error = 0, dir_fd;

	pd->arenas = calloc(nw, sizeof(*pd->arenas));
	if (!per_track || !pd->arenas) {
		free(per_track);
		return pd_error_set(PD_ENOMEM, "out of memory");
	}
	pd->narenas = nw;
	dir_fd = open(pd->manifest->dir_real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (k = 0; k < nw; k++) {
		ws[k] = (worker){pd, only, per_track, pd_arena_new(only >= 0 ? 4096 : 16u << 10),
				 only >= 0 ? NULL : pd_arena_new(8192), dir_fd, k, nw, 0, 0};
		pd->arenas[k] = ws[k].arena;
		if (!ws[k].arena || (only < 0 && !ws[k].scratch))
			ws[k].error = PD_ENOMEM;
	}
	/* worker 0 runs here; the others on threads (run here if one cannot start) */
	for (k = 1; k < nw; k++)
		if (ws[k].error || pthread_create(&ws[k].thread, NULL, work, &ws[k]) != 0)
			ws[k].step = 0; /* not started */
	if (!ws[0].error)
		work(&ws[0]);
	for (k = 1; k < nw; k++) {
		if (ws[k].step)
			pthread_join(ws[k].thread, NULL);
		else if (!ws[k].error)
			ws[k].step = nw, work(&ws[k]);
	}
	for (k = 0; k < nw; k++) {
		pd_arena_free(ws[k].scratch);
		if (ws[k].error)
			error = pd_error_set(PD_ENOMEM, "out of memory");
	}
	if (dir_fd >= 0)
		close(dir_fd);
	for (i = 0; i < n; i++)
		pd_diags_move(diags, &per_track[i]);
	free(per_track);
	return error;
}

/* The track whose packet is the file `packet`, or -1. */
static long track_of(const pd_manifest *m, const char *packet)
{
	char *real = realpath(packet, NULL);
	long found = -1;
	size_t i;

	for (i = 0; real && i < m->ntracks && found < 0; i++)
		if (m->tracks[i].packet_path && strcmp(m->tracks[i].packet_path, real) == 0)
			found = (long)i;
	free(real);
	return found;
}

static int load(pd_pktdir **out, const char *packet_dir, const char *packet, size_t *index,
		pd_diags *diags)
{
	size_t before = pd_diags_total(diags);
	long only = -1;
	pd_pktdir *pd;
	int error;

	*out = NULL;
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return pd_error_set(PD_ENOMEM, "out of memory");
	error = pd_manifest_load(&pd->manifest, packet_dir, diags);
	if (!pd->manifest)
		goto fail;
	if ((error = pd_dag_build(&pd->dag, pd->manifest, diags)) == PD_ENOMEM)
		goto fail;
	if (packet && (only = track_of(pd->manifest, packet)) < 0) {
		pd_diags_add(diags, packet, "not a packet named by %s", pd->manifest->path);
		error = PD_ENOTFOUND;
		goto fail;
	}
	pd->packets = calloc(pd->manifest->ntracks ? pd->manifest->ntracks : 1, sizeof(pd_packet *));
	pd->summaries = calloc(pd->manifest->ntracks ? pd->manifest->ntracks : 1,
			       sizeof(*pd->summaries));
	if (!pd->packets || !pd->summaries) {
		error = pd_error_set(PD_ENOMEM, "out of memory");
		goto fail;
	}
	if ((error = load_packets(pd, only, diags)) < 0)
		goto fail;
	pd_state_files_check(pd->manifest->dir, diags);
	if (pd_diags_total(diags) > before) {
		error = PD_EINVALID;
		goto fail;
	}
	if ((error = pd_verifier_new(&pd->verifier, pd->manifest)) < 0)
		goto fail;
	if (index)
		*index = (size_t)only;
	*out = pd;
	return 0;
fail:
	pd_pktdir_free(pd);
	return error < 0 ? error : PD_EINVALID;
}

int pd_pktdir_load(pd_pktdir **out, const char *packet_dir, pd_diags *diags)
{
	return load(out, packet_dir, NULL, NULL, diags);
}

int pd_pktdir_load_one(pd_pktdir **out, const char *packet_dir, const char *packet,
		       size_t *index, pd_diags *diags)
{
	return load(out, packet_dir, packet, index, diags);
}

void pd_pktdir_free(pd_pktdir *pd)
{
	size_t i;

	if (!pd)
		return;
	free(pd->packets);
	free(pd->summaries);
	for (i = 0; i < pd->narenas; i++)
		pd_arena_free(pd->arenas[i]); /* every packet lives in one */
	free(pd->arenas);
	pd_verifier_free(pd->verifier);
	pd_dag_free(pd->dag);
	pd_manifest_free(pd->manifest);
	free(pd);
}

int pd_pktdir_packet(const pd_pktdir *pd, size_t i, pd_packet **out, pd_diags *diags)
{
	/* one packet: by its resolved path, no directory to open first */
	int error = read_packet(pd->manifest, &pd->manifest->tracks[i], -1, NULL, out, diags);

	if (error < 0) {
		pd_packet_free(*out);
		*out = NULL;
	}
	return error;
}

size_t pd_pktdir_ntasks(const pd_pktdir *pd, size_t i)
{
	return pd->summaries[i].ntasks;
}

const char *pd_pktdir_task_id(const pd_pktdir *pd, size_t i, size_t k)
{
	const pd_packet_summary *s = &pd->summaries[i];
	const char *id = s->ids;

	if (k >= s->ntasks)
		return NULL;
	while (k--)
		id += strlen(id) + 1;
	return id;
}

long pd_pktdir_task_index(const pd_pktdir *pd, size_t i, const char *id)
{
	const pd_packet_summary *s = &pd->summaries[i];
	const char *at = s->ids;
	size_t k;

	for (k = 0; k < s->ntasks; k++, at += strlen(at) + 1)
		if (strcmp(at, id) == 0)
			return (long)k;
	return -1;
}

size_t pd_pktdir_task_count(const pd_pktdir *pd)
{
	size_t i, n = 0;

	for (i = 0; i < pd->manifest->ntracks; i++)
		n += pd->summaries[i].ntasks;
	return n;
}

char *pd_pktdir_bare_tracks(const pd_pktdir *pd, const bool *complete)
{
	size_t norder, k, shown = 0, more = 0, len = 0;
	const size_t *order = pd_dag_order(pd->dag, &norder);
	char *text = NULL;
	FILE *f = NULL;

	for (k = 0; k < norder; k++) {
		size_t i = order[k];
		const pd_packet_summary *s = &pd->summaries[i];
		const pd_track *t = &pd->manifest->tracks[i];

		if (!s->nbare || (complete && complete[i]))
			continue;
		if (!f && !(f = open_memstream(&text, &len))) {
			pd_error_set(PD_ENOMEM, "out of memory");
			return NULL;
		}
		if (shown == 5) {
			more++;
			continue;
		}
		fprintf(f, "%strack %ld (%s): %s:%u: task %s has no Run: line or sh block", shown ? "; " : "",
			t->id, t->name, t->packet, s->first_bare_line, pd_pktdir_task_id(pd, i, s->first_bare));
		if (s->nbare > 1)
			fprintf(f, " (and %zu more task%s)", s->nbare - 1, s->nbare == 2 ? "" : "s");
		shown++;
	}
	if (more)
		fprintf(f, "; and %zu more track%s", more, more == 1 ? "" : "s");
	if (f)
		fclose(f);
	return text;
}
