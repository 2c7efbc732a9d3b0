/* test_layout.c - layers by longest path, fewer crossings, checked against
 * a brute-force count. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/gitwt.h"
#include "packetdeck/layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct world {
	pd_manifest *m;
	pd_dag *g;
	pd_layout *l;
} world;

/* Tracks as "id:dep,dep id:dep ..." with one shared packet. */
static world make(const char *spec)
{
	char *tracks = malloc(strlen(spec) * 40 + 200000), *copy = strdup(spec), *save = NULL, *tok;
	size_t len = 0;
	pd_diags d = PD_DIAGS_INIT;
	world w = {NULL, NULL, NULL};

	tracks[0] = '\0';
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *colon = strchr(tok, ':');

		*colon = '\0';
		len += (size_t)sprintf(tracks + len,
				       "%s{\"id\":%s,\"name\":\"t\",\"packet\":\"p.md\",\"worktree\":\"/w\","
				       "\"branch\":\"b\",\"depends_on\":[%s]}",
				       len ? "," : "", tok, colon + 1);
	}
	t_packet_dir(dir, tracks, 0);
	t_write(dir, "p.md", "### Task 1: x\n");
	assert_int_equal(pd_manifest_load(&w.m, dir, &d), 0);
	assert_int_equal(pd_dag_build(&w.g, w.m, &d), 0);
	assert_int_equal(pd_layout_make(&w.l, w.g), 0);
	pd_diags_free(&d);
	free(tracks);
	free(copy);
	return w;
}

static void drop(world *w)
{
	pd_layout_free(w->l);
	pd_dag_free(w->g);
	pd_manifest_free(w->m);
}

static int layer_of(const world *w, long id)
{
	return w->l->layer[pd_dag_find(w->g, id)];
}

static size_t pos_of(const world *w, long id)
{
	return w->l->pos[pd_dag_find(w->g, id)];
}

/* Crossings between adjacent layers, counted pair by pair. */
static size_t brute_crossings(const world *w)
{
	size_t n = w->m->ntracks, a, b, i, j, na, nb, total = 0;

	for (a = 0; a < n; a++)
		for (b = a + 1; b < n; b++) {
			const size_t *da = pd_dag_deps(w->g, a, &na), *db = pd_dag_deps(w->g, b, &nb);

			if (w->l->layer[a] != w->l->layer[b])
				continue;
			for (i = 0; i < na; i++)
				for (j = 0; j < nb; j++) {
					size_t u = da[i], v = db[j];

					if (w->l->layer[u] != w->l->layer[a] - 1 ||
					    w->l->layer[v] != w->l->layer[a] - 1)
						continue;
					if ((w->l->pos[u] < w->l->pos[v] && w->l->pos[a] > w->l->pos[b]) ||
					    (w->l->pos[u] > w->l->pos[v] && w->l->pos[a] < w->l->pos[b]))
						total++;
				}
		}
	return total;
}

static void layers_are_longest_path_depths(void **state)
{
	world w;

	(void)state;
	w = make("1: 2:1 3:2 4:1,3 5:");
	assert_int_equal(w.l->nlayers, 4);
	assert_int_equal(layer_of(&w, 1), 0);
	assert_int_equal(layer_of(&w, 5), 0);
	assert_int_equal(layer_of(&w, 3), 2);
	assert_int_equal(layer_of(&w, 4), 3); /* one past its deepest dependency, 3 */
	assert_int_equal(w.l->layer_start[1] - w.l->layer_start[0], 2);
	drop(&w);
}

static void barycenters_remove_an_avoidable_crossing(void **state)
{
	world w;

	(void)state;
	/* in execution order: layer 0 is 1, 2; layer 1 is 3 (needs 2), 4 (needs 1): crossed */
	w = make("1: 2: 3:2 4:1");
	assert_int_equal(w.l->crossings, 0);
	assert_true(pos_of(&w, 4) < pos_of(&w, 3));
	assert_int_equal(brute_crossings(&w), 0);
	drop(&w);
}

