/* manifest.h - manifest.json as a validated model.
 *
 * pd_manifest_load reads `PACKET_DIR/manifest.json` and checks every rule
 * that concerns one field at a time: required fields and their types,
 * integer ids, strings without control characters, packet paths that stay
 * inside the packet dir (after ".." and symlinks), worktree paths, branch
 * names git accepts, format_version 1.x. Rules across tracks (duplicate or
 * unknown ids, cycles) belong to dag.h; packet file contents to packet.h.
 *
 * Every problem is added to `diags`, located as "DIR/manifest.json: JSON
 * path"; loading goes on after a problem so that one run reports them all.
 * The model is plain data, read-only for its users. It never keeps a
 * pointer into the cJSON tree (freed before returning).
 */
#ifndef PD_MANIFEST_H
#define PD_MANIFEST_H

#include <stddef.h>

#include "packetdeck/error.h"

/* Track ids are integers in [0, PD_TRACK_ID_MAX]. */
#define PD_TRACK_ID_MAX 2147483647
/* manifest.json larger than this is refused unread (cJSON needs ~40x). */
#define PD_MANIFEST_MAX_BYTES (64u << 20)
/* Nesting allowed in manifest.json (the schema needs 3). */
#define PD_MANIFEST_MAX_DEPTH 32

typedef struct pd_track {
	long id;             /* -1 when the manifest's id was invalid (reported) */
	char *name;
	char *packet;        /* as written in the manifest */
	char *packet_path;   /* absolute, symlinks resolved; NULL if unresolved */
	char *worktree;      /* as written */
	char *worktree_path; /* absolute and clean */
	char *branch;
	long *depends_on;    /* as written (valid integers only) */
	size_t ndeps;
	size_t index;        /* position in the manifest's tracks[] */
} pd_track;

typedef struct pd_manifest {
	char *dir;           /* the packet dir as the user named it */
	char *dir_real;      /* its absolute, resolved path */
	char *path;          /* DIR/manifest.json, for messages */
	char *format_version;
	char *feature;
	char *merge_strategy;
	char **post_merge_qa;
	size_t npost_merge_qa;
	/* upstream's optional fields, NULL when absent */
	char *created, *project_root, *execution_mode, *design_doc, *impl_plan;
	char *shared_setup_commit;
	pd_track *tracks;
	size_t ntracks;
	struct pd_arena *strings; /* owns every string and array above (internal) */
} pd_manifest;

/* Load and check DIR/manifest.json. Returns 0 with *out set when nothing
 * was wrong; PD_EINVALID when something was (all of it in `diags`), with
 * *out still set when the file parsed as an object, so that later checks
 * can report their problems too; other codes for I/O or memory failures. */
int pd_manifest_load(pd_manifest **out, const char *packet_dir, pd_diags *diags);

/* The project's root, absolute and clean: project_root (taken relative to
 * the packet dir when relative), or else the packet dir. Relative worktrees
 * are resolved from it, and worktrees are created in its repository.
 * Malloc'd; NULL when out of memory. */
char *pd_manifest_root(const pd_manifest *m);

void pd_manifest_free(pd_manifest *m);

#endif
