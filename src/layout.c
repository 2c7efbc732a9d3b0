/* layout.c - layers by longest path, crossing reduction by barycenters (layout.h). */
#include "packetdeck/layout.h"
#include "packetdeck/error.h"

#include <stdlib.h>
#include <string.h>

#define SWEEPS 8

typedef struct key {
	double k;    /* barycenter */
	size_t pos;  /* current place: ties keep the order they had */
	size_t track;
} key;

static int cmp_key(const void *a, const void *b)
{
	const key *x = a, *y = b;

	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Inversions of a[0..n) by merge sort (tmp is scratch of n). */
static size_t inversions(size_t *a, size_t *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0, inv;

	if (n < 2)
		return 0;
	inv = inversions(a, tmp, mid) + inversions(a + mid, tmp, n - mid);
	while (i < mid && j < n) {
		if (a[i] <= a[j]) {
			tmp[k++] = a[i++];
		} else {
			tmp[k++] = a[j++];
			inv += mid - i;
		}
	}
	while (i < mid)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof(*a));
	return inv;
}

typedef struct edge {
	size_t up, down; /* positions in the upper and lower layer */
} edge;

static int cmp_edge(const void *a, const void *b)
{
	const edge *x = a, *y = b;

	if (x->up != y->up)
		return (x->up > y->up) - (x->up < y->up);
	return (x->down > y->down) - (x->down < y->down);
}

/* Crossings between layer L and L+1: edges sorted by their upper end, the
 * inversions among their lower ends. */
static size_t crossings_between(const pd_layout *l, const pd_dag *g, int L, edge *edges,
				size_t *lows, size_t *tmp)
{
	size_t i, j, n = 0, nd;

	for (i = l->layer_start[L + 1]; i < l->layer_start[L + 2]; i++) {
		size_t v = l->order[i];
		const size_t *deps = pd_dag_deps(g, v, &nd);

		for (j = 0; j < nd; j++)
			if (l->layer[deps[j]] == L)
				edges[n++] = (edge){l->pos[deps[j]], l->pos[v]};
	}
	qsort(edges, n, sizeof(*edges), cmp_edge);
	for (i = 0; i < n; i++)
		lows[i] = edges[i].down;
	return inversions(lows, tmp, n);
}

static size_t count_crossings(const pd_layout *l, const pd_dag *g, edge *edges, size_t *lows,
			      size_t *tmp)
{
	size_t total = 0;
	int L;

	for (L = 0; L + 1 < l->nlayers; L++)
		total += crossings_between(l, g, L, edges, lows, tmp);
	return total;
}

/* Reorder layer L by the mean position of each track's neighbours in the
 * layer above (down) or below (up). Tracks without such neighbours keep
 * their place. */
static void reorder(pd_layout *l, const pd_dag *g, int L, int dir, key *keys)
{
	size_t s = l->layer_start[L], e = l->layer_start[L + 1], i, j, n;

	for (i = s; i < e; i++) {
		size_t v = l->order[i], count = 0;
		const size_t *nb = dir > 0 ? pd_dag_deps(g, v, &n) : pd_dag_dependents(g, v, &n);
		double sum = 0;

		for (j = 0; j < n; j++)
			if (l->layer[nb[j]] == L - dir) {
				sum += (double)l->pos[nb[j]];
				count++;
			}
		keys[i - s] = (key){count ? sum / (double)count : (double)(i - s), i - s, v};
	}
	qsort(keys, e - s, sizeof(*keys), cmp_key);
	for (i = s; i < e; i++) {
		l->order[i] = keys[i - s].track;
		l->pos[keys[i - s].track] = i - s;
	}
}

