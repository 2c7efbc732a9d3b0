/* pktdir.c - load a packet dir and run every check (pktdir.h). */
#include "packetdeck/pktdir.h"
#include "packetdeck/pathutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int pd_pktdir_load(pd_pktdir **out, const char *packet_dir, pd_diags *diags)
{
	size_t before = pd_diags_total(diags), i;
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
	pd->packets = calloc(pd->manifest->ntracks ? pd->manifest->ntracks : 1, sizeof(pd_packet *));
	if (!pd->packets) {
		error = pd_error_set(PD_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < pd->manifest->ntracks; i++) {
		const pd_track *t = &pd->manifest->tracks[i];
		char *display;

		if (!t->packet_path)
			continue; /* reported by the manifest loader */
		display = display_path(pd->manifest, t);
		if (!display) {
			error = pd_error_set(PD_ENOMEM, "out of memory");
			goto fail;
		}
		error = pd_packet_load(&pd->packets[i], t->packet_path, display, diags);
		free(display);
		if (error == PD_ENOMEM)
			goto fail;
		if (pd->packets[i])
			check_agreement(pd->manifest, t, pd->packets[i], diags);
	}
	if (pd_diags_total(diags) > before) {
		error = PD_EINVALID;
		goto fail;
	}
	*out = pd;
	return 0;
fail:
	pd_pktdir_free(pd);
	return error < 0 ? error : PD_EINVALID;
}

void pd_pktdir_free(pd_pktdir *pd)
{
	size_t i;

	if (!pd)
		return;
	if (pd->packets)
		for (i = 0; i < pd->manifest->ntracks; i++)
			pd_packet_free(pd->packets[i]);
	free(pd->packets);
	pd_dag_free(pd->dag);
	pd_manifest_free(pd->manifest);
	free(pd);
}

size_t pd_pktdir_task_count(const pd_pktdir *pd)
{
	size_t i, n = 0;

	for (i = 0; i < pd->manifest->ntracks; i++)
		n += pd->packets[i] ? pd->packets[i]->ntasks : 0;
	return n;
}
