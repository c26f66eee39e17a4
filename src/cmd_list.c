/* cmd_list.c - `matrixc list` and `matrixc list --json`.
 *
 * The table is for people: one line per cell, columns padded to their
 * widest value. The JSON is for scripts (plan_json.h).
 */
#include <stdbool.h>
#include <string.h>

#include "cmd.h"
#include "plan_json.h"

static size_t widest(const cellset *cells, size_t min,
		     const char *(*get)(const cell *))
{
	size_t w = min;
	for (size_t i = 0; i < cells->n; i++) {
		size_t n = strlen(get(cells->v[i]));
		if (n > w)
			w = n;
	}
	return w;
}

static const char *get_tag(const cell *c) { return c->tag.s; }
static const char *get_version(const cell *c) { return c->version_str; }
static const char *get_variant(const cell *c) { return c->variant->name.s; }

/* cells: the plan's, or with --all every cell, a skipped one with the
 * hook line that skipped it and why in place of its aliases */
static int list_table(const cellset *cells, FILE *out)
{
	int wt = (int)widest(cells, 3, get_tag);
	int wv = (int)widest(cells, 7, get_version);
	int wr = (int)widest(cells, 7, get_variant);
	fprintf(out, "%-*s  %-*s  %-*s  PGO  LTO  PIP  ALIASES\n", wt, "TAG",
		wv, "VERSION", wr, "VARIANT");
	for (size_t i = 0; i < cells->n; i++) {
		const cell *c = cells->v[i];
		/* the last column padded only when something follows it: no
		 * line ends in spaces */
		bool more = c->skip || c->aliases.n > 0;
		fprintf(out, "%-*s  %-*s  %-*s  %-3s  %-3s  %-*s", wt, c->tag.s,
			wv, c->version_str, wr, c->variant->name.s,
			c->pgo.on ? "yes" : "no", c->lto.on ? "yes" : "no",
			more ? 4 : 0, c->pip.on ? "yes" : "no");
		if (c->skip && c->skip_reason.at.file)
			fprintf(out, " (skipped by %s:%u: %s)",
				c->skip_reason.at.file, c->skip_reason.at.line,
				c->skip_reason.s ? c->skip_reason.s : "");
		else if (c->skip)
			fprintf(out, " (skipped%s%s)",
				c->skip_reason.s ? ": " : "",
				c->skip_reason.s ? c->skip_reason.s : "");
		for (size_t j = 0; !c->skip && j < c->aliases.n; j++)
			fprintf(out, " %s", c->aliases.v[j].s);
		fputc('\n', out);
	}
	return EXIT_OK;
}

int cmd_list(const cli_opts *o)
{
	compilation c;
	int r = compile_run(&c, o, UPTO_PLAN);
	compile_report(&c, o);
	if (!r)
		r = o->json ? (plan_json_write(&c.all, o->out) ? EXIT_OK
							       : EXIT_ENV)
			    : list_table(o->all ? &c.all : &c.p.cells, o->out);
	compile_release(&c);
	return r;
}
