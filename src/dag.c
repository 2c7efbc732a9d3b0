/* dag.c - id index, validated edges, stable Kahn order, cycle paths (dag.h).
 *
 * Edges are kept in compressed form (one offsets array and one flat array
 * per direction), so 100 000 tracks cost a handful of allocations.
 */
#include "packetdeck/dag.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

struct pd_dag {
	const pd_manifest *m;
	size_t n;
	/* open-addressing index: id -> track index */
	long *keys;
	size_t *vals;
	size_t mask;
	/* edges: deps of i are dep[dep_off[i] .. dep_off[i+1]) */
	size_t *dep_off, *dep;
	size_t *rdep_off, *rdep;
	/* execution order and each track's position in it */
	size_t *order, norder, *pos;
	unsigned char *member; /* in the graph (valid, first of its id) */
};

/* Fibonacci hashing: the product's high bits are the well-mixed ones. */
static size_t hash_id(long id, size_t mask)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

long pd_dag_find(const pd_dag *g, long id)
{
	size_t h;

	if (id < 0)
		return -1;
	for (h = hash_id(id, g->mask);; h = (h + 1) & g->mask) {
		if (g->keys[h] == -1)
			return -1;
		if (g->keys[h] == id)
			return (long)g->vals[h];
	}
}

static void PD_PRINTF(4, 5) report(pd_diags *d, const pd_manifest *m, const char *jpath,
				   const char *fmt, ...)
{
	char where[512], msg[1024];
	va_list ap;

	snprintf(where, sizeof(where), "%s: %s", m->path, jpath);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pd_diags_add(d, where, "%s", msg);
}

static int build_index(pd_dag *g, pd_diags *d)
{
	size_t cap = 16, i;

	while (cap < g->n * 2)
		cap <<= 1;
	g->mask = cap - 1;
	g->keys = malloc(cap * sizeof(*g->keys));
	g->vals = malloc(cap * sizeof(*g->vals));
	g->member = calloc(g->n ? g->n : 1, 1);
	if (!g->keys || !g->vals || !g->member)
		return PD_ENOMEM;
	memset(g->keys, 0xff, cap * sizeof(*g->keys)); /* all -1 */
	for (i = 0; i < g->n; i++) {
		long id = g->m->tracks[i].id;
		size_t h;

		if (id < 0)
			continue; /* reported by the manifest loader */
		for (h = hash_id(id, g->mask); g->keys[h] != -1 && g->keys[h] != id;
		     h = (h + 1) & g->mask)
			;
		if (g->keys[h] == id) {
			char jpath[64];

			snprintf(jpath, sizeof(jpath), "tracks[%zu].id", i);
			report(d, g->m, jpath, "duplicate track id %ld (also tracks[%zu])", id,
			       g->vals[h]);
			continue;
		}
		g->keys[h] = id;
		g->vals[h] = i;
		g->member[i] = 1;
	}
	return 0;
}

/* Validate each dependency; keep the distinct, known ones as edges. */
static int build_edges(pd_dag *g, pd_diags *d)
{
	size_t n = g->n, i, j, e = 0, total = 0;
	size_t *stamp = malloc((n ? n : 1) * sizeof(*stamp));
	size_t *fill = NULL;

	g->dep_off = calloc(n + 1, sizeof(size_t));
	g->rdep_off = calloc(n + 1, sizeof(size_t));
	if (!stamp || !g->dep_off || !g->rdep_off)
		goto nomem;
	for (i = 0; i < n; i++)
		total += g->m->tracks[i].ndeps;
	g->dep = malloc((total ? total : 1) * sizeof(size_t));
	g->rdep = malloc((total ? total : 1) * sizeof(size_t));
	if (!g->dep || !g->rdep)
		goto nomem;
	for (i = 0; i < n; i++)
		stamp[i] = NONE;
	for (i = 0; i < n; i++) {
		const pd_track *t = &g->m->tracks[i];

		g->dep_off[i] = e;
		if (!g->member[i])
			continue;
		for (j = 0; j < t->ndeps; j++) {
			long k = pd_dag_find(g, t->depends_on[j]);
			char jpath[96];

			snprintf(jpath, sizeof(jpath), "tracks[%zu].depends_on[%zu]", i, j);
			if (k < 0) {
				report(d, g->m, jpath, "track %ld depends on unknown track %ld", t->id,
				       t->depends_on[j]);
			} else if ((size_t)k == i) {
				report(d, g->m, jpath, "track %ld depends on itself", t->id);
			} else if (stamp[k] == i) {
				report(d, g->m, jpath, "track %ld lists dependency %ld twice", t->id,
				       t->depends_on[j]);
			} else {
				stamp[k] = i;
				g->dep[e++] = (size_t)k;
				g->rdep_off[k + 1]++;
			}
		}
	}
	g->dep_off[n] = e;
	for (i = 0; i < n; i++)
		g->rdep_off[i + 1] += g->rdep_off[i];
	fill = malloc((n ? n : 1) * sizeof(*fill));
	if (!fill)
		goto nomem;
	memcpy(fill, g->rdep_off, n * sizeof(*fill));
	for (i = 0; i < n; i++)
		for (j = g->dep_off[i]; j < g->dep_off[i + 1]; j++)
			g->rdep[fill[g->dep[j]]++] = i;
	free(fill);
	free(stamp);
	return 0;
nomem:
	free(stamp);
	return PD_ENOMEM;
}

