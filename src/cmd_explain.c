/* cmd_explain.c - `matrixc explain [--json] CELL`: a cell's final values
 * and where each came from.
 *
 * Runs the whole pipeline (hooks included), finds the cell by tag, alias
 * or VERSION/VARIANT (skipped cells too, so a person can see why one is
 * missing), and prints one row per value: field, value, provenance. The
 * provenance is a matrix.yaml or lock file position, a hook file and line,
 * or "default" for a built-in value; after a list's entries come those a
 * hook removed, "removed by" its line. Rows are collected first so that the
 * provenance column lines up. --json writes the same facts through
 * plan_json.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "emit.h"
#include "expand.h"
#include "lock.h"
#include "plan_json.h"
#include "version.h"

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

/* A list: its entries in the value column, the first on the field's row,
 * then the entries hooks removed from it, each with the hook line. */
static void add_list(rows *r, const cell *c, const char *field,
		     const strlist *l)
{
	size_t shown = 0;
	for (size_t i = 0; i < l->n; i++, shown++)
		add(r, shown ? NULL : field, l->v[i].s,
		    provenance(r->a, l->v[i].at));
	for (size_t i = 0; i < c->nremoved; i++) {
		const removal *x = &c->removed[i];
		if (strcmp(x->field, field) != 0)
			continue;
		add(r, shown++ ? NULL : field, x->value,
		    arena_printf(r->a, "removed by %s",
				 provenance(r->a, x->by)));
	}
	if (!shown)
		add(r, field, "(empty)", "");
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
	add_list(r, c, "aliases", &c->aliases);
	add_list(r, c, "platforms", &c->platforms);
	for (size_t i = 0; i < c->dropped.n; i++)
		add(r, i ? NULL : "dropped",
		    arena_printf(r->a, "%s: %s", c->dropped.v[i].s,
				 c->drop_reasons.v[i].s),
		    provenance(r->a, c->dropped.v[i].at));
	add_list(r, c, "configure", &c->configure);
	add_list(r, c, "make_flags", &c->make_flags);
	add_list(r, c, "env", &c->env);
	add_list(r, c, "build_args", &c->build_args);
	add_list(r, c, "build_packages", &c->build_packages);
	add_list(r, c, "run_packages", &c->run_packages);
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

/* The name split into a version and a variant: VERSION/VARIANT, or a tag
 * VERSION-VARIANT. False when it is neither. */
static bool split_name(arena *a, const char *name, const char **ver,
		       const char **var)
{
	const char *sep = strchr(name, '/');
	if (!sep)
		sep = strchr(name, '-');
	if (!sep || sep == name || !sep[1])
		return false;
	*ver = arena_printf(a, "%.*s", (int)(sep - name), name);
	*var = sep + 1;
	pyversion v;
	bool pre;
	return version_parse_spec(*ver, &v, &pre);
}

/* The exclude that removed the cell the name means, if one did: the
 * name's version must be a versions entry or its release, its variant
 * one of the matrix's. */
static const match_rule *excluded_by(const compilation *c, const char *name)
{
	const char *ver, *var;
	if (!split_name(c->a, name, &ver, &var))
		return NULL;
	bool known = false;
	for (size_t i = 0; i < c->m.nvariants && !known; i++)
		known = c->m.variants[i].name.s &&
			strcmp(c->m.variants[i].name.s, var) == 0;
	if (!known)
		return NULL;
	for (size_t i = 0; i < c->m.nversions; i++) {
		const char *spec = c->m.versions[i].spec.s;
		const lock_entry *e = spec ? lock_find(&c->lock, spec) : NULL;
		pyversion got;
		if (!e || !version_parse(e->version.s, &got))
			continue;
		if (!expand_version_matches(ver, spec, &got))
			continue;
		for (size_t j = 0; j < c->m.nexcludes; j++) {
			const match_rule *r = &c->m.excludes[j];
			if ((!r->version.s ||
			     expand_version_matches(r->version.s, spec, &got)) &&
			    (!r->variant.s || strcmp(r->variant.s, var) == 0))
				return r;
		}
	}
	return NULL;
}

/* How far apart two versions are, for the nearest cells: the series
 * count more than the patch level. */
static unsigned long version_gap(const pyversion *a, const pyversion *b)
{
	unsigned long d = 0;
	d += (a->major > b->major ? a->major - b->major : b->major - a->major) *
	     1000000ul;
	d += (a->minor > b->minor ? a->minor - b->minor : b->minor - a->minor) *
	     1000ul;
	if (a->has_patch && b->has_patch)
		d += a->patch > b->patch ? a->patch - b->patch : b->patch - a->patch;
	return d;
}

/* "did you mean": when the name has a version and a variant of the
 * matrix, that variant's cells of the nearest version (up to three), so
 * that 3.14/wee gives 3.13.14/wee and not a cell a few keystrokes away;
 * else a cell whose tag, alias or VERSION/VARIANT is a few edits from the
 * name. */
static const char *nearest_version(const compilation *c, const char *name);

static const char *suggest(const compilation *c, const char *name)
{
	const char *by_version = nearest_version(c, name);
	if (by_version)
		return by_version;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < c->all.n; i++)
		cap += 2 + c->all.v[i]->aliases.n;
	const char **names = arena_alloc(c->a, (cap + 1) * sizeof *names);
	for (size_t i = 0; i < c->all.n; i++) {
		const cell *x = c->all.v[i];
		if (x->tag.s)
			names[n++] = x->tag.s;
		for (size_t j = 0; j < x->aliases.n; j++)
			names[n++] = x->aliases.v[j].s;
		names[n++] = arena_printf(c->a, "%s/%s", x->version_str,
					  x->variant->name.s);
	}
	const char *near = diag_suggest(name, names, n);
	return near ? arena_printf(c->a, "'%s'", near) : NULL;
}

