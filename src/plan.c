/* plan.c - the checks that need the final cells, and derived names.
 *
 * Runs after the hooks, so everything a hook set is checked here against
 * the grammars of names.h before any emitter sees it. Tag collisions are
 * found with one hash table over every tag and alias: linear in the
 * number of tags, whatever the matrix size; a collision is blamed on the
 * hook line that made it, when a hook did. The plan also records where
 * matrix.yaml sits in its repository, so that the emitters write paths
 * from the root (the only file-system look-up of this phase: a stat per
 * directory upward, no git).
 */
#include "plan.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "lock.h"
#include "names.h"
#include "platform.h"
#include "strtab.h"

#define CELLS_LISTED 3 /* cells a repeated bad value names */

/* A value that fails its grammar, kept once per place and value: a hook
 * line (or a matrix.yaml entry) that gives many cells the same bad value
 * is one mistake, reported once with the cells it reached. */
typedef struct {
	srcpos at;
	const char *field, *value, *why;
	size_t ncells;
	const cell *cells[CELLS_LISTED];
} bad_value;

typedef struct {
	arena *a;
	diag *d;
	const matrix *m;
	bad_value *bad; /* in the order first found */
	size_t nbad, cap, nreported;
	strtab seen;    /* place, field, value and why -> index in bad */
} planner;

/* s as it may appear in a message: a hook's value can be long, so it is
 * cut (diag escapes any control bytes it holds). */
static const char *shown(arena *a, const char *s)
{
	if (strlen(s) <= 200)
		return s;
	return arena_printf(a, "%.200s...", s);
}

/* Cell c has the bad value v of field; why it is bad. */
static void bad(planner *p, const cell *c, const char *field, pstr v,
		const char *why)
{
	const char *file = v.at.file ? v.at.file : "";
	/* the file's length first, so that no file name can end where
	 * another key's fields begin */
	const char *key = arena_printf(p->a, "%zu:%s:%u:%u:%s:%s:%s",
				       strlen(file), file, v.at.line, v.at.col,
				       field, why, v.s);
	size_t i;
	if (!strtab_put(&p->seen, key, p->nbad, &i)) {
		bad_value *b = &p->bad[i];
		if (b->ncells < CELLS_LISTED)
			b->cells[b->ncells] = c;
		b->ncells++;
		return;
	}
	if (p->nbad == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->bad = xrealloc(p->bad, p->cap * sizeof *p->bad);
	}
	p->bad[p->nbad++] = (bad_value){v.at, field, v.s, why, 1, {c}};
}

/* Report the bad values found since the last report. */
static void report_bad(planner *p)
{
	for (size_t i = p->nreported; i < p->nbad; i++) {
		const bad_value *b = &p->bad[i];
		const cell *c = b->cells[0];
		if (b->ncells == 1) {
			diag_error(p->d, b->at, "cell %s/%s: invalid %s '%s': %s",
				   c->version_str, c->variant->name.s, b->field,
				   shown(p->a, b->value), b->why);
			continue;
		}
		buf cells;
		buf_init(&cells, 4096);
		for (size_t k = 0; k < b->ncells && k < CELLS_LISTED; k++)
			buf_printf(&cells, "%s%s/%s", k ? ", " : "",
				   b->cells[k]->version_str,
				   b->cells[k]->variant->name.s);
		if (b->ncells > CELLS_LISTED)
			buf_puts(&cells, ", \u2026");
		diag_error(p->d, b->at, "invalid %s '%s': %s (in %zu cells: %s)",
			   b->field, shown(p->a, b->value), b->why, b->ncells,
			   buf_str(&cells));
		buf_release(&cells);
	}
	p->nreported = p->nbad;
}