/* A binary min-heap of track indices ordered by id. */
typedef struct heap {
	size_t *a, n;
	const pd_track *t;
} heap;

static void heap_push(heap *h, size_t v)
{
	size_t i = h->n++;

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (h->t[h->a[p]].id <= h->t[v].id)
			break;
		h->a[i] = h->a[p];
		i = p;
	}
	h->a[i] = v;
}

static size_t heap_pop(heap *h)
{
	size_t top = h->a[0], v = h->a[--h->n], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->t[h->a[c + 1]].id < h->t[h->a[c]].id)
			c++;
		if (h->t[v].id <= h->t[h->a[c]].id)
			break;
		h->a[i] = h->a[c];
		i = c;
	}
	if (h->n > 0)
		h->a[i] = v;
	return top;
}

static int kahn(pd_dag *g, size_t *indeg)
{
	heap h = {malloc((g->n ? g->n : 1) * sizeof(size_t)), 0, g->m->tracks};
	size_t i, j;

	if (!h.a)
		return PD_ENOMEM;
	for (i = 0; i < g->n; i++) {
		indeg[i] = g->dep_off[i + 1] - g->dep_off[i];
		if (g->member[i] && indeg[i] == 0)
			heap_push(&h, i);
	}
	while (h.n > 0) {
		size_t v = heap_pop(&h);

		g->pos[v] = g->norder;
		g->order[g->norder++] = v;
		for (j = g->rdep_off[v]; j < g->rdep_off[v + 1]; j++)
			if (--indeg[g->rdep[j]] == 0)
				heap_push(&h, g->rdep[j]);
	}
	free(h.a);
	return 0;
}


/* qsort has no context argument in C11; sort (id, index) pairs instead. */
typedef struct idpair {
	long id;
	size_t index;
} idpair;