static const char *nearest_version(const compilation *c, const char *name)
{
	const char *ver, *var;
	pyversion want;
	bool pre;
	if (!split_name(c->a, name, &ver, &var) ||
	    !version_parse_spec(ver, &want, &pre))
		return NULL;
	unsigned long best = (unsigned long)-1;
	for (size_t i = 0; i < c->all.n; i++) {
		const cell *x = c->all.v[i];
		unsigned long g = version_gap(&want, &x->version);
		if (!strcmp(x->variant->name.s, var) && g < best)
			best = g;
	}
	buf b;
	buf_init(&b, 4096);
	size_t k = 0;
	for (size_t i = 0; i < c->all.n && k < 3; i++) {
		const cell *x = c->all.v[i];
		if (strcmp(x->variant->name.s, var) ||
		    version_gap(&want, &x->version) != best)
			continue;
		buf_printf(&b, "%s'%s/%s'", k ? " or " : "", x->version_str, var);
		k++;
	}
	const char *r = k ? arena_strdup(c->a, buf_str(&b)) : NULL;
	buf_release(&b);
	return r;
}

static int write_failed(const cli_opts *o)
{
	fputs("matrixc: error: cannot write the JSON (out of memory, or "
	      "standard output closed)\n", o->err);
	return EXIT_ENV;
}

/* explain --json: the same facts, through plan_json. */
static int explain_json(const cell *x, const cli_opts *o)
{
	buf path;
	buf_init(&path, 0);
	if (x->url.s)
		emit_mirror_path(&path, x->url.s);
	bool ok = plan_json_explain(x, x->url.s ? buf_str(&path) : NULL, o->out);
	buf_release(&path);
	return ok ? EXIT_OK : write_failed(o);
}

static int explain(const compilation *c, const cli_opts *o, const char *name)
{
	const cell *x = plan_find(&c->p, &c->all, name);
	if (!x) {
		const match_rule *ex = excluded_by(c, name);
		if (ex && o->json && !plan_json_excluded(name, ex->at, o->out))
			return write_failed(o);
		if (ex) {
			fprintf(o->err, "matrixc: error: no cell is named "
				"'%s': it is excluded by %s:%u\n",
				name, c->m.file, ex->at.line);
			return EXIT_INPUT;
		}
		const char *s = suggest(c, name);
		fprintf(o->err, "matrixc: error: no cell is named '%s' (name a "
			"cell by tag, alias or VERSION/VARIANT)", name);
		if (s)
			fprintf(o->err, "; did you mean %s?", s);
		fputc('\n', o->err);
		return EXIT_INPUT;
	}
	if (o->json)
		return explain_json(x, o);
	rows r = {.a = c->a};
	if (x->skip && x->skip_reason.at.file)
		fprintf(o->out, "cell %s/%s (skipped by %s: %s; it is not "
			"generated)\n",
			x->version_str, x->variant->name.s,
			provenance(c->a, x->skip_reason.at),
			x->skip_reason.s ? x->skip_reason.s : "no reason given");
	else
		fprintf(o->out, "cell %s/%s%s\n", x->version_str,
			x->variant->name.s,
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
