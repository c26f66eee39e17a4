/* plan.c - the checks that need the final cells, and derived names.
 *
 * Runs after the hooks, so everything a hook set is checked here against
 * the grammars of names.h before any emitter sees it. Tag collisions are
 * found with one hash table over every tag and alias: linear in the
 * number of tags, whatever the matrix size.
 */
#include "plan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "names.h"

typedef struct {
	arena *a;
	diag *d;
	const matrix *m;
} planner;

/* s as it may appear in a message: a hook's value can hold line breaks
 * and terminal escapes, which would forge lines of the report or drive
 * the terminal, so control bytes are shown as \n or \xNN, and long
 * values are cut. */
static const char *shown(arena *a, const char *s)
{
	buf b;
	buf_init(&b, 0);
	size_t n = 0;
	for (const unsigned char *q = (const unsigned char *)s; *q; q++, n++) {
		if (n == 200) {
			buf_puts(&b, "...");
			break;
		}
		if (*q == '\n')
			buf_puts(&b, "\\n");
		else if (*q < 0x20 || *q == 0x7f)
			buf_printf(&b, "\\x%02x", *q);
		else
			buf_putc(&b, (char)*q);
	}
	const char *out = arena_strdup(a, buf_str(&b));
	buf_release(&b);
	return out;
}

static void check_value(planner *p, const cell *c, const char *field,
			pstr v, const char *(*check)(const char *))
{
	const char *why = check(v.s);
	if (why)
		diag_error(p->d, v.at, "cell %s/%s: invalid %s '%s': %s",
			   c->version_str, c->variant->name.s, field,
			   shown(p->a, v.s), why);
}

static void check_list(planner *p, const cell *c, const char *field,
		       const strlist *l, const char *(*check)(const char *))
{
	for (size_t i = 0; i < l->n; i++)
		check_value(p, c, field, l->v[i], check);
}

/* NAME=value with a valid name and a value free of control characters */
static const char *check_assignment(const char *s)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return "expected NAME=value";
	char name[130];
	size_t n = (size_t)(eq - s);
	if (n >= sizeof name)
		return "a variable name is at most 128 characters";
	memcpy(name, s, n);
	name[n] = '\0';
	const char *why = name_check_env_name(name);
	return why ? why : name_check_text(eq + 1);
}

static void check_cell(planner *p, const cell *c)
{
	check_value(p, c, "tag", c->tag, name_check_tag);
	check_list(p, c, "alias", &c->aliases, name_check_tag);
	check_value(p, c, "base image", c->base, name_check_image);
	check_value(p, c, "url", c->url, name_check_url);
	check_value(p, c, "sha256", c->sha256, name_check_sha256);
	check_list(p, c, "configure flag", &c->configure, name_check_flag);
	check_list(p, c, "make flag", &c->make_flags, name_check_flag);
	check_list(p, c, "environment variable", &c->env, check_assignment);
	check_list(p, c, "build argument", &c->build_args, check_assignment);
	check_list(p, c, "build package", &c->build_packages, name_check_package);
	check_list(p, c, "run-time package", &c->run_packages, name_check_package);
	if (c->get_pip_url.s)
		check_value(p, c, "get-pip url", c->get_pip_url, name_check_url);
	if (c->get_pip_sha256.s)
		check_value(p, c, "get-pip sha256", c->get_pip_sha256,
			    name_check_sha256);
}

static void derive_names(planner *p, cell *c)
{
	c->dir = arena_printf(p->a, "%s/%s", c->version_str, c->variant->name.s);
	c->dockerfile = arena_printf(p->a, "%s/Dockerfile", c->dir);
	c->job = arena_printf(p->a, "build:%s", c->tag.s);
}

/* --- tag collisions ----------------------------------------------------- */

typedef struct {
	const char *tag;
	const cell *owner;
} slot;

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

static size_t table_size(size_t n)
{
	size_t size = 16;
	while (size < n * 2)
		size *= 2;
	return size;
}

/* Insert tag; returns the previous owner when the tag is taken. */
static const cell *claim(slot *t, size_t size, const char *tag, const cell *c)
{
	size_t i = (size_t)(hash(tag) & (size - 1));
	while (t[i].tag) {
		if (strcmp(t[i].tag, tag) == 0)
			return t[i].owner;
		i = (i + 1) & (size - 1);
	}
	t[i] = (slot){tag, c};
	return NULL;
}

static void claim_tag(planner *p, slot *t, size_t size, pstr tag,
		      const cell *c)
{
	const cell *prev = claim(t, size, tag.s, c);
	if (!prev)
		return;
	if (prev == c)
		diag_error(p->d, tag.at, "cell %s/%s has tag '%s' twice",
			   c->version_str, c->variant->name.s, tag.s);
	else
		diag_error(p->d, tag.at,
			   "cells %s/%s and %s/%s would both be tagged '%s'",
			   prev->version_str, prev->variant->name.s,
			   c->version_str, c->variant->name.s, tag.s);
}