static void an_unavoidable_crossing_is_counted(void **state)
{
	world w;

	(void)state;
	w = make("1: 2: 3:1,2 4:1,2");
	assert_int_equal(w.l->crossings, 1);
	assert_int_equal(brute_crossings(&w), 1);
	drop(&w);
}

/* A random DAG of n tracks over a window of earlier ones. */
static char *random_spec(size_t n, unsigned seed)
{
	char *s = malloc(n * 40 + 1);
	size_t len = 0, i;

	srand(seed);
	s[0] = '\0';
	for (i = 1; i <= n; i++) {
		size_t k = i > 1 ? (size_t)rand() % 4 : 0, j, used[4] = {0};

		len += (size_t)sprintf(s + len, "%s%zu:", i > 1 ? " " : "", i);
		for (j = 0; j < k; j++) {
			size_t dep = i - 1 - (size_t)rand() % (i - 1 < 8 ? i - 1 : 8), x;
			bool dup = false;

			for (x = 0; x < j; x++)
				dup = dup || used[x] == dep;
			if (dup)
				continue;
			used[j] = dep;
			len += (size_t)sprintf(s + len, "%s%zu", s[len - 1] == ':' ? "" : ",", dep);
		}
	}
	return s;
}

/* Put the layout back to execution order within each layer. */
static void execution_order_positions(world *w)
{
	size_t norder, k, *fill = calloc((size_t)w->l->nlayers, sizeof(size_t));
	const size_t *order = pd_dag_order(w->g, &norder);

	for (k = 0; k < norder; k++)
		w->l->pos[order[k]] = fill[w->l->layer[order[k]]]++;
	free(fill);
}

static void crossing_count_matches_brute_force(void **state)
{
	size_t chosen = 0, naive = 0;
	unsigned seed;

	(void)state;
	for (seed = 1; seed <= 20; seed++) {
		char *spec = random_spec(40, seed);
		world w = make(spec);
		size_t before;

		if (w.l->crossings != brute_crossings(&w))
			fail_msg("seed %u: %zu crossings, brute force %zu", seed, w.l->crossings,
				 brute_crossings(&w));
		chosen += w.l->crossings;
		execution_order_positions(&w);
		before = brute_crossings(&w);
		assert_true(w.l->crossings <= before); /* never worse than where it started */
		naive += before;
		drop(&w);
		free(spec);
	}
	assert_true(chosen < naive); /* and better over a sample of graphs */
	print_message("crossings over 20 random graphs: %zu in execution order, %zu laid out\n",
		      naive, chosen);
}

static void a_large_graph_is_laid_out_consistently(void **state)
{
	char *spec = random_spec(10000, 99);
	world w = make(spec);
	size_t i, j, nd;
	int L;

	(void)state;
	for (i = 0; i < w.m->ntracks; i++) {
		const size_t *deps = pd_dag_deps(w.g, i, &nd);

		for (j = 0; j < nd; j++)
			assert_true(w.l->layer[deps[j]] < w.l->layer[i]);
	}
	for (L = 0; L < w.l->nlayers; L++) /* positions number each layer 0, 1, 2, ... */
		for (i = w.l->layer_start[L]; i < w.l->layer_start[L + 1]; i++)
			assert_int_equal(w.l->pos[w.l->order[i]], i - w.l->layer_start[L]);
	assert_int_equal(w.l->layer_start[w.l->nlayers], 10000);
	drop(&w);
	free(spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, t_setup, t_teardown)
		T(layers_are_longest_path_depths),
		T(barycenters_remove_an_avoidable_crossing),
		T(an_unavoidable_crossing_is_counted),
		T(crossing_count_matches_brute_force),
		T(a_large_graph_is_laid_out_consistently),
#undef T
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	pd_git_shutdown();
	return failed;
}
