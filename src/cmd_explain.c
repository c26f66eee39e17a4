/* cmd_explain.c - `matrixc explain CELL`: a cell's final values and where
 * each came from.
 *
 * Runs the whole pipeline (hooks included), finds the cell by tag, alias
 * or VERSION/VARIANT (skipped cells too, so a person can see why one is
 * missing), and prints one row per value: field, value, provenance. The
 * provenance is a matrix.yaml or lock file position, a hook file and line,
 * or "default" for a built-in value. Rows are collected first so that the
 * provenance column lines up.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "emit.h"

#define VALUE_COLUMN_MAX 48
#define FIELD_COLUMN 14 /* get_pip_sha256 */

typedef struct {
	const char *field; /* NULL for an entry of the list above it */
	const char *value;
	const char *from;
} row;

typedef struct {
	arena *a;
	row *v;
	size_t n, cap;
} rows;

static const char *provenance(arena *a, srcpos at)
{
	if (!at.file)
		return "default";
	if (at.line && at.col)
		return arena_printf(a, "%s:%u:%u", at.file, at.line, at.col);
	if (at.line)
		return arena_printf(a, "%s:%u", at.file, at.line);
	return at.file;
}

static void add(rows *r, const char *field, const char *value,
		const char *from)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		r->v = arena_grow(r->a, r->v, r->cap * sizeof *r->v,
				  cap * sizeof *r->v);
		r->cap = cap;
	}
	r->v[r->n++] = (row){field, value, from};
}

static void add_str(rows *r, const char *field, pstr s)
{
	add(r, field, s.s ? s.s : "(none)",
	    s.s || s.at.file ? provenance(r->a, s.at) : "");
}

static void add_bool(rows *r, const char *field, pbool b)
{
	add(r, field, b.on ? "true" : "false", provenance(r->a, b.at));
}

/* A list: its entries in the value column, the first on the field's row. */
static void add_list(rows *r, const char *field, const strlist *l)
{
	if (!l->n)
		add(r, field, "(empty)", "");
	for (size_t i = 0; i < l->n; i++)
		add(r, i ? NULL : field, l->v[i].s,
		    provenance(r->a, l->v[i].at));
}

/* What the Dockerfile downloads: the url itself, or its path under
 * PYTHON_MIRROR when the build sets that argument. */
static void add_fetch(rows *r, const cell *c)
{
	if (!c->url.s)
		return;
	buf path;
	buf_init(&path, 0);
	emit_mirror_path(&path, c->url.s);
	add(r, "fetches", c->url.s, "(the url, unless PYTHON_MIRROR is set)");
	add(r, NULL, arena_printf(r->a, "or $PYTHON_MIRROR/%s", buf_str(&path)),
	    "");
	buf_release(&path);
}

static void collect(rows *r, const cell *c)
{
	add(r, "version", c->version_str, provenance(r->a, c->origin));
	add(r, "series", c->series, "");
	add(r, "variant", c->variant->name.s, provenance(r->a, c->variant->name.at));
	if (c->skip)
		add_str(r, "skip", c->skip_reason);
	add_bool(r, "pgo", c->pgo);
	add_bool(r, "lto", c->lto);
	add_bool(r, "pip", c->pip);
	add_str(r, "base", c->base);
	add_str(r, "url", c->url);
	add_fetch(r, c);
	add_str(r, "sha256", c->sha256);
	add_str(r, "get_pip_url", c->get_pip_url);
	add_str(r, "get_pip_sha256", c->get_pip_sha256);
	add_str(r, "tag", c->tag);
	add_list(r, "aliases", &c->aliases);
	add_list(r, "configure", &c->configure);
	add_list(r, "make_flags", &c->make_flags);
	add_list(r, "env", &c->env);
	add_list(r, "build_args", &c->build_args);
	add_list(r, "build_packages", &c->build_packages);
	add_list(r, "run_packages", &c->run_packages);
	if (!c->skip) {
		add(r, "dockerfile", c->dockerfile, "");
		add(r, "job", c->job, "");
	}
}

/* field, value and provenance columns; a value wider than the cap pushes
 * its own provenance right rather than every other row's */
static void print_rows(const rows *r, FILE *out)
{
	int w = 0;
	for (size_t i = 0; i < r->n; i++) {
		int n = (int)strlen(r->v[i].value);
		if (r->v[i].from[0] && n > w && n <= VALUE_COLUMN_MAX)
			w = n;
	}
	for (size_t i = 0; i < r->n; i++) {
		const row *x = &r->v[i];
		fprintf(out, "  %-*s ", FIELD_COLUMN, x->field ? x->field : "");
		if (x->from[0])
			fprintf(out, "%-*s  %s\n", w, x->value, x->from);
		else
			fprintf(out, "%s\n", x->value);
	}
}

/* Tags of every cell, for "did you mean". */
static const char *suggest(const compilation *c, const char *name)
{
	const char **tags = arena_alloc(c->a, (c->all.n + 1) * sizeof *tags);
	for (size_t i = 0; i < c->all.n; i++)
		tags[i] = c->all.v[i]->tag.s ? c->all.v[i]->tag.s : "";
	return diag_suggest(name, tags, c->all.n);
}

static int explain(const compilation *c, const cli_opts *o, const char *name)
{
	const cell *x = plan_find(&c->p, &c->all, name);
	if (!x) {
		const char *s = suggest(c, name);
		fprintf(o->err, "matrixc: error: no cell is named '%s' (name a "
			"cell by tag, alias or VERSION/VARIANT)", name);
		if (s)
			fprintf(o->err, "; did you mean '%s'?", s);
		fputc('\n', o->err);
		return EXIT_INPUT;
	}
	rows r = {.a = c->a};
	fprintf(o->out, "cell %s/%s%s\n", x->version_str, x->variant->name.s,
		x->skip ? " (skipped: it is not generated)" : "");
	collect(&r, x);
	print_rows(&r, o->out);
	return EXIT_OK;
}

int cmd_explain(const cli_opts *o)
{
	if (o->nargs != 1) {
		fputs("matrixc: error: explain takes one cell: a tag "
		      "(3.13.5-wee) or VERSION/VARIANT (3.13/wee)\n", o->err);
		return EXIT_INPUT;
	}
	compilation c;
	int r = compile_run(&c, o, UPTO_PLAN);
	compile_report(&c, o);
	if (!r)
		r = explain(&c, o, o->args[0]);
	compile_release(&c);
	return r;
}
