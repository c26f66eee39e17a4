/* plan_json.c - the plan's cells as JSON, through jansson.
 *
 * The tree is built per call and released before returning; strings are
 * copied by jansson, so nothing here outlives the plan.
 */
#include "plan_json.h"

#include <jansson.h>

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
				: json_string(why);
		json_object_set_new(o, "skipped", s);
	}
	return o;
}

bool plan_json_write(const cellset *all, FILE *out)
{
	json_t *a = json_array();
	for (size_t i = 0; i < all->n; i++)
		json_array_append_new(a, cell_json(all->v[i]));
	int r = json_dumpf(a, out, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(a);
	fputc('\n', out);
	return r == 0;
}
