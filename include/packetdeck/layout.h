/* layout.h - the dependency graph laid out in layers, for drawing.
 *
 * A curses-free view-model (the dashboard draws it; tests check it):
 * each track's layer is its longest-path depth (a track with no
 * dependencies is in layer 0; otherwise one past its deepest dependency),
 * and the order of tracks within a layer is chosen to reduce edge
 * crossings: barycenter sweeps down and up the layers, keeping the best
 * order seen. Crossings are counted between adjacent layers (an edge that
 * spans several layers is drawn through them and not counted), by
 * inversion counting in O(E log E) per pair of layers, so a graph of
 * 10 000 tracks lays out in milliseconds.
 */
#ifndef PD_LAYOUT_H
#define PD_LAYOUT_H

#include <stddef.h>

#include "packetdeck/dag.h"

typedef struct pd_layout {
	size_t ntracks;
	int *layer;          /* by track index; -1 for tracks not in the graph */
	size_t *pos;         /* by track index: the place within its layer */
	int nlayers;
	size_t *layer_start; /* tracks of layer L: order[layer_start[L] .. layer_start[L+1]) */
	size_t *order;       /* track indices, layer by layer, each layer in its order */
	size_t crossings;    /* adjacent-layer crossings of the chosen order */
} pd_layout;

/* Lay out `g`'s tracks (those in its order). */
int pd_layout_make(pd_layout **out, const pd_dag *g);

void pd_layout_free(pd_layout *l);

#endif
