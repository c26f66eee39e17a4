/* cmd_list.c - `matrixc list` and `matrixc list --json`.
 *
 * The table is for people: one line per cell, columns padded to their
 * widest value. The JSON is for scripts (plan_json.h).
 */
#include <string.h>

#include "cmd.h"
#include "plan_json.h"

static size_t widest(const plan *p, size_t min, const char *(*get)(const cell *))
{
	size_t w = min;
	for (size_t i = 0; i < p->cells.n; i++) {
		size_t n = strlen(get(p->cells.v[i]));
		if (n > w)
			w = n;
	}
	return w;
}

static const char *get_tag(const cell *c) { return c->tag.s; }
static const char *get_version(const cell *c) { return c->version_str; }
static const char *get_variant(const cell *c) { return c->variant->name.s; }

static int list_table(const plan *p, FILE *out)
{
	int wt = (int)widest(p, 3, get_tag);
	int wv = (int)widest(p, 7, get_version);
	int wr = (int)widest(p, 7, get_variant);
	fprintf(out, "%-*s  %-*s  %-*s  PGO  LTO  ALIASES\n", wt, "TAG", wv,
		"VERSION", wr, "VARIANT");
	for (size_t i = 0; i < p->cells.n; i++) {
		const cell *c = p->cells.v[i];
		fprintf(out, "%-*s  %-*s  %-*s  %-3s  %-3s ", wt, c->tag.s, wv,
			c->version_str, wr, c->variant->name.s,
			c->pgo.on ? "yes" : "no", c->lto.on ? "yes" : "no");
		for (size_t j = 0; j < c->aliases.n; j++)
			fprintf(out, " %s", c->aliases.v[j].s);
		fputc('\n', out);
	}
	return EXIT_OK;
}

static int list_json(const plan *p, FILE *out)
{
	return plan_json_write(p, out) ? EXIT_OK : EXIT_ENV;
}

int cmd_list(const cli_opts *o)
{
	compilation c;
	int r = compile_run(&c, o, UPTO_PLAN);
	compile_report(&c, o);
	if (!r)
		r = o->json ? list_json(&c.p, o->out) : list_table(&c.p, o->out);
	compile_release(&c);
	return r;
}