static void check_collisions(planner *p, const cellset *cs)
{
	size_t tags = 0;
	for (size_t i = 0; i < cs->n; i++)
		tags += 1 + cs->v[i]->aliases.n;
	size_t size = table_size(tags);
	slot *t = calloc(size, sizeof *t);
	if (!t)
		abort();
	for (size_t i = 0; i < cs->n; i++) {
		const cell *c = cs->v[i];
		claim_tag(p, t, size, c->tag, c);
		for (size_t j = 0; j < c->aliases.n; j++)
			claim_tag(p, t, size, c->aliases.v[j], c);
	}
	free(t);
}

static bool table_has(const slot *t, size_t size, const char *s)
{
	for (size_t i = (size_t)(hash(s) & (size - 1)); t[i].tag;
	     i = (i + 1) & (size - 1))
		if (strcmp(t[i].tag, s) == 0)
			return true;
	return false;
}

/* The Makefile has group targets named after each series and variant
 * (build-3.13, build-wee) beside the per-cell ones (build-TAG), so a tag
 * equal to a series or variant name would define one target twice. The
 * names go into two hash tables first: one lookup per cell. */
static void check_group_names(planner *p, const cellset *cs)
{
	const matrix *m = p->m;
	size_t nsize = table_size(m->nvariants + 1), ssize = table_size(cs->n);
	slot *names = calloc(nsize, sizeof *names);
	slot *series = calloc(ssize, sizeof *series);
	if (!names || !series)
		abort();
	claim(names, nsize, "help", NULL);
	for (size_t j = 0; j < m->nvariants; j++)
		if (m->variants[j].name.s)
			claim(names, nsize, m->variants[j].name.s, NULL);
	for (size_t j = 0; j < cs->n; j++)
		claim(series, ssize, cs->v[j]->series, NULL);
	for (size_t i = 0; i < cs->n; i++) {
		const cell *c = cs->v[i];
		bool clash = table_has(names, nsize, c->tag.s);
		pyversion v;
		/* only a tag shaped like a series can name one */
		if (!clash && version_parse(c->tag.s, &v) && !v.has_patch)
			clash = table_has(series, ssize, c->tag.s);
		if (clash)
			diag_error(p->d, c->tag.at,
				   "cell %s/%s: tag '%s' is also the name of a "
				   "group of cells in the Makefile",
				   c->version_str, c->variant->name.s, c->tag.s);
	}
	free(names);
	free(series);
}

/* Why each cell was skipped, at the hook line that skipped it; the first
 * few only, the rest are one look at `matrixc explain` away. */
static void note_skips(planner *p, const cellset *all)
{
	enum { SHOWN = 5 };
	for (size_t i = 0; i < all->n && i < SHOWN; i++) {
		const cell *c = all->v[i];
		diag_note(p->d, c->skip_reason.at, "%s/%s skipped: %s",
			  c->version_str, c->variant->name.s,
			  c->skip_reason.s ? shown(p->a, c->skip_reason.s)
					   : "no reason given");
	}
	if (all->n > SHOWN)
		diag_note(p->d, srcpos_file(NULL), "and %zu more cells",
			  all->n - SHOWN);
}

bool plan_build(arena *a, diag *d, const matrix *m, const cellset *all,
		plan *out)
{
	planner p = {a, d, m};
	unsigned errors = diag_errors(d);
	memset(out, 0, sizeof *out);
	out->m = m;
	for (size_t i = 0; i < all->n; i++) {
		cell *c = all->v[i];
		if (c->skip)
			continue;
		check_cell(&p, c);
		derive_names(&p, c);
		cellset_add(a, &out->cells, c);
	}
	if (all->n && !out->cells.n) {
		diag_warning(d, srcpos_file(m->file),
			     "every cell was skipped by the hooks; nothing to generate");
		note_skips(&p, all);
		return false;
	}
	if (diag_errors(d) != errors)
		return false;
	check_collisions(&p, &out->cells);
	check_group_names(&p, &out->cells);
	return diag_errors(d) == errors;
}

static bool names_cell(const cell *c, const char *name)
{
	if (c->tag.s && strcmp(c->tag.s, name) == 0)
		return true;
	if (strlist_has(&c->aliases, name))
		return true;
	const char *slash = strchr(name, '/');
	if (!slash)
		return false;
	size_t n = (size_t)(slash - name);
	bool version = (strlen(c->version_str) == n &&
			!strncmp(c->version_str, name, n)) ||
		       (strlen(c->series) == n && !strncmp(c->series, name, n)) ||
		       (strlen(c->spec) == n && !strncmp(c->spec, name, n));
	return version && strcmp(slash + 1, c->variant->name.s) == 0;
}

const cell *plan_find(const plan *p, const cellset *all, const char *name)
{
	for (size_t i = 0; i < p->cells.n; i++)
		if (names_cell(p->cells.v[i], name))
			return p->cells.v[i];
	for (size_t i = 0; all && i < all->n; i++)
		if (names_cell(all->v[i], name))
			return all->v[i];
	return NULL;
}