static void check_value(planner *p, const cell *c, const char *field,
			pstr v, const char *(*check)(const char *))
{
	const char *why = check(v.s);
	if (why)
		bad(p, c, field, v, why);
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

static const char *check_platform(const char *s)
{
	return platform_check(s, NULL);
}

/* A hook may drop or add platforms; what is left is checked as
 * matrix.yaml's are, and must not be empty: a cell that builds for no
 * platform is skipped with mx.skip, which says so, not by accident. */
static void check_platforms(planner *p, const cell *c)
{
	const strlist *l = &c->platforms;
	check_list(p, c, "platform", l, check_platform);
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < i; j++)
			if (platform_same(l->v[i].s, l->v[j].s)) {
				bool spelt = strcmp(l->v[i].s, l->v[j].s) != 0;
				diag_error(p->d, l->v[i].at,
					   "cell %s/%s: platform '%s' is listed "
					   "twice%s%s%s", c->version_str,
					   c->variant->name.s, l->v[i].s,
					   spelt ? " (as '" : "",
					   spelt ? l->v[j].s : "",
					   spelt ? "', the same platform)" : "");
				break;
			}
	if (!l->n)
		diag_error(p->d, c->dropped.n ? c->dropped.v[c->dropped.n - 1].at
					      : c->origin,
			   "cell %s/%s has no platform left to build for: skip "
			   "it with mx.skip(c, reason) instead",
			   c->version_str, c->variant->name.s);
}

