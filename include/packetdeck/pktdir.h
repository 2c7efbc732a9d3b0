/* pktdir.h - a packet dir, loaded and checked as a whole.
 *
 * pd_pktdir_load runs every check of the protocol in one go: the manifest
 * (manifest.h), the graph (dag.h), every packet file (packet.h), and the
 * agreement of each packet's frontmatter with its manifest entry (track,
 * worktree, branch, feature: a disagreement names both values). All
 * problems are reported together; the dir is returned only when there were
 * none. Loading reads files and never writes one.
 *
 * Of each packet only its summary (the task ids, in order) is kept: the
 * snapshot, the plan and the dashboard's lists need no more, and 10 000
 * packets kept whole would be most of a dashboard's memory. The one packet
 * a runner executes (pd_pktdir_load_one) is kept whole; any other is read
 * again, and checked again, by pd_pktdir_packet when it is shown.
 */
#ifndef PD_PKTDIR_H
#define PD_PKTDIR_H

#include "packetdeck/dag.h"
#include "packetdeck/error.h"
#include "packetdeck/manifest.h"
#include "packetdeck/packet.h"

typedef struct pd_packet_summary {
	size_t ntasks;
	const char *ids;     /* ntasks NUL-terminated task ids, one after another */
	size_t nbare;        /* tasks without a command (no Run: line, no sh block) */
	size_t first_bare;   /* the first of them (its index), when nbare > 0 */
	unsigned first_bare_line; /* and the line of its header */
} pd_packet_summary;


typedef struct pd_pktdir {
	pd_manifest *manifest;
	pd_dag *dag;
	pd_packet **packets; /* by track index: NULL but pd_pktdir_load_one's track */
	pd_packet_summary *summaries; /* by track index */
	struct pd_arena **arenas; /* internal: hold every packet */
	size_t narenas;
	struct pd_verifier *verifier; /* markers checked against the repository (verify.h);
				       * it opens the repository when first asked */
} pd_pktdir;

/* 0 with *out set, or PD_EINVALID with everything wrong in `diags`. */
int pd_pktdir_load(pd_pktdir **out, const char *packet_dir, pd_diags *diags);

/* As pd_pktdir_load, but of the packet files only the one at `packet`
 * (any path to it) is read and checked; the other tracks' packets stay
 * NULL. *index gets its track. For executing one track: the manifest and
 * the graph are checked whole, the other packets are not its concern.
 * PD_ENOTFOUND (in diags) when no track names that packet. */
int pd_pktdir_load_one(pd_pktdir **out, const char *packet_dir, const char *packet,
		       size_t *index, pd_diags *diags);

/* Read track i's packet again and check it as the load did (the text,
 * and its frontmatter against the manifest). 0 with *out set (free it with
 * pd_packet_free), or PD_EINVALID with the problems in `diags`; PD_ENOMEM. */
int pd_pktdir_packet(const pd_pktdir *pd, size_t i, pd_packet **out, pd_diags *diags);

/* Track i's number of tasks, the id of its task k (NULL past the end), and
 * the index of the task with `id` (-1 when it has none), from the summary. */
size_t pd_pktdir_ntasks(const pd_pktdir *pd, size_t i);
const char *pd_pktdir_task_id(const pd_pktdir *pd, size_t i, size_t k);
long pd_pktdir_task_index(const pd_pktdir *pd, size_t i, const char *id);

void pd_pktdir_free(pd_pktdir *pd);

/* Tracks the built-in runner cannot execute (tasks without a command),
 * of those not complete, in execution order, as one message naming each
 * (at most 5, then how many more): "track 1 (api): track-1.md:3: task 1.1
 * has no Run: line or sh block (and 2 more tasks); ...". NULL when there
 * are none (or no memory: then also pd_error_last). The caller frees it. */
char *pd_pktdir_bare_tracks(const pd_pktdir *pd, const bool *complete);

/* Total number of tasks over all packets. */
size_t pd_pktdir_task_count(const pd_pktdir *pd);

#endif
