/* pktdir.h - a packet dir, loaded and checked as a whole.
 *
 * pd_pktdir_load runs every check of the protocol in one go: the manifest
 * (manifest.h), the graph (dag.h), every packet file (packet.h), and the
 * agreement of each packet's frontmatter with its manifest entry (track,
 * worktree, branch, feature: a disagreement names both values). All
 * problems are reported together; the dir is returned only when there were
 * none. Loading reads files and never writes one.
 */
#ifndef PD_PKTDIR_H
#define PD_PKTDIR_H

#include "packetdeck/dag.h"
#include "packetdeck/error.h"
#include "packetdeck/manifest.h"
#include "packetdeck/packet.h"

typedef struct pd_pktdir {
	pd_manifest *manifest;
	pd_dag *dag;
	pd_packet **packets; /* by track index */
	struct pd_arena **arenas; /* internal: hold every packet */
	size_t narenas;
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

void pd_pktdir_free(pd_pktdir *pd);

/* Total number of tasks over all packets. */
size_t pd_pktdir_task_count(const pd_pktdir *pd);

#endif