static void check_cell(planner *p, const cell *c)
{
	check_platforms(p, c);
	check_value(p, c, "tag", c->tag, name_check_tag);
	check_list(p, c, "alias", &c->aliases, name_check_tag);
	check_value(p, c, "base image", c->base, name_check_image);
	const char *why = c->url.s ? lock_check_source_url(c->url.s,
							   c->version_str)
				   : NULL;
	if (why)
		bad(p, c, "url", c->url, why);
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

/* Every tag and alias claimed so far: which cell, and where the value was
 * set. The table maps a tag to its claim. */
typedef struct {
	size_t owner;
	srcpos at;
} claim;

/* A value set by a hook: its position names a file other than
 * matrix.yaml (built-in defaults have none). */
static bool from_hook(const planner *p, srcpos at)
{
	return at.file && strcmp(at.file, p->m->file) != 0;
}

static bool same_place(srcpos a, srcpos b)
{
	return a.file && b.file && strcmp(a.file, b.file) == 0 &&
	       a.line == b.line && a.col == b.col;
}

/* A tag claimed more than once: the first claim and a later one. */
typedef struct {
	size_t first, later;
} clash;

static int by_first(const void *pa, const void *pb)
{
	const clash *a = pa, *b = pb;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return (a->later > b->later) - (a->later < b->later);
}

#define CELLS_NAMED 6

/* One error per tag, whatever the number of cells that claim it: the
 * claims first..later of v[0..n). It is blamed on a claim a hook made,
 * when one did: the hook ran last, so its line is the one to change
 * (docs/hooks.md). The other claims get a note each at their own line
 * (once per line). */
static void collision(planner *p, const cellset *cs, const claim *claims,
		      const clash *v, size_t n, const char *tag)
{
	const claim *first = &claims[v[0].first];
	const claim *blame = &claims[v[0].later];
	for (size_t i = 0; i < n && !from_hook(p, blame->at); i++)
		if (from_hook(p, claims[v[i].later].at))
			blame = &claims[v[i].later];
	if (!from_hook(p, blame->at) && from_hook(p, first->at))
		blame = first;
	const cell *a = cs->v[first->owner];
	if (n == 1 && first->owner == claims[v[0].later].owner)
		diag_error(p->d, blame->at, "cell %s/%s has tag '%s' twice",
			   a->version_str, a->variant->name.s, tag);
	else if (n == 1) {
		const cell *b = cs->v[claims[v[0].later].owner];
		diag_error(p->d, blame->at,
			   "cells %s/%s and %s/%s would both be tagged '%s'",
			   a->version_str, a->variant->name.s, b->version_str,
			   b->variant->name.s, tag);
	} else {
		buf b;
		buf_init(&b, 4096);
		buf_printf(&b, "%s/%s", a->version_str, a->variant->name.s);
		for (size_t i = 0; i < n && i < CELLS_NAMED; i++) {
			const cell *c = cs->v[claims[v[i].later].owner];
			buf_printf(&b, "%s%s/%s",
				   i + 1 == n ? " and " : ", ", c->version_str,
				   c->variant->name.s);
		}
		if (n > CELLS_NAMED)
			buf_printf(&b, " and %zu more", n - CELLS_NAMED);
		diag_error(p->d, blame->at,
			   "%zu cells would all be tagged '%s': %s", n + 1, tag,
			   buf_str(&b));
		buf_release(&b);
	}
	srcpos noted[CELLS_NAMED + 1];
	size_t nnoted = 0;
	for (size_t i = 0; i <= n && nnoted < CELLS_NAMED + 1; i++) {
		const claim *c = i == 0 ? first : &claims[v[i - 1].later];
		bool seen = !c->at.file || same_place(c->at, blame->at);
		for (size_t j = 0; j < nnoted && !seen; j++)
			seen = same_place(noted[j], c->at);
		if (seen)
			continue;
		noted[nnoted++] = c->at;
		diag_note(p->d, c->at, "cell %s/%s gets '%s' here",
			  cs->v[c->owner]->version_str,
			  cs->v[c->owner]->variant->name.s, tag);
	}
}

/* The tag of c's image for its platform i (TAG-arm64), claimed where
 * the tag was set: a collision with it is fixed by changing either tag. */
static pstr platform_tag(planner *p, const cell *c, size_t i)
{
	char key[PLATFORM_KEY_MAX];
	platform_key(c->platforms.v[i].s, key);
	return (pstr){arena_printf(p->a, "%s-%s", c->tag.s, key), c->tag.at};
}

static void check_collisions(planner *p, const cellset *cs)
{
	size_t tags = 0, n = 0, nclash = 0;
	for (size_t i = 0; i < cs->n; i++)
		tags += 1 + cs->v[i]->aliases.n + cell_platform_tags(cs->v[i]);
	claim *claims = xrealloc(NULL, (tags + 1) * sizeof *claims);
	clash *clashes = xrealloc(NULL, (tags + 1) * sizeof *clashes);
	const char **names = xrealloc(NULL, (tags + 1) * sizeof *names);
	strtab t;
	strtab_init(&t, tags);
	for (size_t i = 0; i < cs->n; i++) {
		const cell *c = cs->v[i];
		size_t ntags = 1 + c->aliases.n + cell_platform_tags(c);
		for (size_t j = 0; j < ntags; j++) {
			pstr tag = j == 0		 ? c->tag
				   : j <= c->aliases.n ? c->aliases.v[j - 1]
						       : platform_tag(p, c, j - 1 - c->aliases.n);
			size_t prev;
			claims[n] = (claim){i, tag.at};
			names[n] = tag.s;
			if (!strtab_put(&t, tag.s, n, &prev))
				clashes[nclash++] = (clash){prev, n};
			n++;
		}
	}
	qsort(clashes, nclash, sizeof *clashes, by_first);
	for (size_t i = 0, j; i < nclash; i = j) {
		for (j = i; j < nclash && clashes[j].first == clashes[i].first;)
			j++;
		collision(p, cs, claims, &clashes[i], j - i,
			  names[clashes[i].first]);
	}
	strtab_release(&t);
	free(names);
	free(clashes);
	free(claims);
}

/* The Makefile has group targets named after each series and variant
 * (build-3.13, build-wee) beside the per-cell ones (build-TAG), so a tag
 * equal to a series or variant name would define one target twice. The
 * names go into one table first: one lookup per cell. */
static void check_group_names(planner *p, const cellset *cs)
{
	const matrix *m = p->m;
	strtab names;
	strtab_init(&names, m->nvariants + cs->n + 1);
	strtab_put(&names, "help", 0, NULL);
	for (size_t j = 0; j < m->nvariants; j++)
		if (m->variants[j].name.s)
			strtab_put(&names, m->variants[j].name.s, 0, NULL);
	for (size_t j = 0; j < cs->n; j++)
		strtab_put(&names, cs->v[j]->series, 0, NULL);
	for (size_t i = 0; i < cs->n; i++) {
		const cell *c = cs->v[i];
		if (strtab_get(&names, c->tag.s, NULL))
			bad(p, c, "tag", c->tag, "it is also the name of a "
			    "group of cells in the Makefile");
	}
	strtab_release(&names);
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

/* --- the repository root ----------------------------------------------- */

static bool has_git(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	int n = snprintf(path, sizeof path, "%s/.git", dir);
	return n > 0 && (size_t)n < sizeof path && lstat(path, &st) == 0;
}

const char *plan_repo_dir(arena *a, const char *dir)
{
	char *abs = realpath(dir ? dir : ".", NULL);
	if (!abs)
		return NULL;
	const char *found = NULL;
	size_t len = strlen(abs);
	/* abs, then each parent: cut at the last '/' each time */
	for (size_t end = len;;) {
		char keep = abs[end];
		abs[end] = '\0';
		bool git = has_git(end ? abs : "/");
		abs[end] = keep;
		if (git) {
			found = end == len ? ""
					   : arena_printf(a, "%s/", abs + end + 1);
			break;
		}
		while (end > 0 && abs[end - 1] != '/')
			end--;
		if (end == 0)
			break;
		end--; /* the '/' itself */
	}
	free(abs);
	return found;
}

/* The repository directory r ("" or ending in '/') must pass the path
 * grammar (names.h) as output: does: it is written into every generated
 * file's header, and into .gitlab-ci.yml's rules:changes (globs, where
 * '[', '*', '?' and '{' match other paths) and variables (where GitLab
 * expands '$'). Nothing there can quote it, so a name outside the grammar
 * is an error. */
static bool repo_dir_ok(diag *d, arena *a, const matrix *m, const char *r)
{
	if (!*r)
		return true;
	const char *dir = arena_strndup(a, r, strlen(r) - 1);
	const char *why = name_check_path(dir);
	if (!why)
		return true;
	diag_error(d, srcpos_file(m->file),
		   "its directory in the git work tree, '%s', cannot be "
		   "named in the generated files: %s (.gitlab-ci.yml's "
		   "rules:changes reads paths as globs, and GitLab expands "
		   "'$' in them)", shown(a, dir), why);
	return false;
}

/* Where the generated files name their paths from; see plan_build. */
static const char *repo_dir(diag *d, arena *a, const matrix *m)
{
	const char *dir = m->dir ? m->dir : ".";
	const char *r = plan_repo_dir(a, dir);
	if (r)
		return repo_dir_ok(d, a, m, r) ? r : "";
	if (strcmp(dir, ".") != 0)
		diag_warning(d, srcpos_file(m->file),
			     "no git work tree holds '%s': generated files name "
			     "their paths from '%s', taken as the repository "
			     "root", dir, dir);
	return "";
}

bool plan_build(arena *a, diag *d, const matrix *m, const cellset *all,
		plan *out)
{
	planner p = {.a = a, .d = d, .m = m};
	unsigned errors = diag_errors(d);
	strtab_init(&p.seen, 16);
	memset(out, 0, sizeof *out);
	out->m = m;
	out->repo_dir = repo_dir(d, a, m);
	for (size_t i = 0; i < all->n; i++) {
		cell *c = all->v[i];
		if (c->skip)
			continue;
		check_cell(&p, c);
		derive_names(&p, c);
		cellset_add(a, &out->cells, c);
	}
	report_bad(&p);
	bool all_skipped = all->n && !out->cells.n;
	if (all_skipped) {
		diag_warning(d, srcpos_file(m->file),
			     "every cell was skipped by the hooks; nothing to generate");
		note_skips(&p, all);
	} else if (diag_errors(d) == errors) {
		check_collisions(&p, &out->cells);
		check_group_names(&p, &out->cells);
		report_bad(&p);
	}
	strtab_release(&p.seen);
	free(p.bad);
	return !all_skipped && diag_errors(d) == errors;
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
