/* cmd_list.c - `matrixc list` and `matrixc list --json`.
 *
 * The table is for people: one line per cell, columns padded to their
 * widest value. The JSON (through jansson) is for scripts: one object per
 * cell with every computed field, in plan order, keys sorted.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static json_t *strings(const strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i].s));
	return a;
}

static json_t *opt_string(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *cell_json(const cell *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "version", json_string(c->version_str));
	json_object_set_new(o, "series", json_string(c->series));
	json_object_set_new(o, "spec", json_string(c->spec));
	json_object_set_new(o, "variant", json_string(c->variant->name.s));
	json_object_set_new(o, "pgo", json_boolean(c->pgo.on));
	json_object_set_new(o, "lto", json_boolean(c->lto.on));
	json_object_set_new(o, "pip", json_boolean(c->pip.on));
	json_object_set_new(o, "base", json_string(c->base.s));
	json_object_set_new(o, "url", json_string(c->url.s));
	json_object_set_new(o, "sha256", json_string(c->sha256.s));
	json_object_set_new(o, "get_pip_url", opt_string(c->get_pip_url.s));
	json_object_set_new(o, "configure", strings(&c->configure));
	json_object_set_new(o, "make_flags", strings(&c->make_flags));
	json_object_set_new(o, "env", strings(&c->env));
	json_object_set_new(o, "build_args", strings(&c->build_args));
	json_object_set_new(o, "build_packages", strings(&c->build_packages));
	json_object_set_new(o, "run_packages", strings(&c->run_packages));
	json_object_set_new(o, "tag", json_string(c->tag.s));
	json_object_set_new(o, "aliases", strings(&c->aliases));
	json_object_set_new(o, "dockerfile", json_string(c->dockerfile));
	json_object_set_new(o, "job", json_string(c->job));
	return o;
}

static int list_json(const plan *p, FILE *out)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->cells.n; i++)
		json_array_append_new(a, cell_json(p->cells.v[i]));
	int r = json_dumpf(a, out, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(a);
	fputc('\n', out);
	return r == 0 ? EXIT_OK : EXIT_ENV;
}

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