int pd_layout_make(pd_layout **out, const pd_dag *g)
{
	size_t n = pd_dag_size(g), norder, k, i, nd, edges_total = 0, best;
	const size_t *order = pd_dag_order(g, &norder);
	pd_layout *l = calloc(1, sizeof(*l));
	size_t *fill = NULL, *best_order = NULL, *lows = NULL, *tmp = NULL;
	edge *edges = NULL;
	key *keys = NULL;
	int sweep, L;

	*out = NULL;
	if (!l)
		return pd_error_set(PD_ENOMEM, "out of memory");
	l->ntracks = n;
	l->layer = malloc((n ? n : 1) * sizeof(int));
	l->pos = calloc(n ? n : 1, sizeof(size_t));
	l->order = malloc((norder ? norder : 1) * sizeof(size_t));
	if (!l->layer || !l->pos || !l->order)
		goto nomem;
	for (i = 0; i < n; i++)
		l->layer[i] = -1;
	/* longest path, in topological order: every dependency is placed first */
	for (k = 0; k < norder; k++) {
		size_t v = order[k];
		const size_t *deps = pd_dag_deps(g, v, &nd);
		int depth = 0;

		for (i = 0; i < nd; i++)
			if (l->layer[deps[i]] + 1 > depth)
				depth = l->layer[deps[i]] + 1;
		l->layer[v] = depth;
		if (depth + 1 > l->nlayers)
			l->nlayers = depth + 1;
		edges_total += nd;
	}
	l->layer_start = calloc((size_t)l->nlayers + 2, sizeof(size_t));
	fill = calloc((size_t)l->nlayers + 1, sizeof(size_t));
	if (!l->layer_start || !fill)
		goto nomem;
	for (k = 0; k < norder; k++)
		l->layer_start[l->layer[order[k]] + 1]++;
	for (L = 0; L < l->nlayers; L++)
		l->layer_start[L + 1] += l->layer_start[L];
	l->layer_start[l->nlayers + 1] = l->layer_start[l->nlayers];
	/* start from the execution order (lowest id first among equals) */
	for (k = 0; k < norder; k++) {
		size_t v = order[k];
		int lv = l->layer[v];

		l->pos[v] = fill[lv];
		l->order[l->layer_start[lv] + fill[lv]++] = v;
	}
	edges = malloc((edges_total ? edges_total : 1) * sizeof(*edges));
	lows = malloc((edges_total ? edges_total : 1) * sizeof(size_t));
	tmp = malloc((edges_total ? edges_total : 1) * sizeof(size_t));
	keys = malloc((norder ? norder : 1) * sizeof(*keys));
	best_order = malloc((norder ? norder : 1) * sizeof(size_t));
	if (!edges || !lows || !tmp || !keys || !best_order)
		goto nomem;
	best = count_crossings(l, g, edges, lows, tmp);
	memcpy(best_order, l->order, norder * sizeof(size_t));
	for (sweep = 0; sweep < SWEEPS && best > 0; sweep++) {
		size_t now;

		if (sweep % 2 == 0)
			for (L = 1; L < l->nlayers; L++)
				reorder(l, g, L, +1, keys);
		else
			for (L = l->nlayers - 2; L >= 0; L--)
				reorder(l, g, L, -1, keys);
		now = count_crossings(l, g, edges, lows, tmp);
		if (now < best) {
			best = now;
			memcpy(best_order, l->order, norder * sizeof(size_t));
		}
	}
	memcpy(l->order, best_order, norder * sizeof(size_t));
	for (L = 0; L < l->nlayers; L++)
		for (i = l->layer_start[L]; i < l->layer_start[L + 1]; i++)
			l->pos[l->order[i]] = i - l->layer_start[L];
	l->crossings = best;
	*out = l;
	l = NULL;
nomem:
	free(fill);
	free(edges);
	free(lows);
	free(tmp);
	free(keys);
	free(best_order);
	if (!l)
		return 0;
	pd_layout_free(l);
	return pd_error_set(PD_ENOMEM, "out of memory");
}

void pd_layout_free(pd_layout *l)
{
	if (!l)
		return;
	free(l->layer);
	free(l->pos);
	free(l->layer_start);
	free(l->order);
	free(l);
}
