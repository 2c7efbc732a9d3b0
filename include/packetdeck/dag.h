/* dag.h - the tracks' dependency graph: id index, execution order, cycles.
 *
 * pd_dag_build checks the rules that span tracks and reports each, located
 * at its manifest field: duplicate ids, dependencies on unknown ids or on
 * the track itself, a dependency listed twice, and every circular
 * dependency with its path ("circular dependency: 1 -> 2 -> 3 -> 1", where
 * "a -> b" reads "a depends on b", starting at the cycle's lowest id).
 *
 * The order is Kahn's, stable: among the tracks whose dependencies are all
 * placed, the lowest id comes first (a binary heap: O(E + V log V)).
 * Tracks whose id was invalid, or that repeat an earlier track's id, are not
 * in the graph. Tracks are named by their index in the manifest's tracks[].
 */
#ifndef PD_DAG_H
#define PD_DAG_H

#include <stddef.h>

#include "packetdeck/error.h"
#include "packetdeck/manifest.h"

typedef struct pd_dag pd_dag;

/* Build the graph of `m`'s tracks. Returns 0, or PD_EINVALID with problems
 * in `diags` (the graph is still returned: the order then lacks the tracks
 * on or behind a cycle); PD_ENOMEM on failure to allocate. */
int pd_dag_build(pd_dag **out, const pd_manifest *m, pd_diags *diags);

void pd_dag_free(pd_dag *g);

/* The index of the track with this id, or -1. O(1). */
long pd_dag_find(const pd_dag *g, long id);

/* Track indices in execution order. */
const size_t *pd_dag_order(const pd_dag *g, size_t *count);

/* A track's position in the order, or (size_t)-1 if it has none. */
size_t pd_dag_position(const pd_dag *g, size_t index);

/* A track's distinct, known dependencies / dependents, as indices. */
const size_t *pd_dag_deps(const pd_dag *g, size_t index, size_t *count);
const size_t *pd_dag_dependents(const pd_dag *g, size_t index, size_t *count);

/* Number of tracks in the graph. */
size_t pd_dag_size(const pd_dag *g);

#endif
