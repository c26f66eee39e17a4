/* plan_json.c - the plan's cells as JSON, through jansson (list and
 * explain).
 *
 * The tree is built per call and released before returning; strings are
 * copied by jansson, so nothing here outlives the plan.
 */
#include "plan_json.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* s as a JSON string, or null for NULL. jansson takes UTF-8 only, and a
 * skipped cell's values were never checked: a string that is not UTF-8
 * shows each byte past ASCII as '?' rather than vanish. */
static json_t *opt_string(const char *s)
{
	if (!s)
		return json_null();
	json_t *v = json_string(s);
	if (v)
		return v;
	size_t n = strlen(s);
	char *copy = malloc(n + 1);
	if (!copy)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	v = json_string(copy);
	free(copy);
	return v;
}

static json_t *strings(const strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, opt_string(l->v[i].s));
	return a;
}

/* {platform: "hook.lua:LINE: reason"}, as "skipped" reads */
static json_t *dropped(const cell *c)
{
	json_t *o = json_object();
	for (size_t i = 0; i < c->dropped.n; i++)
		json_object_set_new(o, c->dropped.v[i].s,
				    json_sprintf("%s:%u: %s",
						 c->dropped.v[i].at.file
						     ? c->dropped.v[i].at.file
						     : "?",
						 c->dropped.v[i].at.line,
						 c->drop_reasons.v[i].s));
	return o;
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
	json_object_set_new(o, "base", opt_string(c->base.s));
	json_object_set_new(o, "url", opt_string(c->url.s));
	json_object_set_new(o, "sha256", opt_string(c->sha256.s));
	json_object_set_new(o, "get_pip_url", opt_string(c->get_pip_url.s));
	json_object_set_new(o, "configure", strings(&c->configure));
	json_object_set_new(o, "make_flags", strings(&c->make_flags));
	json_object_set_new(o, "env", strings(&c->env));
	json_object_set_new(o, "build_args", strings(&c->build_args));
	json_object_set_new(o, "build_packages", strings(&c->build_packages));
	json_object_set_new(o, "run_packages", strings(&c->run_packages));
	json_object_set_new(o, "tag", opt_string(c->tag.s));
	json_object_set_new(o, "aliases", strings(&c->aliases));
	json_object_set_new(o, "platforms", strings(&c->platforms));
	if (c->dropped.n)
		json_object_set_new(o, "dropped_platforms", dropped(c));
	json_object_set_new(o, "dockerfile", opt_string(c->dockerfile));
	json_object_set_new(o, "job", opt_string(c->job));
	if (c->skip) {
		const char *why = c->skip_reason.s ? c->skip_reason.s : "";
		json_t *s = c->skip_reason.at.file
				? json_sprintf("%s:%u: %s", c->skip_reason.at.file,
					       c->skip_reason.at.line, why)
				: opt_string(why);
		json_object_set_new(o, "skipped", s);
	}
	return o;
}

/* Write v (released) with a final newline. */
static bool dump(json_t *v, FILE *out)
{
	if (!v)
		return false;
	int r = json_dumpf(v, out, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(v);
	return r == 0 && fputc('\n', out) != EOF;
}

bool plan_json_write(const cellset *all, FILE *out)
{
	json_t *a = json_array();
	for (size_t i = 0; i < all->n; i++)
		json_array_append_new(a, cell_json(all->v[i]));
	return dump(a, out);
}

/* --- explain ---------------------------------------------------------- */

/* {"file", "line", "col"} (line and col when known), or null: a
 * built-in default */
static json_t *position(srcpos at)
{
	if (!at.file)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "file", json_string(at.file));
	if (at.line)
		json_object_set_new(o, "line", json_integer(at.line));
	if (at.col)
		json_object_set_new(o, "col", json_integer(at.col));
	return o;
}

static json_t *sourced(json_t *value, srcpos from)
{
	json_t *o = json_object();
	json_object_set_new(o, "value", value);
	json_object_set_new(o, "from", position(from));
	return o;
}

