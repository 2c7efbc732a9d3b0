/* cli_plan.c - `packetdeck plan PACKET_DIR`: order, action and reason per track,
 * as text, JSON, Graphviz dot or Mermaid. */
#include "cli.h"
#include "packetdeck/plan.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: packetdeck plan [--resume] [--json | --dot | --mermaid] PACKET_DIR\n"
	"\n"
	"Print the execution order (dependencies first; among tracks that are\n"
	"ready together, the lowest id first) and, for each track, what\n"
	"'packetdeck run' would do with it and why:\n"
	"  skip     complete (its completion marker is valid)\n"
	"  run      from its first task: ready, or after tracks this run does first,\n"
	"           or again after a failure or interruption (without --resume)\n"
	"  resume   from its checkpoint's next task (with --resume)\n"
	"  wait     it, or a track it needs, is running elsewhere: wait or abort\n"
	"  halt     the run would stop here (a corrupt marker, or with --resume a\n"
	"           corrupt checkpoint)\n"
	"Changes nothing.\n"
	"\n"
	"  --resume    plan as 'run --resume' would\n"
	"  --json      one JSON document\n"
	"  --dot       the graph in Graphviz dot (edges point from a dependency to\n"
	"              the track that needs it)\n"
	"  --mermaid   the graph as a Mermaid flowchart\n"
	"\n"
	"exit status: 0 shown, 2 invalid packet dir or usage.\n";

/* Width of a UTF-8 string in characters (close enough for alignment). */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void print_text(const pd_pktdir *pd, const pd_snapshot *s, const pd_plan *p, bool resume)
{
	size_t k, w = 0, todo = 0;
	const pd_manifest *m = pd->manifest;

	for (k = 0; k < p->nsteps; k++) {
		size_t tw = width(m->tracks[p->steps[k].track].name);

		w = tw > w ? tw : w;
		todo += p->steps[k].action != PD_ACTION_SKIP;
	}
	if (w > 32)
		w = 32;
	printf("Plan for %s%s: %zu track%s, %zu complete, %zu to do\n", m->feature,
	       resume ? " (--resume)" : "", m->ntracks, m->ntracks == 1 ? "" : "s", s->completed,
	       todo);
	for (k = 0; k < p->nsteps; k++) {
		const pd_step *st = &p->steps[k];
		const pd_track *t = &m->tracks[st->track];
		size_t tw = width(t->name);

		printf("%3zu. Track %ld: %s%*s  %-6s  %s\n", k + 1, t->id, t->name,
		       (int)(tw < w ? w - tw : 0), "", pd_action_name(st->action), st->reason);
	}
}

static int print_json(const pd_pktdir *pd, const pd_plan *p, bool resume)
{
	cJSON *root = cJSON_CreateObject(), *steps;
	size_t k, j;

	cJSON_AddStringToObject(root, "feature", pd->manifest->feature);
	cJSON_AddBoolToObject(root, "resume", resume);
	steps = cJSON_AddArrayToObject(root, "steps");
	for (k = 0; k < p->nsteps; k++) {
		const pd_step *st = &p->steps[k];
		const pd_track *t = &pd->manifest->tracks[st->track];
		cJSON *o = cJSON_CreateObject(), *deps;

		cJSON_AddNumberToObject(o, "position", (double)(k + 1));
		cJSON_AddNumberToObject(o, "track", (double)t->id);
		cJSON_AddStringToObject(o, "name", t->name);
		cJSON_AddStringToObject(o, "action", pd_action_name(st->action));
		if (st->from_task)
			cJSON_AddStringToObject(o, "from_task", st->from_task);
		else
			cJSON_AddNullToObject(o, "from_task");
		cJSON_AddStringToObject(o, "reason", st->reason);
		deps = cJSON_AddArrayToObject(o, "depends_on");
		for (j = 0; j < t->ndeps; j++)
			cJSON_AddItemToArray(deps, cJSON_CreateNumber((double)t->depends_on[j]));
		cJSON_AddItemToArray(steps, o);
	}
	return cli_print_json(root);
}

/* Print s inside a quoted dot string: backslash and quote escaped. */
static void dot_escape(const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
}

/* Mermaid labels take entity codes for characters that would end them. */
static void mermaid_escape(const char *s)
{
	for (; *s; s++) {
		if (strchr("\"#<>", *s))
			printf("#%d;", *s);
		else
			putchar(*s);
	}
}

static void print_graph(const pd_pktdir *pd, const pd_plan *p, bool mermaid)
{
	const pd_manifest *m = pd->manifest;
	size_t k, j, nd;

	if (mermaid) {
		printf("flowchart LR\n");
	} else {
		printf("digraph \"");
		dot_escape(m->feature);
		printf("\" {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
	}
	for (k = 0; k < p->nsteps; k++) {
		const pd_track *t = &m->tracks[p->steps[k].track];

		printf(mermaid ? "  t%ld[\"%ld: " : "  t%ld [label=\"%ld: ", t->id, t->id);
		if (mermaid)
			mermaid_escape(t->name);
		else
			dot_escape(t->name);
		printf(mermaid ? " (%s)\"]\n" : "\\n%s\"];\n", pd_action_name(p->steps[k].action));
	}
	for (k = 0; k < p->nsteps; k++) {
		size_t i = p->steps[k].track;
		const size_t *deps = pd_dag_deps(pd->dag, i, &nd);

		for (j = 0; j < nd; j++)
			printf(mermaid ? "  t%ld --> t%ld\n" : "  t%ld -> t%ld;\n",
			       m->tracks[deps[j]].id, m->tracks[i].id);
	}
	if (!mermaid)
		printf("}\n");
}

int cli_plan(int argc, char **argv)
{
	bool json = false, dot = false, mermaid = false, resume = false;
	const cli_opt opts[] = {{"--json", &json, NULL},
				{"--dot", &dot, NULL},
				{"--mermaid", &mermaid, NULL},
				{"--resume", &resume, NULL},
				{NULL, NULL, NULL}};
	const char *dir;
	pd_pktdir *pd = NULL;
	pd_snapshot *s = NULL;
	pd_plan *p = NULL;
	int status = PD_EXIT_OK;

	if (!cli_parse(argc, argv, "plan", opts, help, &dir, &status))
		return status;
	if (json + dot + mermaid > 1) {
		fprintf(stderr, "packetdeck plan: choose one of --json, --dot and --mermaid\n");
		return PD_EXIT_USAGE;
	}
	if (!cli_load(&pd, dir, &status))
		return status;
	if (pd_snapshot_take(&s, pd) < 0 || pd_plan_make(&p, pd, s, resume) < 0) {
		fprintf(stderr, "packetdeck: %s\n", pd_error_last());
		status = PD_EXIT_USAGE;
	} else if (json) {
		status = print_json(pd, p, resume);
	} else if (dot || mermaid) {
		print_graph(pd, p, mermaid);
	} else {
		print_text(pd, s, p, resume);
	}
	pd_plan_free(p);
	pd_snapshot_free(s);
	pd_pktdir_free(pd);
	return status;
}
