/* test_dag.c - id index, stable order, cross-track rules, cycle paths. */
#define _GNU_SOURCE
#include "test.h"
#include "packetdeck/dag.h"
#include "packetdeck/gitwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef struct loaded {
	pd_manifest *m;
	pd_dag *g;
	pd_diags d;
	int error;
} loaded;

static loaded load(const char *tracks, int npackets)
{
	loaded l = {NULL, NULL, PD_DIAGS_INIT, 0};

	t_packet_dir(dir, tracks, npackets);
	pd_manifest_load(&l.m, dir, &l.d);
	assert_non_null(l.m);
	l.error = pd_dag_build(&l.g, l.m, &l.d);
	assert_non_null(l.g);
	return l;
}

static void unload(loaded *l)
{
	pd_dag_free(l->g);
	pd_manifest_free(l->m);
	pd_diags_free(&l->d);
}

/* The order as "1 2 3". */
static char *order_string(const loaded *l)
{
	size_t n, k, len = 0;
	const size_t *o = pd_dag_order(l->g, &n);
	char *s = malloc(n * 12 + 1);

	s[0] = '\0';
	for (k = 0; k < n; k++)
		len += (size_t)sprintf(s + len, "%s%ld", k ? " " : "", l->m->tracks[o[k]].id);
	return s;
}

static void expect_order(const loaded *l, const char *expected)
{
	char *s = order_string(l);

	assert_string_equal(s, expected);
	free(s);
}

static void order_is_stable_lowest_id_first(void **state)
{
	loaded l;

	(void)state;
	/* listed 5, 3, 1, 4, 2: order by id among the ready ones */
	l = load(TRACK(5, "") "," TRACK(3, "") "," TRACK(1, "") "," TRACK(4, "") "," TRACK(2, ""), 5);
	assert_int_equal(l.error, 0);
	expect_order(&l, "1 2 3 4 5");
	unload(&l);
}

static void dependencies_come_first(void **state)
{
	loaded l;

	(void)state;
	/* 1 needs 4, 2 needs 1: among ready {3, 4}, 3 first; 4 frees 1, then 1 frees 2 */
	l = load(TRACK(1, "4") "," TRACK(2, "1") "," TRACK(3, "") "," TRACK(4, ""), 4);
	assert_int_equal(l.error, 0);
	expect_order(&l, "3 4 1 2");
	assert_int_equal(pd_dag_position(l.g, 3), 1); /* track 4 is tracks[3] */
	unload(&l);
}

static void diamond_orders_and_exposes_edges(void **state)
{
	loaded l;
	size_t n;
	const size_t *deps, *rdeps;

	(void)state;
	l = load(TRACK(1, "") "," TRACK(2, "1") "," TRACK(3, "1") "," TRACK(4, "2, 3"), 4);
	assert_int_equal(l.error, 0);
	expect_order(&l, "1 2 3 4");
	deps = pd_dag_deps(l.g, 3, &n);
	assert_int_equal(n, 2);
	assert_int_equal(deps[0], 1);
	assert_int_equal(deps[1], 2);
	rdeps = pd_dag_dependents(l.g, 0, &n);
	assert_int_equal(n, 2);
	assert_int_equal(rdeps[0], 1);
	assert_int_equal(rdeps[1], 2);
	assert_int_equal(pd_dag_find(l.g, 4), 3);
	assert_int_equal(pd_dag_find(l.g, 99), -1);
	unload(&l);
}

static void cycle_is_reported_with_its_path(void **state)
{
	loaded l;

	(void)state;
	l = load(TRACK(1, "2") "," TRACK(2, "3") "," TRACK(3, "1"), 3);
	assert_int_equal(l.error, PD_EINVALID);
	assert_true(t_has_diag(&l.d, "manifest.json: tracks[0].depends_on[0]",
			       "circular dependency: 1 -> 2 -> 3 -> 1"));
	assert_int_equal(l.d.count, 1);
	expect_order(&l, "");
	unload(&l);
}

static void cycle_path_starts_at_its_lowest_id(void **state)
{
	loaded l;

	(void)state;
	/* ready 1; then 7 -> 5 -> 9 -> 7, entered from 8 which is behind it */
	l = load(TRACK(1, "") "," TRACK(8, "7") "," TRACK(7, "1, 5") "," TRACK(5, "9") ","
		 TRACK(9, "7"), 9);
	assert_int_equal(l.error, PD_EINVALID);
	assert_true(t_has_diag(&l.d, "tracks[3].depends_on[0]", "circular dependency: 5 -> 9 -> 7 -> 5"));
	assert_int_equal(l.d.count, 1); /* 8 is behind the cycle, not on one */
	expect_order(&l, "1");
	unload(&l);
}