/* {"entries": [{"value", "from"}...], "removed": [{"value", "by"}...]} */
static json_t *sourced_list(const cell *c, const char *field,
			    const strlist *l)
{
	json_t *entries = json_array(), *removed = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(entries, sourced(opt_string(l->v[i].s),
						       l->v[i].at));
	for (size_t i = 0; i < c->nremoved; i++) {
		const removal *x = &c->removed[i];
		if (strcmp(x->field, field) != 0)
			continue;
		json_t *o = json_object();
		json_object_set_new(o, "value", opt_string(x->value));
		json_object_set_new(o, "by", position(x->by));
		json_array_append_new(removed, o);
	}
	json_t *o = json_object();
	json_object_set_new(o, "entries", entries);
	json_object_set_new(o, "removed", removed);
	return o;
}

static json_t *explain_fields(const cell *c)
{
	json_t *f = json_object();
	const struct {
		const char *name;
		pstr v;
	} strs[] = {{"base", c->base}, {"url", c->url}, {"sha256", c->sha256},
		    {"get_pip_url", c->get_pip_url},
		    {"get_pip_sha256", c->get_pip_sha256}, {"tag", c->tag}};
	const struct {
		const char *name;
		const strlist *l;
	} lists[] = {{"aliases", &c->aliases}, {"configure", &c->configure},
		     {"make_flags", &c->make_flags}, {"env", &c->env},
		     {"build_args", &c->build_args},
		     {"build_packages", &c->build_packages},
		     {"run_packages", &c->run_packages}};
	json_object_set_new(f, "version", sourced(json_string(c->version_str),
						  c->origin));
	json_object_set_new(f, "series", sourced(json_string(c->series),
						 srcpos_file(NULL)));
	json_object_set_new(f, "variant",
			    sourced(json_string(c->variant->name.s),
				    c->variant->name.at));
	json_object_set_new(f, "pgo", sourced(json_boolean(c->pgo.on), c->pgo.at));
	json_object_set_new(f, "lto", sourced(json_boolean(c->lto.on), c->lto.at));
	json_object_set_new(f, "pip", sourced(json_boolean(c->pip.on), c->pip.at));
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
		json_object_set_new(f, strs[i].name,
				    sourced(opt_string(strs[i].v.s), strs[i].v.at));
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
		json_object_set_new(f, lists[i].name,
				    sourced_list(c, lists[i].name, lists[i].l));
	return f;
}

static json_t *cell_name(const cell *c)
{
	return json_sprintf("%s/%s", c->version_str, c->variant->name.s);
}

bool plan_json_explain(const cell *c, const char *mirror, FILE *out)
{
	json_t *o = json_object();
	json_object_set_new(o, "cell", cell_name(c));
	json_object_set_new(o, "status",
			    json_string(c->skip ? "skipped" : "generated"));
	if (c->skip) {
		json_t *s = json_object();
		json_object_set_new(s, "reason", opt_string(c->skip_reason.s));
		json_object_set_new(s, "by", position(c->skip_reason.at));
		json_object_set_new(o, "skipped", s);
	}
	json_object_set_new(o, "fields", explain_fields(c));
	if (c->url.s) {
		json_t *f = json_object();
		json_object_set_new(f, "url", opt_string(c->url.s));
		json_object_set_new(f, "mirror", mirror ? json_sprintf(
					   "$PYTHON_MIRROR/%s", mirror)
							: json_null());
		json_object_set_new(o, "fetches", f);
	}
	json_object_set_new(o, "dockerfile",
			    opt_string(c->skip ? NULL : c->dockerfile));
	json_object_set_new(o, "job", opt_string(c->skip ? NULL : c->job));
	return dump(o, out);
}

bool plan_json_excluded(const char *name, srcpos by, FILE *out)
{
	json_t *o = json_object();
	json_t *e = json_object();
	json_object_set_new(o, "cell", opt_string(name));
	json_object_set_new(o, "status", json_string("excluded"));
	json_object_set_new(e, "by", position(by));
	json_object_set_new(o, "excluded", e);
	return dump(o, out);
}