static int cmp_pair(const void *a, const void *b)
{
	const idpair *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* The first dependency of v that is still unplaced (one exists: v is). */
static size_t unplaced_dep(const pd_dag *g, size_t v)
{
	size_t j;

	for (j = g->dep_off[v]; j < g->dep_off[v + 1]; j++)
		if (g->pos[g->dep[j]] == NONE)
			return g->dep[j];
	return NONE;
}

static void report_cycle(pd_dag *g, pd_diags *d, size_t start)
{
	char msg[1024], jpath[96];
	size_t len = 0, count = 1, v, low = start, j, dep_index = 0;
	const pd_track *t = g->m->tracks;

	for (v = unplaced_dep(g, start); v != start; v = unplaced_dep(g, v)) {
		count++;
		if (t[v].id < t[low].id)
			low = v;
	}
	/* Print from the lowest id, following "depends on" edges. */
	len += (size_t)snprintf(msg, sizeof(msg), "circular dependency: %ld", t[low].id);
	for (v = unplaced_dep(g, low), j = 1; j <= count; v = unplaced_dep(g, v), j++) {
		if (count > 12 && j == 8) {
			len += (size_t)snprintf(msg + len, sizeof(msg) - len, " -> ...");
			while (j < count - 2) {
				v = unplaced_dep(g, v);
				j++;
			}
		}
		if (len < sizeof(msg))
			len += (size_t)snprintf(msg + len, sizeof(msg) - len, " -> %ld", t[v].id);
	}
	if (count > 12 && len < sizeof(msg))
		snprintf(msg + len, sizeof(msg) - len, " (%zu tracks)", count);
	/* Locate it at the edge from the lowest id to the next one. */
	v = unplaced_dep(g, low);
	for (j = 0; j < t[low].ndeps; j++)
		if (t[low].depends_on[j] == t[v].id) {
			dep_index = j;
			break;
		}
	snprintf(jpath, sizeof(jpath), "tracks[%zu].depends_on[%zu]", low, dep_index);
	report(d, g->m, jpath, "%s", msg);
}

/* Every unplaced track is on a cycle or behind one. Walk from each, in id
 * order, along unplaced dependencies; a walk that meets itself found a new
 * cycle, one that meets an earlier walk did not. O(V + E). */
static int find_cycles(pd_dag *g, pd_diags *d)
{
	size_t i, r = 0, *walk = malloc((g->n ? g->n : 1) * sizeof(size_t));
	idpair *rest = malloc((g->n ? g->n : 1) * sizeof(idpair));

	if (!walk || !rest) {
		free(walk);
		free(rest);
		return PD_ENOMEM;
	}
	for (i = 0; i < g->n; i++) {
		walk[i] = NONE;
		if (g->member[i] && g->pos[i] == NONE)
			rest[r++] = (idpair){g->m->tracks[i].id, i};
	}
	qsort(rest, r, sizeof(*rest), cmp_pair);
	for (i = 0; i < r; i++) {
		size_t v = rest[i].index;

		while (walk[v] == NONE) {
			walk[v] = i;
			v = unplaced_dep(g, v);
		}
		if (walk[v] == i)
			report_cycle(g, d, v);
	}
	free(walk);
	free(rest);
	return 0;
}

int pd_dag_build(pd_dag **out, const pd_manifest *m, pd_diags *diags)
{
	size_t before = pd_diags_total(diags), i;
	pd_dag *g = calloc(1, sizeof(*g));
	size_t *indeg = NULL;
	int error = PD_ENOMEM;

	*out = NULL;
	if (!g)
		return pd_error_set(PD_ENOMEM, "out of memory");
	g->m = m;
	g->n = m->ntracks;
	if (build_index(g, diags) < 0 || build_edges(g, diags) < 0)
		goto fail;
	g->order = malloc((g->n ? g->n : 1) * sizeof(size_t));
	g->pos = malloc((g->n ? g->n : 1) * sizeof(size_t));
	indeg = malloc((g->n ? g->n : 1) * sizeof(size_t));
	if (!g->order || !g->pos || !indeg)
		goto fail;
	for (i = 0; i < g->n; i++)
		g->pos[i] = NONE;
	if (kahn(g, indeg) < 0 || find_cycles(g, diags) < 0)
		goto fail;
	free(indeg);
	*out = g;
	return pd_diags_total(diags) > before ? PD_EINVALID : 0;
fail:
	free(indeg);
	pd_dag_free(g);
	return pd_error_set(error, "out of memory");
}

void pd_dag_free(pd_dag *g)
{
	if (!g)
		return;
	free(g->keys);
	free(g->vals);
	free(g->dep_off);
	free(g->dep);
	free(g->rdep_off);
	free(g->rdep);
	free(g->order);
	free(g->pos);
	free(g->member);
	free(g);
}

const size_t *pd_dag_order(const pd_dag *g, size_t *count)
{
	*count = g->norder;
	return g->order;
}

size_t pd_dag_position(const pd_dag *g, size_t index)
{
	return index < g->n ? g->pos[index] : NONE;
}

const size_t *pd_dag_deps(const pd_dag *g, size_t index, size_t *count)
{
	*count = g->dep_off[index + 1] - g->dep_off[index];
	return g->dep + g->dep_off[index];
}

const size_t *pd_dag_dependents(const pd_dag *g, size_t index, size_t *count)
{
	*count = g->rdep_off[index + 1] - g->rdep_off[index];
	return g->rdep + g->rdep_off[index];
}

size_t pd_dag_size(const pd_dag *g)
{
	return g->n;
}