static void two_cycles_are_both_reported(void **state)
{
	loaded l;

	(void)state;
	l = load(TRACK(1, "2") "," TRACK(2, "1") "," TRACK(3, "4") "," TRACK(4, "3") "," TRACK(5, ""), 5);
	assert_int_equal(l.error, PD_EINVALID);
	assert_true(t_has_diag(&l.d, "tracks[0].depends_on[0]", "circular dependency: 1 -> 2 -> 1"));
	assert_true(t_has_diag(&l.d, "tracks[2].depends_on[0]", "circular dependency: 3 -> 4 -> 3"));
	assert_int_equal(l.d.count, 2);
	expect_order(&l, "5");
	unload(&l);
}

static void self_unknown_and_repeated_dependencies_are_located(void **state)
{
	loaded l;

	(void)state;
	l = load(TRACK(1, "") "," TRACK(2, "2") "," TRACK(3, "9") "," TRACK(4, "1, 1"), 4);
	assert_int_equal(l.error, PD_EINVALID);
	assert_true(t_has_diag(&l.d, "manifest.json: tracks[1].depends_on[0]", "track 2 depends on itself"));
	assert_true(t_has_diag(&l.d, "manifest.json: tracks[2].depends_on[0]",
			       "track 3 depends on unknown track 9"));
	assert_true(t_has_diag(&l.d, "manifest.json: tracks[3].depends_on[1]",
			       "track 4 lists dependency 1 twice"));
	assert_int_equal(l.d.count, 3); /* the self-dependency is not also a cycle */
	expect_order(&l, "1 2 3 4");
	unload(&l);
}

static void duplicate_ids_are_located(void **state)
{
	loaded l;

	(void)state;
	l = load(TRACK(1, "") "," TRACK(2, "") "," TRACK(1, ""), 2);
	assert_int_equal(l.error, PD_EINVALID);
	assert_true(t_has_diag(&l.d, "manifest.json: tracks[2].id", "duplicate track id 1 (also tracks[0])"));
	expect_order(&l, "1 2");
	unload(&l);
}

/* A long chain and a long cycle, built as text. */
static char *many_tracks(size_t n, bool cycle)
{
	size_t cap = n * 160 + 16, len = 0, i;
	char *s = malloc(cap);

	for (i = 1; i <= n; i++) {
		char deps[32] = "";

		if (i > 1)
			snprintf(deps, sizeof(deps), "%zu", i - 1);
		else if (cycle)
			snprintf(deps, sizeof(deps), "%zu", n);
		len += (size_t)snprintf(s + len, cap - len,
					"%s{\"id\":%zu,\"name\":\"t\",\"packet\":\"p.md\",\"worktree\":\"/w\","
					"\"branch\":\"b\",\"depends_on\":[%s]}",
					i > 1 ? "," : "", i, deps);
	}
	return s;
}

static void long_cycle_is_elided(void **state)
{
	char *tracks = many_tracks(50, true);
	loaded l;

	(void)state;
	t_write(dir, "p.md", "### Task 1: x\n");
	l = load(tracks, 0);
	assert_true(t_has_diag(&l.d, "tracks[0].depends_on[0]",
			       "circular dependency: 1 -> 50 -> 49 -> 48 -> 47 -> 46 -> 45 -> 44 -> ... -> 3 -> 2 -> 1 (50 tracks)"));
	unload(&l);
	free(tracks);
}

static void a_100k_chain_needs_no_recursion(void **state)
{
	char *tracks = many_tracks(100000, false);
	loaded l;
	size_t n;

	(void)state;
	t_write(dir, "p.md", "### Task 1: x\n");
	l = load(tracks, 0);
	assert_int_equal(l.error, 0);
	pd_dag_order(l.g, &n);
	assert_int_equal(n, 100000);
	unload(&l);
	free(tracks);
	tracks = many_tracks(100000, true);
	l = load(tracks, 0);
	assert_int_equal(l.error, PD_EINVALID);
	assert_true(t_has_diag(&l.d, NULL, "(100000 tracks)"));
	unload(&l);
	free(tracks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, t_setup, t_teardown)
		T(order_is_stable_lowest_id_first),
		T(dependencies_come_first),
		T(diamond_orders_and_exposes_edges),
		T(cycle_is_reported_with_its_path),
		T(cycle_path_starts_at_its_lowest_id),
		T(two_cycles_are_both_reported),
		T(self_unknown_and_repeated_dependencies_are_located),
		T(duplicate_ids_are_located),
		T(long_cycle_is_elided),
		T(a_100k_chain_needs_no_recursion),
#undef T
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	pd_git_shutdown();
	return failed;
}
